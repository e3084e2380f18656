import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { inferPlan, PAYLOAD_OF, RULE_TYPES, type PlanBody, type RuleType } from './plan-inference.js';

// The ClickHouse side of `cdp plans infer` and GET /v1/tracking-plans/infer: which rules a source's events
// call for over the last days, and a bounded sample of each rule's payloads for plan-inference.ts.

/** At most this many events are read per rule, and at most this many rules (the most frequent) are drafted. */
export const SAMPLE_LIMITS = { eventsPerRule: 10_000, rules: 500 } as const;

/** One drafted rule as observed: events seen in the window, and how many of them were sampled. */
export interface ObservedRule {
  type: string;
  event: string;
  events: number;
  sampled: number;
}

export interface InferredPlan {
  plan: PlanBody;
  observed: ObservedRule[];
}

const DAY_MS = 86_400_000;

/**
 * A draft plan for `source` from its events received in the last `days`. Each rule's sample is the events
 * with the smallest hash of their message id: spread over the window rather than its first rows, the same
 * sample on every read of the same data, and a top-N sort bounded in memory.
 */
export async function inferPlanFromEvents(clickhouse: ClickHouseClient, database: string, opts: { source: string; days: number; now: number }): Promise<InferredPlan> {
  const scope = { source: opts.source, since: chTime(opts.now - opts.days * DAY_MS), types: RULE_TYPES };
  const where = `source_id = {source:String} AND received_at >= {since:DateTime64(3, 'UTC')}`;
  const groups = await rows<{ type: string; event: string; n: unknown }>(
    clickhouse,
    `SELECT type, if(type = 'track', event, '') AS event, count() AS n FROM ${database}.events
     WHERE ${where} AND type IN {types:Array(String)}
     GROUP BY type, event ORDER BY n DESC, type, event LIMIT {rules:UInt32}`,
    { ...scope, rules: SAMPLE_LIMITS.rules },
  );
  const samples = [];
  const observed: ObservedRule[] = [];
  for (const group of groups) {
    const column = PAYLOAD_OF[group.type as RuleType];
    const sampled = await rows<{ payload: string }>(
      clickhouse,
      `SELECT ${column} AS payload FROM ${database}.events
       WHERE ${where} AND type = {type:String} ${group.type === 'track' ? 'AND event = {event:String}' : ''}
       ORDER BY cityHash64(message_id) LIMIT {limit:UInt32}`,
      { ...scope, type: group.type, event: group.event, limit: SAMPLE_LIMITS.eventsPerRule },
    );
    samples.push({ type: group.type, event: group.event, payloads: sampled.map((r) => parsed(r.payload)) });
    observed.push({ type: group.type, event: group.event, events: Number(group.n), sampled: sampled.length });
  }
  return { plan: inferPlan(opts.source, samples), observed };
}

async function rows<T>(clickhouse: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T[]> {
  const rs = await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

/** A payload as loaded (JSON text of an object); anything unreadable counts as an empty one. */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}
