import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { failures, success } from '../pipeline/core/reply-schemas.js';
import type { RebuildSummary } from './rebuild.js';

/** `POST /v1/identity/rebuild` (admin): what `cdp identity rebuild` calls while a server holds the data. */
export async function identityAdminRoutes(app: FastifyInstance, deps: { rebuild: () => Promise<RebuildSummary> }): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/identity/rebuild',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['profiles'],
        summary: 'Rebuild the identity graph',
        description: 'Rebuilds the Redis identity graph from identity_edges in ClickHouse (loading paused meanwhile); it reproduces the same profiles.',
        response: { 200: success({ events: z.number(), profiles: z.number(), identifiers: z.number(), suppressed: z.number() }), ...failures(503) },
      },
    },
    async (request, reply) => {
      const summary = await deps.rebuild();
      request.log.info(summary, 'identity graph rebuilt');
      return { success: true as const, ...summary };
    },
  );
}
