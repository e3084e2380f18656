import { randomUUID } from 'node:crypto';
import type { EnrichedEvent } from '../pipeline/load-job.js';
import type { SegmentMessage } from './segment-schema.js';

export interface EnrichContext {
  receivedAt: number;
  sourceId: string;
  ip: string;
  /** Batch-level `context` and `integrations`, merged under each item's own. */
  batchContext?: Record<string, unknown>;
  batchIntegrations?: Record<string, unknown>;
  maxCorrectionMs: number;
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

export function enrich(message: SegmentMessage, ctx: EnrichContext): EnrichedEvent {
  const { timestamp, originalTimestamp, sentAt, context, integrations, ...rest } = message;
  const merged: Record<string, unknown> = ctx.batchContext ? { ...ctx.batchContext, ...context } : { ...context };
  if (typeof merged.ip !== 'string' || merged.ip === '') merged.ip = ctx.ip;
  const clientTime = originalTimestamp ?? timestamp;
  const original = clientTime ?? ctx.receivedAt;
  const event: EnrichedEvent = {
    ...rest,
    type: message.type!,
    messageId: message.messageId ?? `cdp-${randomUUID()}`,
    context: merged,
    integrations: ctx.batchIntegrations ? { ...ctx.batchIntegrations, ...integrations } : { ...integrations },
    originalTimestamp: original,
    // Without a client time the event is dated by our own clock, which needs no correction.
    timestamp: clientTime === undefined ? ctx.receivedAt : correctedTimestamp(clientTime, sentAt, ctx.receivedAt, ctx.maxCorrectionMs),
    receivedAt: ctx.receivedAt,
    sourceId: ctx.sourceId,
  };
  if (sentAt !== undefined) event.sentAt = sentAt;
  return event;
}
