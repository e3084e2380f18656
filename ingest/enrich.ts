import { randomUUID } from 'node:crypto';
import type { EnrichedEvent } from '../pipeline/core/load-job.js';
import { anonymizeIp } from './anonymize-ip.js';
import type { TrackingMessage } from './tracking-spec.js';

export interface EnrichContext {
  receivedAt: number;
  sourceId: string;
  ip: string;
  /** Batch-level `context` and `integrations`, merged under each item's own. */
  batchContext?: Record<string, unknown>;
  batchIntegrations?: Record<string, unknown>;
  maxCorrectionMs: number;
  /** IP_ANONYMIZE: context.ip is stored cut to its network, whether the client sent it or we filled it. */
  anonymizeIp?: boolean;
}

/**
 * Segment's clock-skew correction: timestamp = receivedAt − (sentAt − originalTimestamp), i.e. the
 * device time shifted by how far the device clock (plus transit) was from ours when it sent the event.
 * The shift is bounded: a request replayed hours later with its old sentAt must not move its events by hours.
 */
export function correctedTimestamp(originalTimestamp: number, sentAt: number | undefined, receivedAt: number, maxCorrectionMs: number): number {
  if (sentAt === undefined) return originalTimestamp;
  const shift = Math.max(-maxCorrectionMs, Math.min(maxCorrectionMs, receivedAt - sentAt));
  return originalTimestamp + shift;
}

export function enrich(message: TrackingMessage, ctx: EnrichContext): EnrichedEvent {
  // The event below is built field by field, not by spreading the message: one fixed object shape is markedly
  // faster on the hot path. Only the open-ended context and integrations are merged by spreading.
  const context: Record<string, unknown> = ctx.batchContext ? { ...ctx.batchContext, ...message.context } : { ...message.context };
  if (typeof context.ip !== 'string' || context.ip === '') context.ip = ctx.ip;
  if (ctx.anonymizeIp) context.ip = anonymizeIp(context.ip as string);
  const clientTime = message.originalTimestamp ?? message.timestamp;
  const event: EnrichedEvent = {
    messageId: message.messageId ?? `cdp-${randomUUID()}`,
    type: message.type!,
    event: message.event,
    name: message.name,
    category: message.category,
    userId: message.userId,
    anonymousId: message.anonymousId,
    groupId: message.groupId,
    previousId: message.previousId,
    properties: message.properties,
    traits: message.traits,
    context,
    integrations: ctx.batchIntegrations ? { ...ctx.batchIntegrations, ...message.integrations } : (message.integrations ?? {}),
    originalTimestamp: clientTime ?? ctx.receivedAt,
    // Without a client time the event is dated by our own clock, which needs no correction.
    timestamp: clientTime === undefined ? ctx.receivedAt : correctedTimestamp(clientTime, message.sentAt, ctx.receivedAt, ctx.maxCorrectionMs),
    sentAt: message.sentAt,
    receivedAt: ctx.receivedAt,
    sourceId: ctx.sourceId,
  };
  return event;
}
