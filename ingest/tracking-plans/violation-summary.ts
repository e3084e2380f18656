import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';

// What a tracking plan has found since a moment, read from tracking_violations (written by the loader with
// the events): the answer of GET /v1/tracking-plans/:id/violations.

/** The most (type, event, violation, path) groups answered, most frequent first. */
export const MAX_GROUPS = 1000;

export interface ViolationGroup {
  type: string;
  event: string;
  violation: string;
  path: string;
  count: number;
  /** One message id of the group (the smallest, so that the same data gives the same example), and its message. */
  example_message_id: string;
  example_message: string;
}

export interface ViolationSummary {
  plan_id: string;
  since: string;
  total: number;
  by_violation: { violation: string; count: number }[];
  counts: ViolationGroup[];
}

/** Counts by event, violation and path, each with an example, and the totals by violation type. */
export async function violationSummary(clickhouse: ClickHouseClient, database: string, planId: string, since: number): Promise<ViolationSummary> {
  const params = { plan: planId, since: chTime(since), limit: MAX_GROUPS };
  const where = `plan_id = {plan:String} AND received_at >= {since:DateTime64(3, 'UTC')}`;
  const read = async <T>(query: string) => (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
  const [groups, totals] = await Promise.all([
    read<Omit<ViolationGroup, 'count'> & { count: unknown }>(
      `SELECT type, event, violation, path, count() AS count, min(message_id) AS example_message_id, argMin(message, message_id) AS example_message
       FROM ${database}.tracking_violations WHERE ${where}
       GROUP BY type, event, violation, path ORDER BY count DESC, type, event, violation, path LIMIT {limit:UInt32}`,
    ),
    read<{ violation: string; count: unknown }>(
      `SELECT violation, count() AS count FROM ${database}.tracking_violations WHERE ${where} GROUP BY violation ORDER BY count DESC, violation`,
    ),
  ]);
  const byViolation = totals.map((t) => ({ violation: t.violation, count: Number(t.count) }));
  return {
    plan_id: planId,
    since: new Date(since).toISOString(),
    total: byViolation.reduce((n, t) => n + t.count, 0),
    by_violation: byViolation,
    counts: groups.map((g) => ({ ...g, count: Number(g.count) })),
  };
}
