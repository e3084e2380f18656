import { queryRow, type MetricContext } from './metric-context.js';

/**
 * Events that arrived in the minute ending at `at` (received_at in [at − 1 min, at)): accepted ones from
 * `events`, refused ones from `rejected_events`. Read from the tables rather than this process's metrics
 * registry: the registry counts only what this process's api role saw, and starts from zero at each restart,
 * while the tables hold what every api process accepted or refused. Events received in the minute but not
 * yet loaded when it is evaluated (the load lag, about a second) are not counted.
 */
export async function arrivalsInMinute(ctx: MetricContext, table: 'events' | 'rejected_events', at: number): Promise<number> {
  const row = await queryRow<{ n: string }>(
    ctx,
    `SELECT count() AS n FROM ${ctx.database}.${table}
     WHERE received_at >= {at:DateTime64(3, 'UTC')} - INTERVAL 1 MINUTE AND received_at < {at:DateTime64(3, 'UTC')}`,
    at,
  );
  return Number(row?.n ?? 0);
}
