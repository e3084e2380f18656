import type { FastifyInstance } from 'fastify';
import { requireScope } from '../pipeline/auth/bearer-auth.js';
import type { KeyStore } from '../pipeline/auth/key-store.js';
import type { RebuildSummary } from './rebuild.js';

/** `POST /v1/identity/rebuild` (admin): what `cdp identity rebuild` calls while a server holds the data. */
export async function identityAdminRoutes(app: FastifyInstance, deps: { keys: KeyStore; rebuild: () => Promise<RebuildSummary> }): Promise<void> {
  app.post('/v1/identity/rebuild', { preHandler: requireScope(deps.keys, 'admin') }, async (request) => {
    const summary = await deps.rebuild();
    request.log.info(summary, 'identity graph rebuilt');
    return { success: true, ...summary };
  });
}
