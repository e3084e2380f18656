import { chTime } from '../clickhouse/ch-time.js';
import type { EnrichedEvent, RejectedEvent } from '../core/load-job.js';

// Maps queued messages to ClickHouse rows (JSONEachRow). Pure functions: the loader does the I/O.

/**
 * A column kept as JSON text (properties, traits, context, integrations), handed over as the object itself: the
 * row is serialised once, and ClickHouse stores the object's text as written (EVENT_INSERT_SETTINGS), where a
 * string of JSON would be escaped into the row and unescaped again. Anything but an object or an array is
 * handed over as its JSON text, which is stored the same.
 */
export type JsonColumn = Record<string, unknown> | unknown[] | string;

const jsonColumn = (v: unknown): JsonColumn =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown> | unknown[]) : JSON.stringify(v ?? null);

/** The insert settings under which `events` reads the JSON columns of an EventRow as their text. */
export const EVENT_INSERT_SETTINGS = { input_format_json_read_objects_as_strings: 1, input_format_json_read_arrays_as_strings: 1 } as const;

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : '');
const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

// Decimal(18, 4) holds up to 10^14; larger amounts stay in `properties` only.
const MAX_AMOUNT = 1e13;

// Decimal text only: Number() alone would also read "0x10" or "0b101" as amounts.
const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A money amount as Segment clients send it: a number, or a decimal string ("12.50"). */
export function amount(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && DECIMAL.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && Math.abs(n) < MAX_AMOUNT ? Math.round(n * 10000) / 10000 : null;
}

export interface EventRow {
  message_id: string;
  type: string;
  event: string;
  name: string;
  user_id: string;
  anonymous_id: string;
  profile_id: string;
  group_id: string;
  previous_id: string;
  timestamp: string;
  original_timestamp: string;
  sent_at: string | null;
  received_at: string;
  source_id: string;
  order_id: string;
  revenue: number | null;
  currency: string;
  url: string;
  path: string;
  referrer: string;
  campaign_source: string;
  campaign_medium: string;
  campaign_name: string;
  campaign_term: string;
  campaign_content: string;
  ip: string;
  user_agent: string;
  properties: JsonColumn;
  traits: JsonColumn;
  context: JsonColumn;
  integrations: JsonColumn;
}

/** `profileId`: the profile identity resolution gave the event ('' when it has none). */
export function eventRow(e: EnrichedEvent, profileId = ''): EventRow {
  const p = e.properties ?? {};
  const ctx = e.context;
  const page = obj(ctx.page) ?? {};
  const campaign = obj(ctx.campaign) ?? {};
  // Segment e-commerce spec v2: order events carry `revenue`, or only `total`.
  const revenue = amount(p.revenue) ?? amount(p.total);
  return {
    message_id: e.messageId,
    type: e.type,
    event: e.event ?? '',
    name: str(e.name),
    user_id: str(e.userId),
    anonymous_id: str(e.anonymousId),
    profile_id: profileId,
    group_id: str(e.groupId),
    previous_id: str(e.previousId),
    timestamp: chTime(e.timestamp),
    original_timestamp: chTime(e.originalTimestamp),
    sent_at: e.sentAt === undefined ? null : chTime(e.sentAt),
    received_at: chTime(e.receivedAt),
    source_id: e.sourceId,
    order_id: str(p.order_id ?? p.orderId),
    revenue,
    currency: str(p.currency),
    url: str(p.url ?? page.url),
    path: str(p.path ?? page.path),
    referrer: str(p.referrer ?? page.referrer),
    campaign_source: str(campaign.source),
    campaign_medium: str(campaign.medium),
    campaign_name: str(campaign.name),
    campaign_term: str(campaign.term),
    campaign_content: str(campaign.content),
    ip: str(ctx.ip),
    user_agent: str(ctx.userAgent),
    properties: jsonColumn(p),
    traits: jsonColumn(e.traits ?? obj(ctx.traits) ?? {}),
    context: jsonColumn(ctx),
    integrations: jsonColumn(e.integrations),
  };
}

export type RejectedRow = ReturnType<typeof rejectedRow>;

export function rejectedRow(r: RejectedEvent) {
  return {
    rejection_id: r.rejectionId,
    received_at: chTime(r.receivedAt),
    source_id: r.sourceId,
    request_id: r.requestId,
    route: r.route,
    batch_index: r.index,
    reason: r.reason,
    errors: JSON.stringify(r.errors),
    payload: r.payload,
    ip: r.ip,
    // Read from the item as sent: an identifier with a lone surrogate (the reason it was refused, maybe) would
    // make ClickHouse refuse the row, and no loaded customer can hold one to be matched with.
    identifiers: (r.identifiers ?? []).map((i) => i.toWellFormed()),
  };
}

export interface ViolationRow {
  message_id: string;
  profile_id: string;
  source_id: string;
  plan_id: string;
  plan_version: number;
  type: string;
  event: string;
  violation: string;
  path: string;
  message: string;
  received_at: string;
}

/** The tracking_violations rows of an accepted event (none when its plan found nothing), under its profile. */
export function violationRows(e: EnrichedEvent, profileId = ''): ViolationRow[] {
  const found = e.planViolations;
  if (!found) return [];
  const event = e.type === 'track' ? (e.event ?? '') : str(e.name);
  const receivedAt = chTime(e.receivedAt);
  return found.found.map((v) => ({
    message_id: e.messageId,
    profile_id: profileId,
    source_id: e.sourceId,
    plan_id: found.planId,
    plan_version: found.planVersion,
    type: e.type,
    event,
    violation: v.violation,
    path: v.path,
    message: v.message,
    received_at: receivedAt,
  }));
}
