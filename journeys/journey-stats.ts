import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';

export interface JourneyStats {
  journey_id: string;
  entered: number;
  active: number;
  exited: number;
  reached_goal: number;
  /** reached_goal / entered (0 with no entries). */
  goal_rate: number;
  /** Instances that reached each step (a step reached twice by one instance counts twice). */
  steps: { step: string; reached: number }[];
  sent: number;
  suppressed: Record<string, number>;
  failed: Record<string, number>;
}

/** A journey's counts from journey_events (each happening once, however often a retried step recorded it); `active` from the live instances. */
export async function journeyStats(clickhouse: ClickHouseClient, database: string, journeyId: string, stepOrder: readonly string[], active: number): Promise<JourneyStats> {
  const rs = await clickhouse.query({
    query: `SELECT kind, step, JSONExtractString(detail, 'reason') AS reason, uniqExact(instance_id, event_id) AS n
FROM ${database}.journey_events WHERE journey_id = {id:String} GROUP BY kind, step, reason`,
    query_params: { id: journeyId },
    format: 'JSONEachRow',
  });
  const rows = (await rs.json<{ kind: string; step: string; reason: string; n: string | number }>()).map((r) => ({ ...r, n: Number(r.n) }));
  const total = (kind: string) => rows.filter((r) => r.kind === kind).reduce((sum, r) => sum + r.n, 0);
  const byReason = (kind: string) => Object.fromEntries(rows.filter((r) => r.kind === kind).map((r) => [r.reason || 'unknown', r.n]));
  const reached = new Map<string, number>();
  for (const r of rows) if (r.kind === 'step') reached.set(r.step, (reached.get(r.step) ?? 0) + r.n);
  const entered = total('entered');
  const goal = total('goal');
  return {
    journey_id: journeyId,
    entered,
    active,
    exited: total('exited'),
    reached_goal: goal,
    goal_rate: entered === 0 ? 0 : goal / entered,
    steps: stepOrder.map((step) => ({ step, reached: reached.get(step) ?? 0 })),
    sent: total('sent'),
    suppressed: byReason('suppressed'),
    failed: byReason('failed'),
  };
}

/** The steps in the order an instance meets them from `start` (breadth first), for funnels. */
export function stepOrder(start: string, next: (step: string) => string[], all: readonly string[]): string[] {
  const out: string[] = [];
  const queue = [start];
  while (queue.length > 0) {
    const s = queue.shift()!;
    if (out.includes(s) || !all.includes(s)) continue;
    out.push(s);
    queue.push(...next(s));
  }
  return [...out, ...all.filter((s) => !out.includes(s))];
}
