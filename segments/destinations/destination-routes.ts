import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CdpError } from '../../pipeline/core/errors/cdp-error.js';
import { InvalidRequestError } from '../../pipeline/core/errors/invalid-request-error.js';
import { failures, success } from '../../pipeline/core/reply-schemas.js';
import { resourceWrites } from '../../pipeline/core/resource-routes.js';
import { committedSegment } from '../audience/audience-request.js';
import type { AudienceStore } from '../audience/audience-store.js';
import type { DestinationStore } from './destination-store.js';
import { DestinationDisabledError } from './errors/destination-disabled-error.js';
import { DestinationNotFoundError } from './errors/destination-not-found-error.js';
import type { WebhookDelivery } from './webhook-dispatcher.js';

export const SECRET_MIN_LENGTH = 32;
export const SECRET_MAX_LENGTH = 256;

const TAGS = ['destinations'];

export const webhookUrl = z
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

/** `dst_` and a name of the caller's (PUT) or 16 hex digits (generated). */
const destinationId = z.string().regex(/^dst_[a-z0-9][a-z0-9_-]{0,59}$/, 'is not a destination id (dst_, then lower-case letters, digits, _ and -)');
const destinationBody = z.strictObject({
  id: destinationId.optional(),
  segment_id: z.string().min(1).max(256).describe('the segment whose changes it receives'),
  url: webhookUrl.describe('where each delivery is POSTed'),
  secret: z
    .string()
    .min(SECRET_MIN_LENGTH, `must be at least ${SECRET_MIN_LENGTH} characters`)
    .max(SECRET_MAX_LENGTH, `must be at most ${SECRET_MAX_LENGTH} characters`)
    .describe('HMAC-SHA256 key of x-cdp-signature; never shown again'),
});
const replayBody = z.strictObject({ delivery_id: z.string().min(1).max(512).optional() }).nullish();
const idParams = z.object({ id: destinationId });

// z.object, not looseObject: a field the reply does not declare (the secret) is dropped, never sent.
const destinationReply = z
  .object({
    id: z.string(),
    segment_id: z.string(),
    url: z.string(),
    created_at: z.string(),
    created_by: z.string(),
    disabled_at: z.string().nullable().describe('set when the receiver answered 410 Gone'),
    disabled_reason: z.string().nullable(),
    enqueued_seq: z.number().describe('runs up to this seq have had their deliveries queued'),
  })
  .meta({ id: 'Destination', description: "An audience webhook: every committed run's changes of a segment, signed and POSTed" });
const deadLetter = z.object({
  delivery_id: z.string(),
  destination_id: z.string(),
  segment_id: z.string(),
  seq: z.number(),
  batch: z.number(),
  attempts: z.number(),
  failed_at: z.string().nullable(),
  reason: z.string(),
});

export interface DestinationRouteDeps {
  destinations: DestinationStore;
  audience: AudienceStore;
  webhooks: WebhookDelivery;
}

/**
 * Webhook destinations (admin key): `POST /v1/destinations`, `PUT|GET|DELETE /v1/destinations/:id`, `GET
 * /v1/destinations`, `POST /v1/destinations/:id/replay`. The secret is taken and never shown again. A new
 * destination receives the changes of runs committed after it was created; the members endpoint gives the
 * audience it starts from.
 */
export async function destinationRoutes(app: FastifyInstance, deps: DestinationRouteDeps): Promise<void> {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  /** The destination to store: its segment must exist, and a new one starts after the segment's last committed run. */
  const destinationInput = async (id: string, body: z.infer<typeof destinationBody>, by: string | undefined) => {
    const segment = await committedSegment(deps.audience, body.segment_id);
    return { id, segmentId: body.segment_id, url: body.url, secret: body.secret, createdBy: by ?? 'unknown', enqueuedSeq: segment.committedSeq };
  };

  resourceWrites(app, {
    path: '/v1/destinations',
    kind: 'destination',
    tags: TAGS,
    id: destinationId,
    input: destinationBody,
    reply: destinationReply,
    failures: [404, 503],
    mismatch: (bodyId, id) => new InvalidRequestError(`id: the body's id "${bodyId}" is not the destination's ("${id}")`),
    newId: () => `dst_${randomBytes(8).toString('hex')}`,
    create: async (id, body, request) => deps.destinations.create(await destinationInput(id, body, request.keyName)),
    put: async (id, body, request) => {
      const { destination, created } = await deps.destinations.put(await destinationInput(id, body, request.keyName));
      return { resource: destination, created };
    },
  });

  typed.get(
    '/v1/destinations',
    { config: { scope: 'admin' }, schema: { tags: TAGS, summary: 'List destinations', response: { 200: success({ destinations: z.array(destinationReply) }) } } },
    async () => ({ success: true as const, destinations: await deps.destinations.list() }),
  );

  typed.get(
    '/v1/destinations/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Read a destination',
        description: 'With its dead-lettered deliveries (those that used up their attempts).',
        params: idParams,
        response: { 200: success({ destination: destinationReply, dead_letters: z.array(deadLetter) }), ...failures(400, 404) },
      },
    },
    async (request) => {
      const found = await deps.destinations.get(request.params.id);
      if (!found) throw new DestinationNotFoundError(request.params.id);
      const { secret: _secret, ...destination } = found;
      const deadLetters = await deps.webhooks.deadLetters(found.id);
      return { success: true as const, destination, dead_letters: deadLetters };
    },
  );

  typed.delete(
    '/v1/destinations/:id',
    { config: { scope: 'admin' }, schema: { tags: TAGS, summary: 'Delete a destination', params: idParams, response: { 200: success({ deleted: z.string() }), ...failures(400, 404) } } },
    async (request) => {
      if (!(await deps.destinations.delete(request.params.id))) throw new DestinationNotFoundError(request.params.id);
      return { success: true as const, deleted: request.params.id };
    },
  );

  typed.post(
    '/v1/destinations/:id/replay',
    {
      config: { scope: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Send dead-lettered deliveries again',
        description: 'Every dead-lettered delivery of the destination, or the one named by `delivery_id`, back in the queue with the same delivery id.',
        params: idParams,
        body: replayBody,
        response: { 200: success({ replayed: z.number(), skipped: z.number() }), ...failures(400, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const found = await deps.destinations.get(request.params.id);
      if (!found) throw new DestinationNotFoundError(request.params.id);
      if (found.disabled_at !== null) throw new DestinationDisabledError(found.id, found.disabled_reason);
      const deliveryId = request.body?.delivery_id;
      if (deliveryId !== undefined && !deliveryId.startsWith(`${found.id}.`)) {
        throw new InvalidRequestError(`delivery_id: ${deliveryId} is not a delivery of destination ${found.id}`);
      }
      return { success: true as const, ...(await deps.webhooks.replay({ destinationId: found.id, deliveryId })) };
    },
  );
}
