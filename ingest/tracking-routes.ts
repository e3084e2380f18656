import cors from '@fastify/cors';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../pipeline/core/metrics.js';
import { acceptBatch, acceptCall, type Accepted, type Limits, type RequestInfo } from './accept.js';
import { registerDecompression, registerJsonBodies } from './body-parsing.js';
import type { Enqueuer } from './enqueue.js';
import { BatchTooLargeError } from './errors/batch-too-large-error.js';
import { QueueUnavailableError } from './errors/queue-unavailable-error.js';
import { UnserializableEventsError } from './errors/unserializable-events-error.js';
import type { KeyStore } from '../pipeline/auth/key-store.js';
import { CALL_TYPES } from './tracking-spec.js';
import { writeKeyFrom } from './write-key.js';

export interface TrackingDeps {
  keys: KeyStore;
  enqueuer: Enqueuer;
  metrics: Metrics;
  limits: Limits & { maxBatchBytes: number };
  retryAfterSeconds: number;
}

const okResponse = {
  200: {
    type: 'object',
    properties: {
      success: { type: 'boolean' },
      rejected: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            index: { type: 'integer' },
            reason: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
      },
    },
  },
};

const TRACKING_PATHS = new Set([...CALL_TYPES, 'batch'].map((type) => `/v1/${type}`));

function countByType(metrics: Metrics, result: Accepted): void {
  if (result.events.length === 1) return metrics.acceptedEvents.inc({ type: result.events[0]!.type });
  const tally = new Map<string, number>();
  for (const e of result.events) tally.set(e.type, (tally.get(e.type) ?? 0) + 1);
  for (const [type, n] of tally) metrics.acceptedEvents.inc({ type }, n);
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

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      metrics.rejectedEvents.inc({ reason: 'body_too_large' });
      return fail(reply, 413, 'payload_too_large', `the request body is over the limit of this route (${request.routeOptions.bodyLimit} bytes)`);
    }
    if (err.statusCode === 415 || err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      metrics.rejectedEvents.inc({ reason: 'unsupported_media_type' });
      return fail(reply, 415, 'unsupported_media_type', err.message);
    }
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError || (err.code ?? '').startsWith('Z_')) {
      metrics.rejectedEvents.inc({ reason: 'invalid_json' });
      return fail(reply, 400, 'invalid_json', `the body is not valid JSON: ${err.message}`);
    }
    if (err.statusCode && err.statusCode < 500) {
      metrics.rejectedEvents.inc({ reason: 'bad_request' });
      return fail(reply, err.statusCode, 'bad_request', err.message);
    }
    request.log.error({ err }, 'tracking request failed');
    return fail(reply, 500, 'internal_error', 'the event could not be processed; retry later');
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
    let result: Accepted;
    try {
      result = accept(request.body, {
        route,
        requestId: request.id,
        sourceId,
        ip: request.ip,
        receivedAt: Date.now(),
      });
    } catch (err) {
      if (err instanceof BatchTooLargeError) {
        metrics.rejectedEvents.inc({ reason: 'batch_too_many_events' }, err.count);
        return fail(reply, 413, 'too_many_events', err.message);
      }
      throw err;
    }
    for (const e of result.errors) metrics.rejectedEvents.inc({ reason: e.reason });
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

  await app.register(async (calls) => {
    registerJsonBodies(calls);
    for (const type of CALL_TYPES) {
      calls.post(`/v1/${type}`, { bodyLimit: limits.maxEventBytes, schema: { response: okResponse } }, (request, reply) =>
        handle(type, request, reply, (body, info) => acceptCall(type, body, info, limits)),
      );
    }
  });
  await app.register(async (batches) => {
    registerJsonBodies(batches);
    batches.post('/v1/batch', { bodyLimit: limits.maxBatchBytes, schema: { response: okResponse } }, (request, reply) =>
      handle('batch', request, reply, (body, info) => acceptBatch(body, info, limits)),
    );
  });
}
