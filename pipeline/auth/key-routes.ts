import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { failures, success } from '../core/reply-schemas.js';
import { keyInput } from './key-input.js';
import { KEY_ID_PATTERN, SCOPES, type KeyStore } from './key-store.js';

const TAGS = ['keys'];

const idParams = z.object({ id: z.string().regex(KEY_ID_PATTERN, 'is not a key id (key_ and 12 hex digits)') });
const revokeQuery = z.strictObject({
  force: z.enum(['true', 'false'], { error: 'must be true or false' }).optional().describe("true revokes a data folder's cli.key"),
});

const keyInfo = z
  .object({
    id: z.string(),
    scope: z.enum(SCOPES),
    name: z.string().describe('the source of a write key; a label for the others'),
    segments: z.array(z.string()).nullable().describe('the segments an audience key is limited to'),
    created_at: z.string().nullable(),
    origin: z.enum(['redis', 'env', 'local-cli']),
    hint: z.string().nullable().describe('the last 4 characters of a write key'),
    revocable: z.boolean(),
  })
  .meta({ id: 'KeyInfo', description: 'An API key as listed: everything but the key itself' });

/**
 * API keys (admin key): `GET /v1/keys`, `POST /v1/keys` (the key is in this answer only), `DELETE
 * /v1/keys/:id`. Keys from the environment are listed but not revocable here (409); a data folder's cli.key
 * only with `?force=true`. A key may revoke itself: revoking a leaked key must never need a second one.
 * Listing keys is administration, not a read of the product's data: it takes an admin key too.
 */
export async function keyRoutes(app: FastifyInstance, deps: { keys: KeyStore }): Promise<void> {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/v1/keys',
    { config: { scope: 'admin' }, schema: { tags: TAGS, summary: 'List API keys', description: 'Ids, scopes, names and origins; never a key itself.', response: { 200: success({ keys: z.array(keyInfo) }) } } },
    async () => ({ success: true as const, keys: await deps.keys.list() }),
  );

  typed.post(
    '/v1/keys',
    {
      config: { scope: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Create an API key',
        description: 'A write key (tracking), or an audience, read or admin key (`Authorization: Bearer`). The key is in this answer only.',
        body: keyInput,
        response: { 201: success({ key: keyInfo.extend({ value: z.string().describe('the key: shown this once') }) }), ...failures(400) },
      },
    },
    async (request, reply) => {
      const { key, info } = await deps.keys.issue(request.body);
      request.log.info({ key_id: info.id, scope: info.scope, name: info.name, by: request.keyName }, 'key created');
      return reply.code(201).send({ success: true as const, key: { ...info, value: key } });
    },
  );

  typed.delete(
    '/v1/keys/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Revoke an API key',
        description: 'Every process refuses it within seconds. Keys from the environment answer 409 `env_key`; the cli.key 409 `local_cli_key` unless forced.',
        params: idParams,
        querystring: revokeQuery,
        response: { 200: success({ revoked: keyInfo }), ...failures(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const result = await deps.keys.revoke(request.params.id, { force: request.query.force === 'true' });
      if (!result.ok) return reply.code(result.code === 'key_not_found' ? 404 : 409).send({ success: false, code: result.code, message: result.message });
      request.log.info({ key_id: result.key.id, scope: result.key.scope, name: result.key.name, by: request.keyName }, 'key revoked');
      return { success: true as const, revoked: result.key };
    },
  );
}
