import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { requireScope } from '../../pipeline/auth/bearer-auth.js';
import type { KeyStore } from '../../pipeline/auth/key-store.js';
import type { AudienceStore } from '../audience/audience-store.js';
import type { DestinationStore } from './destination-store.js';
import type { WebhookDelivery } from './webhook-dispatcher.js';

export const SECRET_MIN_LENGTH = 32;
export const SECRET_MAX_LENGTH = 256;

const webhookUrl = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .refine((raw) => {
    try {
      const url = new URL(raw);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '' && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  }, 'must be an absolute http:// or https:// URL without user name or password');

const createBody = z.strictObject({
  segment_id: z.string().min(1).max(256),
  url: webhookUrl,
  secret: z.string().min(SECRET_MIN_LENGTH, `must be at least ${SECRET_MIN_LENGTH} characters`).max(SECRET_MAX_LENGTH, `must be at most ${SECRET_MAX_LENGTH} characters`),
});
const replayBody = z.strictObject({ delivery_id: z.string().min(1).max(512).optional() }).nullish();
const idParams = z.object({ id: z.string().regex(/^dst_[0-9a-f]{16}$/, 'is not a destination id') });

function invalid(reply: FastifyReply, error: z.ZodError) {
  const message = error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : `${i.path.join('.') || 'body'}: ${i.message}`)).join('; ');
  return reply.code(400).send({ success: false, code: 'invalid_request', message });
}

const notFound = (reply: FastifyReply, id: string) => reply.code(404).send({ success: false, code: 'destination_not_found', message: `no destination ${id}` });

export interface DestinationRouteDeps {
  keys: KeyStore;
  destinations: DestinationStore;
  audience: AudienceStore;
  webhooks: WebhookDelivery;
}

/**
 * Webhook destinations (admin key): `POST /v1/destinations`, `GET /v1/destinations`, `GET|DELETE
 * /v1/destinations/:id`, `POST /v1/destinations/:id/replay`. The secret is taken once and never shown again.
 * A new destination receives the changes of runs committed after it was created; the members endpoint
 * gives the audience it starts from.
 */
export async function destinationRoutes(app: FastifyInstance, deps: DestinationRouteDeps): Promise<void> {
  const admin = requireScope(deps.keys, 'admin');

  app.post('/v1/destinations', { preHandler: admin }, async (request, reply) => {
    const b = createBody.safeParse(request.body);
    if (!b.success) return invalid(reply, b.error);
    const segment = await deps.audience.segment(b.data.segment_id);
    if (!segment) return reply.code(404).send({ success: false, code: 'segment_not_found', message: `no segment "${b.data.segment_id}" (unknown or deleted)` });
    const destination = await deps.destinations.create({
      segmentId: b.data.segment_id,
      url: b.data.url,
      secret: b.data.secret,
      createdBy: request.keyName ?? 'unknown',
      enqueuedSeq: segment.committedSeq,
    });
    return reply.code(201).send({ success: true, destination });
  });

  app.get('/v1/destinations', { preHandler: admin }, async () => ({ success: true, destinations: await deps.destinations.list() }));

  app.get('/v1/destinations/:id', { preHandler: admin }, async (request, reply) => {
    const p = idParams.safeParse(request.params);
    if (!p.success) return invalid(reply, p.error);
    const found = await deps.destinations.get(p.data.id);
    if (!found) return notFound(reply, p.data.id);
    const { secret: _secret, ...destination } = found;
    const deadLetters = await deps.webhooks.deadLetters(found.id);
    return { success: true, destination, dead_letters: deadLetters };
  });

  app.delete('/v1/destinations/:id', { preHandler: admin }, async (request, reply) => {
    const p = idParams.safeParse(request.params);
    if (!p.success) return invalid(reply, p.error);
    if (!(await deps.destinations.delete(p.data.id))) return notFound(reply, p.data.id);
    return { success: true, deleted: p.data.id };
  });

  app.post('/v1/destinations/:id/replay', { preHandler: admin }, async (request, reply) => {
    const p = idParams.safeParse(request.params);
    if (!p.success) return invalid(reply, p.error);
    const b = replayBody.safeParse(request.body);
    if (!b.success) return invalid(reply, b.error);
    const found = await deps.destinations.get(p.data.id);
    if (!found) return notFound(reply, p.data.id);
    if (found.disabled_at !== null) {
      return reply.code(409).send({ success: false, code: 'destination_disabled', message: `destination ${found.id} is disabled (${found.disabled_reason}); create a new one to deliver again` });
    }
    const deliveryId = b.data?.delivery_id;
    if (deliveryId !== undefined && !deliveryId.startsWith(`${found.id}.`)) {
      return reply.code(400).send({ success: false, code: 'invalid_request', message: `delivery_id: ${deliveryId} is not a delivery of destination ${found.id}` });
    }
    return { success: true, ...(await deps.webhooks.replay({ destinationId: found.id, deliveryId })) };
  });
}
