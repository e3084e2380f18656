import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { requireScope } from './bearer-auth.js';
import { keyInput } from './key-input.js';
import { KEY_ID_PATTERN, type KeyStore } from './key-store.js';

const idParams = z.object({ id: z.string().regex(KEY_ID_PATTERN, 'is not a key id (key_ and 12 hex digits)') });
const revokeQuery = z.strictObject({ force: z.enum(['true', 'false'], { error: 'must be true or false' }).optional() });

function invalid(reply: FastifyReply, error: z.ZodError) {
  const message = error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : `${i.path.join('.') || 'body'}: ${i.message}`)).join('; ');
  return reply.code(400).send({ success: false, code: 'invalid_request', message });
}

/**
 * API keys (admin key): `GET /v1/keys`, `POST /v1/keys` (the key is in this answer only), `DELETE
 * /v1/keys/:id`. Keys from the environment are listed but not revocable here (409); a data folder's cli.key
 * only with `?force=true`. A key may revoke itself: revoking a leaked key must never need a second one.
 */
export async function keyRoutes(app: FastifyInstance, deps: { keys: KeyStore }): Promise<void> {
  const admin = requireScope(deps.keys, 'admin');

  app.get('/v1/keys', { preHandler: admin }, async () => ({ success: true, keys: await deps.keys.list() }));

  app.post('/v1/keys', { preHandler: admin }, async (request, reply) => {
    const b = keyInput.safeParse(request.body);
    if (!b.success) return invalid(reply, b.error);
    const { key, info } = await deps.keys.issue(b.data);
    request.log.info({ key_id: info.id, scope: info.scope, name: info.name, by: request.keyName }, 'key created');
    return reply.code(201).send({ success: true, key: { ...info, value: key } });
  });

  app.delete('/v1/keys/:id', { preHandler: admin }, async (request, reply) => {
    const p = idParams.safeParse(request.params);
    if (!p.success) return invalid(reply, p.error);
    const q = revokeQuery.safeParse(request.query);
    if (!q.success) return invalid(reply, q.error);
    const result = await deps.keys.revoke(p.data.id, { force: q.data.force === 'true' });
    if (!result.ok) return reply.code(result.code === 'key_not_found' ? 404 : 409).send({ success: false, code: result.code, message: result.message });
    request.log.info({ key_id: result.key.id, scope: result.key.scope, name: result.key.name, by: request.keyName }, 'key revoked');
    return { success: true, revoked: result.key };
  });
}
