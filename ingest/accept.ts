import { randomUUID } from 'node:crypto';
import type { IdentityRules } from '../identity/identifiers.js';
import { refusedIdentifiers } from '../identity/refused-identifiers.js';
import type { EnrichedEvent, LoadJobData, PlanViolations, RejectedEvent } from '../pipeline/core/load-job.js';
import { rejectedPayload } from '../pipeline/core/rejected-payload.js';
import { anonymizeIp } from './anonymize-ip.js';
import { enrich } from './enrich.js';
import { BatchTooLargeError } from './errors/batch-too-large-error.js';
import { guardEvent, guardObject } from './event-guard.js';
import { checkEvent } from './tracking-plans/check-event.js';
import type { CompiledPlan } from './tracking-plans/compile-plan.js';
import { batchSchema, inTimeRange, TIME_RANGE_MESSAGE, toIssues, validateCall, type Issue } from './tracking-spec.js';

// Turns one tracking request into the events to queue and the rejections to keep and report. Pure: no I/O.

export interface RequestInfo {
  route: string;
  requestId: string;
  sourceId: string;
  ip: string;
  receivedAt: number;
  /** The tracking plan of the source, if it has one: each event is checked after the tracking spec's checks. */
  plan?: CompiledPlan;
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

export type RejectionReason = 'invalid_event' | 'event_too_large' | 'invalid_batch' | 'tracking_plan';

export interface Accepted extends LoadJobData {
  /** Per-event errors, as returned to the client. */
  errors: EventError[];
  /** Strings of accepted events whose lone surrogates were replaced with U+FFFD. */
  repaired: number;
}

function rejection(info: RequestInfo, limits: Limits, index: number, reason: RejectionReason, errors: Issue[], item: unknown): RejectedEvent {
  return {
    rejectionId: randomUUID(),
    receivedAt: info.receivedAt,
    sourceId: info.sourceId,
    requestId: info.requestId,
    route: info.route,
    index,
    reason,
    errors,
    payload: rejectedPayload(item),
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
  batch?: { context?: Record<string, unknown>; integrations?: Record<string, unknown> },
): void {
  const refuse = (reason: RejectionReason, errors: Issue[]) => {
    out.errors.push({ index, reason, errors });
    out.rejected.push(rejection(info, limits, index, reason, errors, item));
  };
  if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
    const guarded = guardEvent(item as Record<string, unknown>, limits);
    if (!guarded.ok) return refuse(guarded.reason, guarded.issues);
    out.repaired += guarded.repaired;
  }
  const result = validateCall(type, item);
  if (!result.ok) return refuse('invalid_event', result.issues);
  let planViolations: PlanViolations | undefined;
  if (info.plan) {
    const verdict = checkEvent(info.plan, result.message);
    if (verdict?.block) return refuse('tracking_plan', verdict.violations.map((v) => ({ path: v.path, code: v.violation, message: v.message })));
    if (verdict) planViolations = { planId: info.plan.id, planVersion: info.plan.version, found: verdict.violations };
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
  // The client's times were checked as sent; the clock-skew correction may still move one out of range.
  if (!inTimeRange(event.timestamp)) {
    return refuse('invalid_event', [{ path: 'timestamp', code: 'out_of_range', message: `${TIME_RANGE_MESSAGE} after the clock-skew correction (receivedAt − sentAt)` }]);
  }
  if (planViolations) event.planViolations = planViolations;
  out.events.push(event);
}

/** A single call (`/v1/track`, `/v1/identify`, ...): the type comes from the route. */
export function acceptCall(type: string, body: unknown, info: RequestInfo, limits: Limits): Accepted {
  const out: Accepted = { events: [], rejected: [], errors: [], repaired: 0 };
  acceptItem(out, type, body, 0, info, limits);
  return out;
}

/**
 * `/v1/batch`: each item carries its type; good items are accepted even when others are not.
 */
export function acceptBatch(body: unknown, info: RequestInfo, limits: Limits): Accepted {
  const out: Accepted = { events: [], rejected: [], errors: [], repaired: 0 };
  const invalidBatch = (errors: Issue[]) => {
    out.errors.push({ index: -1, reason: 'invalid_batch', errors });
    out.rejected.push(rejection(info, limits, -1, 'invalid_batch', errors, body));
    return out;
  };
  const parsed = batchSchema.safeParse(body);
  if (!parsed.success) return invalidBatch(toIssues(parsed.error));
  const { batch, context, integrations } = parsed.data;
  // The batch's own context and integrations go into every item: checked once, like an item's (level 2).
  for (const [name, shared] of [['context', context], ['integrations', integrations]] as const) {
    if (!shared) continue;
    const guarded = guardObject(shared, name, 2);
    if (guarded.issues.length > 0) return invalidBatch(guarded.issues);
    out.repaired += guarded.repaired;
  }
  if (batch.length > limits.maxBatchEvents) throw new BatchTooLargeError(batch.length, limits.maxBatchEvents);
  if (batch.length === 0) {
    const errors = [{ path: 'batch', code: 'too_small', message: 'batch must hold at least one event' }];
    out.errors.push({ index: -1, reason: 'invalid_batch', errors });
    return out;
  }
  for (let i = 0; i < batch.length; i++) {
    const item = batch[i];
    const type = typeof item === 'object' && item !== null ? (item as { type?: unknown }).type : undefined;
    acceptItem(out, typeof type === 'string' ? type : undefined, item, i, info, limits, { context, integrations });
  }
  return out;
}
