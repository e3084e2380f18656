import { randomUUID } from 'node:crypto';
import type { IdentityRules } from '../identity/identifiers.js';
import { refusedIdentifiers } from '../identity/refused-identifiers.js';
import type { EnrichedEvent, LoadJobData, RejectedEvent } from '../pipeline/load-job.js';
import { anonymizeIp } from './anonymize-ip.js';
import { enrich } from './enrich.js';
import { BatchTooLargeError } from './errors/batch-too-large-error.js';
import { batchSchema, toIssues, validateCall, type Issue } from './segment-schema.js';

// Turns one tracking request into the events to queue and the rejections to keep and report. Pure: no I/O.

export interface RequestInfo {
  route: string;
  requestId: string;
  sourceId: string;
  ip: string;
  receivedAt: number;
}

export interface Limits {
  maxEventBytes: number;
  maxBatchEvents: number;
  maxCorrectionMs: number;
  /** How refused items' identifiers are read (kept so that deleting a customer finds their refused events). */
  identityRules: IdentityRules;
  /** IP_ANONYMIZE: keep only the network part of stored IP addresses. */
  anonymizeIp: boolean;
}

export interface EventError {
  index: number;
  reason: RejectionReason;
  errors: Issue[];
}

export type RejectionReason = 'invalid_event' | 'event_too_large' | 'invalid_batch';

export interface Accepted extends LoadJobData {
  /** Per-event errors, as returned to the client. */
  errors: EventError[];
}

const PAYLOAD_KEEP_BYTES = 64 * 1024;

function rejection(info: RequestInfo, limits: Limits, index: number, reason: RejectionReason, errors: Issue[], item: unknown): RejectedEvent {
  let payload: string;
  try {
    payload = JSON.stringify(item) ?? 'null';
  } catch {
    payload = String(item);
  }
  if (Buffer.byteLength(payload) > PAYLOAD_KEEP_BYTES) {
    // Cut at a byte bound without splitting a character: encodeInto writes whole characters only.
    const kept = new Uint8Array(PAYLOAD_KEEP_BYTES);
    const { written } = new TextEncoder().encodeInto(payload, kept);
    payload = Buffer.from(kept.subarray(0, written)).toString('utf8');
  }
  return {
    rejectionId: randomUUID(),
    receivedAt: info.receivedAt,
    sourceId: info.sourceId,
    requestId: info.requestId,
    route: info.route,
    index,
    reason,
    errors,
    payload,
    ip: limits.anonymizeIp ? anonymizeIp(info.ip) : info.ip,
    identifiers: refusedIdentifiers(item, limits.identityRules),
  };
}

function acceptItem(
  out: Accepted,
  type: string | undefined,
  item: unknown,
  index: number,
  info: RequestInfo,
  limits: Limits,
  /** Set only for an item over the per-event limit: its size as sent. */
  oversizedBytes: number | undefined,
  batch?: { context?: Record<string, unknown>; integrations?: Record<string, unknown> },
): void {
  if (oversizedBytes !== undefined) {
    const errors = [{ path: '', code: 'too_big', message: `an event may be at most ${limits.maxEventBytes} bytes; this one is ${oversizedBytes}` }];
    out.errors.push({ index, reason: 'event_too_large', errors });
    out.rejected.push(rejection(info, limits, index, 'event_too_large', errors, item));
    return;
  }
  const result = validateCall(type, item);
  if (!result.ok) {
    out.errors.push({ index, reason: 'invalid_event', errors: result.issues });
    out.rejected.push(rejection(info, limits, index, 'invalid_event', result.issues, item));
    return;
  }
  const event: EnrichedEvent = enrich(result.message, {
    receivedAt: info.receivedAt,
    sourceId: info.sourceId,
    ip: info.ip,
    batchContext: batch?.context,
    batchIntegrations: batch?.integrations,
    maxCorrectionMs: limits.maxCorrectionMs,
    anonymizeIp: limits.anonymizeIp,
  });
  out.events.push(event);
}

/** A single call (`/v1/track`, `/v1/identify`, ...): the type comes from the route. */
export function acceptCall(type: string, body: unknown, info: RequestInfo, limits: Limits): Accepted {
  const out: Accepted = { events: [], rejected: [], errors: [] };
  acceptItem(out, type, body, 0, info, limits, undefined);
  return out;
}

/**
 * `/v1/batch`: each item carries its type; good items are accepted even when others are not.
 * `oversized` holds the items over the per-event limit as sent, index → bytes (see batch-item-sizes.ts).
 */
export function acceptBatch(body: unknown, info: RequestInfo, limits: Limits, oversized?: Map<number, number>): Accepted {
  const out: Accepted = { events: [], rejected: [], errors: [] };
  const parsed = batchSchema.safeParse(body);
  if (!parsed.success) {
    const errors = toIssues(parsed.error);
    out.errors.push({ index: -1, reason: 'invalid_batch', errors });
    out.rejected.push(rejection(info, limits, -1, 'invalid_batch', errors, body));
    return out;
  }
  const { batch, context, integrations } = parsed.data;
  if (batch.length > limits.maxBatchEvents) throw new BatchTooLargeError(batch.length, limits.maxBatchEvents);
  if (batch.length === 0) {
    const errors = [{ path: 'batch', code: 'too_small', message: 'batch must hold at least one event' }];
    out.errors.push({ index: -1, reason: 'invalid_batch', errors });
    return out;
  }
  for (let i = 0; i < batch.length; i++) {
    const item = batch[i];
    const type = typeof item === 'object' && item !== null ? (item as { type?: unknown }).type : undefined;
    acceptItem(out, typeof type === 'string' ? type : undefined, item, i, info, limits, oversized?.get(i), { context, integrations });
  }
  return out;
}
