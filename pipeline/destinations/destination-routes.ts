import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidRequestError } from '../core/errors/invalid-request-error.js';
import { failures, success } from '../core/reply-schemas.js';
import { resourceWrites } from '../core/resource-routes.js';
import { committedSegment } from '../../segments/audience/audience-request.js';
import type { AudienceStore } from '../../segments/audience/audience-store.js';
import type { DestinationStore } from '../../segments/destinations/destination-store.js';
import { DestinationDisabledError } from '../../segments/destinations/errors/destination-disabled-error.js';
import { DestinationNotFoundError } from '../../segments/destinations/errors/destination-not-found-error.js';
import { checkDestinationUrl } from '../../segments/destinations/url-guard.js';
import { webhookUrl } from '../../segments/destinations/webhook-url.js';
import type { WebhookDelivery } from '../../segments/destinations/webhook-dispatcher.js';
import { NotEventDestinationError } from './errors/not-event-destination-error.js';
import { listEventDeadLetters, replayEventDeadLetters } from './event-dead-letters.js';
import { DESTINATION_FORMATS, EVENT_TYPES, type EventDestination } from './event-destination.js';
import { withoutSecret, type EventDestinationInput, type EventDestinationStore } from './event-destination-store.js';
import type { EventQueues } from './event-queues.js';
import { compileTransform } from './transform.js';

const SECRET_MIN_LENGTH = 32;
const SECRET_MAX_LENGTH = 256;
const TRANSFORM_MAX_LENGTH = 20_000;

const TAGS = ['destinations'];

/** `dst_` and a name of the caller's (PUT) or 16 hex digits (generated). */
const destinationId = z.string().regex(/^dst_[a-z0-9][a-z0-9_-]{0,59}$/, 'is not a destination id (dst_, then lower-case letters, digits, _ and -)');
const names = (what: string) => z.array(z.string().min(1).max(256)).max(1000).describe(what);
const filter = z
  .strictObject({
    types: z.array(z.enum(EVENT_TYPES)).max(EVENT_TYPES.length).optional().describe('event types that go out (empty: every type)'),
    events: names('track event names that go out (empty: every event; other types pass unless `types` excludes them)').optional(),
    exclude_events: names('track event names that never go out').optional(),
    sources: names('sources (write keys\' source ids) whose events go out (empty: every source)').optional(),
  })
  .describe('Which events go out; every non-empty list must match');

const EVENT_ONLY = ['name', 'format', 'write_key', 'filter', 'transform', 'consent_categories', 'batch_size', 'max_wait_ms'] as const;

const destinationBody = z
  .strictObject({
    id: destinationId.optional(),
    type: z.enum(['audience', 'events']).optional().describe('`audience` (a segment\'s changes; the default when `segment_id` is given) or `events` (loaded events as they arrive)'),
    segment_id: z.string().min(1).max(256).optional().describe('audience: the segment whose changes it receives'),
    name: z.string().min(1).max(200).optional().describe('events: a name for people'),
    format: z.enum(DESTINATION_FORMATS).optional().describe('events: `webhook` (signed JSON POST) or `segment` (POST <url>/v1/batch, Segment\'s HTTP API)'),
    url: webhookUrl.describe('where deliveries are POSTed (format segment: the API base, /v1/batch is added)'),
    secret: z
      .string()
      .min(SECRET_MIN_LENGTH, `must be at least ${SECRET_MIN_LENGTH} characters`)
      .max(SECRET_MAX_LENGTH, `must be at most ${SECRET_MAX_LENGTH} characters`)
      .optional()
      .describe('audience and format webhook: HMAC-SHA256 key of x-cdp-signature; never shown again'),
    write_key: z.string().min(1).max(512).optional().describe('format segment: the receiving source\'s write key (Basic user); never shown again'),
    filter: filter.optional(),
    transform: z.string().min(1).max(TRANSFORM_MAX_LENGTH).optional().describe('events: a JSONata expression applied to each event; its result is sent, null or undefined drops the event'),
    consent_categories: z.array(z.string().min(1).max(100)).max(50).optional().describe('events: an event goes out only if every category is granted (by the event, else by its profile\'s latest preference)'),
    batch_size: z.number().int().min(1).max(1000).optional().describe('events: most events per delivery (default 100)'),
    max_wait_ms: z.number().int().min(0).max(60_000).optional().describe('events: longest wait for a batch to fill, from its first event\'s queuing (default 1000)'),
  })
  .superRefine((b, ctx) => {
    const type = b.type ?? (b.segment_id !== undefined ? 'audience' : undefined);
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (type === undefined) return issue('type', "is required: 'events', or 'audience' with a segment_id");
    if (type === 'audience') {
      if (b.segment_id === undefined) issue('segment_id', 'is required for an audience destination');
      if (b.secret === undefined) issue('secret', 'is required');
      for (const field of EVENT_ONLY) if (b[field] !== undefined) issue(field, 'is a field of event destinations (type events)');
      return;
    }
    if (b.segment_id !== undefined) issue('segment_id', 'is a field of audience destinations');
    if (b.name === undefined) issue('name', 'is required');
    if (b.format === undefined) issue('format', "is required: 'webhook' or 'segment'");
    if (b.format === 'webhook' && b.secret === undefined) issue('secret', 'is required for format webhook');
    if (b.format === 'webhook' && b.write_key !== undefined) issue('write_key', 'is for format segment; format webhook takes a secret');
    if (b.format === 'segment' && b.write_key === undefined) issue('write_key', 'is required for format segment');
    if (b.format === 'segment' && b.secret !== undefined) issue('secret', 'is for format webhook; format segment takes a write_key');
  });
type DestinationBody = z.infer<typeof destinationBody>;

const replayBody = z.strictObject({ delivery_id: z.string().min(1).max(512).optional() }).nullish();
const idParams = z.object({ id: destinationId });

// z.object, not looseObject: a field the reply does not declare (a secret or write key) is dropped, never sent.
const audienceReply = z
  .object({
    id: z.string(),
    type: z.literal('audience'),
    segment_id: z.string(),
    url: z.string(),
    created_at: z.string(),
    created_by: z.string(),
    disabled_at: z.string().nullable().describe('set when the receiver answered 410 Gone'),
    disabled_reason: z.string().nullable(),
    enqueued_seq: z.number().describe('runs up to this seq have had their deliveries queued'),
  })
  .meta({ id: 'AudienceDestination', description: "An audience webhook: every committed run's changes of a segment, signed and POSTed" });
const eventsReply = z
  .object({
    id: z.string(),
    type: z.literal('events'),
    name: z.string(),
    format: z.enum(DESTINATION_FORMATS),
    url: z.string(),
    filter: z.object({ types: z.array(z.string()), events: z.array(z.string()), exclude_events: z.array(z.string()), sources: z.array(z.string()) }),
    transform: z.string().nullable(),
    consent_categories: z.array(z.string()),
    batch_size: z.number(),
    max_wait_ms: z.number(),
    created_at: z.string(),
    created_by: z.string(),
    updated_at: z.string(),
    paused: z.boolean(),
    disabled_at: z.string().nullable().describe('set when the receiver answered 410 Gone; resume clears it'),
    disabled_reason: z.string().nullable(),
  })
  .meta({ id: 'EventDestination', description: 'An event destination: loaded events, filtered, checked against consent, transformed and POSTed in batches' });
const destinationReply = z.union([audienceReply, eventsReply]);
const audienceDeadLetter = z.object({
  delivery_id: z.string(),
  destination_id: z.string(),
  segment_id: z.string(),
  seq: z.number(),
  batch: z.number(),
  attempts: z.number(),
  failed_at: z.string().nullable(),
  reason: z.string(),
});
const eventDeadLetter = z.object({ delivery_id: z.string(), events: z.number(), failed_at: z.string().nullable(), reason: z.string() });

export interface DestinationRouteDeps {
  destinations: DestinationStore;
  audience: AudienceStore;
  webhooks: WebhookDelivery;
  events: EventDestinationStore;
  queues: EventQueues;
  /** DESTINATIONS_ALLOW_PRIVATE: URLs are not checked against private addresses. */
  allowPrivate: boolean;
}

/**
 * Destinations (admin key), both types under one id space: `POST /v1/destinations`, `PUT|GET|DELETE
 * /v1/destinations/:id`, `GET /v1/destinations`, `POST /v1/destinations/:id/replay`, and for event
 * destinations `POST /v1/destinations/:id/pause|resume`. Secrets and write keys are taken and never shown
 * again. An audience destination receives the changes of runs committed after it was created; an event
 * destination the events loaded after it was created.
 */
export async function destinationRoutes(app: FastifyInstance, deps: DestinationRouteDeps): Promise<void> {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const audienceView = <T extends object>(d: T) => ({ type: 'audience' as const, ...d });

  async function checkUrl(url: string): Promise<void> {
    if (!deps.allowPrivate) await checkDestinationUrl(url);
  }

  const audienceInput = async (id: string, body: DestinationBody, by: string | undefined) => {
    await checkUrl(body.url);
    const segment = await committedSegment(deps.audience, body.segment_id!);
    return { id, segmentId: body.segment_id!, url: body.url, secret: body.secret!, createdBy: by ?? 'unknown', enqueuedSeq: segment.committedSeq };
  };
  const eventsInput = async (id: string, body: DestinationBody, by: string | undefined): Promise<EventDestinationInput> => {
    // Compiled now so that an expression that cannot run is refused, with its position, rather than dropping events later.
    if (body.transform !== undefined) compileTransform(body.transform);
    await checkUrl(body.url);
    return {
      id,
      name: body.name!,
      format: body.format!,
      url: body.url,
      credential: (body.format === 'segment' ? body.write_key : body.secret)!,
      filter: { types: body.filter?.types ?? [], events: body.filter?.events ?? [], exclude_events: body.filter?.exclude_events ?? [], sources: body.filter?.sources ?? [] },
      transform: body.transform ?? null,
      consent_categories: [...new Set(body.consent_categories ?? [])],
      batch_size: body.batch_size ?? 100,
      max_wait_ms: body.max_wait_ms ?? 1000,
      createdBy: by ?? 'unknown',
    };
  };
  const isEvents = (body: DestinationBody) => (body.type ?? (body.segment_id !== undefined ? 'audience' : 'events')) === 'events';

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
    create: async (id, body, request: FastifyRequest) => {
      if (isEvents(body)) return deps.events.create(await eventsInput(id, body, request.keyName));
      return audienceView(await deps.destinations.create(await audienceInput(id, body, request.keyName)));
    },
    put: async (id, body, request) => {
      if (isEvents(body)) {
        const { destination, created } = await deps.events.put(await eventsInput(id, body, request.keyName));
        return { resource: destination, created };
      }
      if (await deps.events.get(id)) throw new InvalidRequestError(`type: destination ${id} is an event destination; its type cannot change: create another destination`);
      const { destination, created } = await deps.destinations.put(await audienceInput(id, body, request.keyName));
      return { resource: audienceView(destination), created };
    },
  });

  typed.get(
    '/v1/destinations',
    { config: { scope: 'admin' }, schema: { tags: TAGS, summary: 'List destinations', description: 'Audience webhooks and event destinations, oldest first.', response: { 200: success({ destinations: z.array(destinationReply) }) } } },
    async () => {
      const all: (ReturnType<typeof audienceView<object>> | EventDestination)[] = [...(await deps.destinations.list()).map(audienceView), ...(await deps.events.list()).map(withoutSecret)];
      const created = (d: object) => (d as { created_at: string }).created_at;
      return { success: true as const, destinations: all.sort((a, b) => created(a).localeCompare(created(b))) as z.infer<typeof destinationReply>[] };
    },
  );

  typed.get(
    '/v1/destinations/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Read a destination',
        description: 'With its dead-lettered deliveries; an event destination also with its backlog (queued jobs, each up to a batch of events).',
        params: idParams,
        response: {
          200: success({ destination: destinationReply, dead_letters: z.array(z.union([audienceDeadLetter, eventDeadLetter])), backlog: z.number().optional() }),
          ...failures(400, 404),
        },
      },
    },
    async (request) => {
      const events = await deps.events.get(request.params.id);
      if (events) {
        const queue = deps.queues.of(events.id);
        const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
        return { success: true as const, destination: withoutSecret(events), dead_letters: await listEventDeadLetters(queue), backlog: Object.values(counts).reduce((a, b) => a + b, 0) };
      }
      const found = await deps.destinations.get(request.params.id);
      if (!found) throw new DestinationNotFoundError(request.params.id);
      const { secret: _secret, guarded: _guarded, ...destination } = found;
      return { success: true as const, destination: audienceView(destination), dead_letters: await deps.webhooks.deadLetters(found.id) };
    },
  );

  typed.delete(
    '/v1/destinations/:id',
    {
      config: { scope: 'admin' },
      schema: { tags: TAGS, summary: 'Delete a destination', description: "An event destination's queued events and dead letters go with it.", params: idParams, response: { 200: success({ deleted: z.string() }), ...failures(400, 404) } },
    },
    async (request) => {
      const { id } = request.params;
      if (await deps.events.delete(id)) await deps.queues.remove(id);
      else if (!(await deps.destinations.delete(id))) throw new DestinationNotFoundError(id);
      return { success: true as const, deleted: id };
    },
  );

  typed.post(
    '/v1/destinations/:id/replay',
    {
      config: { scope: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Send dead-lettered deliveries again',
        description: 'Every dead-lettered delivery of the destination, or the one named by `delivery_id`, back in the queue with the same delivery id (an event destination: after what is queued already).',
        params: idParams,
        body: replayBody,
        response: { 200: success({ replayed: z.number(), skipped: z.number() }), ...failures(400, 404, 409, 503) },
      },
    },
    async (request) => {
      const deliveryId = request.body?.delivery_id;
      const { id } = request.params;
      if (deliveryId !== undefined && !deliveryId.startsWith(`${id}.`)) throw new InvalidRequestError(`delivery_id: ${deliveryId} is not a delivery of destination ${id}`);
      const events = await deps.events.get(id);
      if (events) return { success: true as const, ...(await replayEventDeadLetters(deps.queues.of(id), deliveryId)), skipped: 0 };
      const found = await deps.destinations.get(id);
      if (!found) throw new DestinationNotFoundError(id);
      if (found.disabled_at !== null) throw new DestinationDisabledError(found.id, found.disabled_reason);
      return { success: true as const, ...(await deps.webhooks.replay({ destinationId: found.id, deliveryId })) };
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    typed.post(
      `/v1/destinations/:id/${action}`,
      {
        config: { scope: 'admin' },
        schema: {
          tags: TAGS,
          summary: action === 'pause' ? 'Pause an event destination' : 'Resume an event destination',
          description:
            action === 'pause'
              ? 'Nothing is sent while paused (a delivery being retried waits); events keep being queued and go out, in order, on resume.'
              : 'Delivers again: clears paused, and the disabled state a 410 Gone left.',
          params: idParams,
          response: { 200: success({ destination: eventsReply }), ...failures(400, 404, 409) },
        },
      },
      async (request) => {
        const { id } = request.params;
        const updated = action === 'pause' ? await deps.events.setPaused(id, true) : await deps.events.resume(id);
        if (updated) return { success: true as const, destination: updated };
        if (await deps.destinations.get(id)) throw new NotEventDestinationError(id);
        throw new DestinationNotFoundError(id);
      },
    );
  }
}
