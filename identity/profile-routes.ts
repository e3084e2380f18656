import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { requireScope } from '../pipeline/auth/bearer-auth.js';
import type { KeyStore } from '../pipeline/auth/key-store.js';
import type { ProfileStore } from './profile-store.js';

const profileIdParam = z.object({ profileId: z.string().min(1).max(256) });
const getQuery = z.object({ events: z.coerce.number().int().min(0).max(500).default(50) });
const lookupQuery = z.object({
  type: z.string().min(1).max(64),
  value: z.string().min(1).max(1024),
  events: z.coerce.number().int().min(0).max(500).default(50),
});

function invalid(reply: FastifyReply, error: z.ZodError) {
  return reply.code(400).send({ success: false, code: 'invalid_request', message: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
}

/**
 * `GET /v1/profiles/:profileId`, `GET /v1/profiles/lookup?type=&value=` (read or admin key): identifiers,
 * current traits, merge history and recent events of a stitched profile. `DELETE /v1/profiles/:profileId`
 * (admin key): the customer's right to erasure.
 */
export async function profileRoutes(app: FastifyInstance, deps: { keys: KeyStore; profiles: ProfileStore }): Promise<void> {
  const read = requireScope(deps.keys, 'read');
  const admin = requireScope(deps.keys, 'admin');

  app.get('/v1/profiles/lookup', { preHandler: read }, async (request, reply) => {
    const q = lookupQuery.safeParse(request.query);
    if (!q.success) return invalid(reply, q.error);
    const profileId = await deps.profiles.lookup(q.data.type, q.data.value);
    const profile = profileId ? await deps.profiles.get(profileId, q.data.events) : undefined;
    if (!profile) return reply.code(404).send({ success: false, code: 'not_found', message: `no profile holds ${q.data.type} "${q.data.value}"` });
    return profile;
  });

  app.get('/v1/profiles/:profileId', { preHandler: read }, async (request, reply) => {
    const p = profileIdParam.safeParse(request.params);
    const q = getQuery.safeParse(request.query);
    if (!p.success) return invalid(reply, p.error);
    if (!q.success) return invalid(reply, q.error);
    const profile = await deps.profiles.get(p.data.profileId, q.data.events);
    if (!profile) return reply.code(404).send({ success: false, code: 'not_found', message: `no profile ${p.data.profileId}` });
    return profile;
  });

  app.delete('/v1/profiles/:profileId', { preHandler: admin }, async (request, reply) => {
    const p = profileIdParam.safeParse(request.params);
    if (!p.success) return invalid(reply, p.error);
    const result = await deps.profiles.delete(p.data.profileId, request.keyName ?? 'unknown');
    if (!result) return reply.code(404).send({ success: false, code: 'not_found', message: `no profile ${p.data.profileId}` });
    request.log.info({ deletionId: result.deletion_id, profiles: result.profiles, identifiers: result.identifiers }, 'profile deleted');
    return { success: true, ...result };
  });
}
