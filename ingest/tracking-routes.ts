import cors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CdpError } from '../pipeline/core/errors/cdp-error.js';
import { unreadableRequest } from '../pipeline/core/errors/unreadable-request-error.js';
import { failures } from '../pipeline/core/reply-schemas.js';
import type { Metrics } from '../pipeline/core/metrics.js';
import { acceptBatch, acceptCall, type Accepted, type Limits, type RequestInfo } from './accept.js';
import { registerDecompression, registerJsonBodies } from './body-parsing.js';
import type { Enqueuer } from './enqueue.js';
import { BatchTooLargeError } from './errors/batch-too-large-error.js';
import { QueueUnavailableError } from './errors/queue-unavailable-error.js';
import { UnserializableEventsError } from './errors/unserializable-events-error.js';
import type { KeyStore } from '../pipeline/auth/key-store.js';
import type { PlanCache } from './tracking-plans/plan-cache.js';
import { CALL_TYPES, callSchemas } from './tracking-spec.js';
import { writeKeyFrom } from './write-key.js';

export interface TrackingDeps {
  keys: KeyStore;
  /** The tracking plans, by source. */
  plans: Pick<PlanCache, 'forSource'>;
  enqueuer: Enqueuer;
  metrics: Metrics;
  limits: Limits & { maxBatchBytes: number };
  retryAfterSeconds: number;
}

const TAGS = ['tracking spec'];

// The answers, as the API reference shows them.
const issue = z.object({ path: z.string(), code: z.string(), message: z.string() });
const accepted = z.object({
  success: z.literal(true),
  rejected: z
    .array(z.object({ index: z.number().int().describe('-1: the batch itself'), reason: z.string(), errors: z.array(issue) }))
    .optional()
    .describe('the refused events of a batch, each with its index and what is wrong'),
});
const answers = { 200: accepted, ...failures(400, 401, 413, 415, 503) };

/**
 * The tracking routes' schemas document them in the API reference and do nothing else. The routes check
 * every event themselves (accept.ts), so that a bad event refuses that event alone and the rest of a batch
 * goes through; and their answers, built from plain {index, reason, errors} records, are written with
 * JSON.stringify: checking each one against its schema would cost the hot path a few microseconds a request.
 */
const documentationOnly = { validatorCompiler: () => () => true, serializerCompiler: () => (data: unknown) => JSON.stringify(data) };

const batchBody = z
  .object({
    batch: z.array(z.union([callSchemas.track, callSchemas.identify, callSchemas.page, callSchemas.screen, callSchemas.group, callSchemas.alias])).describe('calls of the tracking spec, each with its type'),
    context: z.record(z.string(), z.unknown()).optional().describe("merged under each item's own"),
    integrations: z.record(z.string(), z.unknown()).optional(),
    writeKey: z.string().optional().describe('the write key, for clients that cannot send Basic auth'),
  })
  .describe('Up to 2,500 events and 500 KB by default (INGEST_MAX_BATCH_EVENTS, INGEST_MAX_BATCH_BYTES)');

const TRACKING_PATHS = new Set([...CALL_TYPES, 'batch'].map((type) => `/v1/${type}`));

function countByType(metrics: Metrics, result: Accepted): void {
  if (result.events.length === 1) return metrics.acceptedEvents.inc({ type: result.events[0]!.type });
  const tally = new Map<string, number>();
  for (const e of result.events) tally.set(e.type, (tally.get(e.type) ?? 0) + 1);
  for (const [type, n] of tally) metrics.acceptedEvents.inc({ type }, n);
}

/** cdp_tracking_violations_total: the violations of the accepted events and of the events the plan refused. */
function countViolations(metrics: Metrics, planId: string, result: Accepted): void {
  for (const e of result.events) for (const v of e.planViolations?.found ?? []) metrics.trackingViolations.inc({ plan: planId, violation: v.violation });
  for (const e of result.errors) if (e.reason === 'tracking_plan') for (const v of e.errors) metrics.trackingViolations.inc({ plan: planId, violation: v.code });
}

function fail(reply: FastifyReply, status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  return reply.code(status).send({ success: false, code, message, ...extra });
}

/**
 * Segment's HTTP Tracking API: `/v1/{track,identify,page,screen,group,alias,batch}`.
 * A 200 is sent only once the accepted events are in Redis; rejected events are answered with their index
 * and reasons, counted, and queued for `rejected_events` — never dropped without a trace.
 */
export async function trackingRoutes(app: FastifyInstance, deps: TrackingDeps): Promise<void> {
  const { keys, enqueuer, metrics, limits } = deps;
  // Shop pages post events from any origin; nothing else of the API is for browsers of other sites, so the
  // preflight (answered for every path by the plugin's catch-all OPTIONS route) approves tracking paths only.
  // Retry-After is exposed so that browser code (the snippet) can read it on a cross-origin 503.
  const trackingCors = { origin: true, methods: ['POST'], maxAge: 86400, exposedHeaders: ['retry-after'] };
  await app.register(cors, {
    delegator: (request, callback) => callback(null, TRACKING_PATHS.has(request.url.split('?')[0]!) ? trackingCors : { origin: false }),
  });
  registerDecompression(app);

  // Requests Fastify could not read (too large, not JSON, an unknown encoding) are answered by the server's
  // error handler; here they are counted as refused tracking calls.
  app.addHook('onError', async (request, _reply, err) => {
    if (err instanceof CdpError) return;
    const refused = unreadableRequest(err, request.routeOptions.bodyLimit);
    if (refused) metrics.rejectedEvents.inc({ reason: refused.code === 'payload_too_large' ? 'body_too_large' : refused.code });
  });

  // Refused before the body is read: when queue writes go unconfirmed (the process or its Redis is behind), a
  // request read now would cost the parsing and checking of its events and still most likely end in a 503 after
  // the enqueue timeout, and that work is taken from the loader on the same event loop. Measured with 25,000
  // events/s offered for 60 s to api+workers on 2 cores: reading every request, 155,400 of 1,550,000 events were
  // accepted; refusing unread after 2.5 s (INGEST_SHED_AFTER_MS), 843,700, all loaded. At 14,000 events/s, past
  // the loader's rate but not the door's, nothing was refused either way; after 1 s, 0.3 % was.
  // Logged when it starts and when it ends, not per request: at its peak it refuses hundreds a second.
  let shedding = false;
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST') return;
    if (!enqueuer.shedding) {
      if (shedding) request.log.info('queue writes are confirmed in time again: tracking requests are read again');
      shedding = false;
      return;
    }
    if (!shedding) request.log.warn('queue writes unconfirmed for over INGEST_SHED_AFTER_MS: tracking requests are refused unread with 503');
    shedding = true;
    metrics.rejectedEvents.inc({ reason: 'shed' });
    reply.header('retry-after', String(deps.retryAfterSeconds));
    return fail(reply, 503, 'overloaded', 'the event queue is behind confirming writes; retry later');
  });

  const unavailable = (request: FastifyRequest, reply: FastifyReply, err: unknown, message: string) => {
    request.log.warn({ err }, `${message}; answering 503`);
    reply.header('retry-after', String(deps.retryAfterSeconds));
    return fail(reply, 503, 'unavailable', message);
  };

  const handle = async (route: string, request: FastifyRequest, reply: FastifyReply, accept: (body: unknown, info: RequestInfo) => Accepted) => {
    const key = writeKeyFrom(request);
    let sourceId: string | undefined;
    try {
      const lookup = key === undefined ? undefined : keys.sourceForWriteKey(key);
      sourceId = lookup instanceof Promise ? await lookup : lookup;
    } catch (err) {
      // The key could not be looked up (Redis unreachable): the client may retry, as for a failed queue write.
      return unavailable(request, reply, err, 'the write key could not be checked; retry later');
    }
    if (!sourceId) {
      metrics.rejectedEvents.inc({ reason: 'unauthorized' });
      return fail(reply, 401, 'invalid_write_key', key === undefined
        ? 'no write key: send it as the Basic auth user name or as "writeKey" in the body'
        : 'unknown write key');
    }
    if (enqueuer.overloaded) {
      metrics.rejectedEvents.inc({ reason: 'overloaded' });
      reply.header('retry-after', String(deps.retryAfterSeconds));
      return fail(reply, 503, 'overloaded', 'the event queue is over its depth bound; retry later');
    }
    const plan = deps.plans.forSource(sourceId);
    let result: Accepted;
    try {
      result = accept(request.body, {
        route,
        requestId: request.id,
        sourceId,
        ip: request.ip,
        receivedAt: Date.now(),
        plan,
      });
    } catch (err) {
      if (err instanceof BatchTooLargeError) {
        metrics.rejectedEvents.inc({ reason: 'batch_too_many_events' }, err.count);
        return fail(reply, 413, 'too_many_events', err.message);
      }
      throw err;
    }
    for (const e of result.errors) metrics.rejectedEvents.inc({ reason: e.reason });
    if (plan) countViolations(metrics, plan.id, result);
    if (result.events.length === 0 && result.rejected.length === 0) {
      return fail(reply, 400, 'invalid_events', 'nothing to accept', { errors: result.errors });
    }
    if (result.repaired > 0) metrics.repairedStrings.inc(result.repaired);
    try {
      await enqueuer.enqueue({ events: result.events, rejected: result.rejected });
    } catch (err) {
      if (err instanceof UnserializableEventsError) {
        // This request's own fault: a 4xx, so that the client does not retry it forever.
        metrics.rejectedEvents.inc({ reason: 'unserializable' }, result.events.length + result.rejected.length);
        request.log.warn({ err }, 'events could not be serialized for the queue');
        return fail(reply, 400, 'unserializable_events', `${err.message}; ${(err.cause as Error | undefined)?.message ?? ''}`.trim());
      }
      if (!(err instanceof QueueUnavailableError)) throw err;
      if (result.events.length === 0) {
        // Only rejections were to be kept: the client must fix its events anyway, so it still gets its 400.
        metrics.rejectedNotStored.inc(result.rejected.length);
        request.log.warn({ err }, 'rejected events could not be queued for rejected_events');
        return fail(reply, 400, 'invalid_events', 'no event was accepted', { errors: result.errors });
      }
      metrics.rejectedEvents.inc({ reason: 'unavailable' }, result.events.length);
      return unavailable(request, reply, err, 'the event queue is unavailable; retry later');
    }
    if (result.events.length === 0) return fail(reply, 400, 'invalid_events', 'no event was accepted', { errors: result.errors });
    countByType(metrics, result);
    if (result.errors.length > 0) {
      request.log.info({ rejected: result.errors.length, accepted: result.events.length }, 'batch partly rejected');
      return { success: true, rejected: result.errors };
    }
    return { success: true };
  };

  // A 500 says to retry, without the server's own error text.
  const config = { scope: 'write' as const, failureMessage: 'the event could not be processed; retry later' };
  await app.register(async (calls) => {
    registerJsonBodies(calls);
    for (const type of CALL_TYPES) {
      calls.post(
        `/v1/${type}`,
        {
          bodyLimit: limits.maxEventBytes,
          config,
          ...documentationOnly,
          schema: {
            tags: TAGS,
            summary: `A ${type} call`,
            description: `One \`${type}\` call of the tracking spec (Segment-compatible), 32 KB at most by default. Answered 200 once it is durably queued; also served as /v1/${type[0]}.`,
            body: callSchemas[type].describe(`a ${type} call`),
            response: answers,
          },
        },
        (request, reply) => handle(type, request, reply, (body, info) => acceptCall(type, body, info, limits)),
      );
    }
  });
  await app.register(async (batches) => {
    registerJsonBodies(batches);
    batches.post(
      '/v1/batch',
      {
        bodyLimit: limits.maxBatchBytes,
        config,
        ...documentationOnly,
        schema: {
          tags: TAGS,
          summary: 'A batch of calls',
          description: 'Calls of the tracking spec, each with its type; the refused ones are answered with their index and reasons, the others accepted. Also served as /v1/b.',
          body: batchBody,
          response: answers,
        },
      },
      (request, reply) => handle('batch', request, reply, (body, info) => acceptBatch(body, info, limits)),
    );
  });
}
