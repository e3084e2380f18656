import { queryRow, type MetricContext } from './metric-context.js';

const WINDOW_MINUTES = 5;

/**
 * The 95th percentile, in seconds, of the time from the API receiving an event to its row being inserted
 * (loaded_at − received_at), over the rows inserted in the 5 minutes before `at`: rows inserted late after a
 * backlog count when they arrive, with their whole wait. No rows inserted: no value (a stopped loader is what
 * `queue_waiting` shows). Rows received more than a day before are left out, so that the read stays within the
 * received_at index's reach.
 */
export async function loadLagP95Seconds(ctx: MetricContext, at: number): Promise<number | null> {
  const row = await queryRow<{ n: string; p95: number | null }>(
    ctx,
    `SELECT count() AS n, if(n = 0, NULL, quantileExact(0.95)(greatest(dateDiff('millisecond', received_at, loaded_at), 0)) / 1000) AS p95
     FROM ${ctx.database}.events
     WHERE received_at >= {at:DateTime64(3, 'UTC')} - INTERVAL 1 DAY
       AND loaded_at >= {at:DateTime64(3, 'UTC')} - INTERVAL {window:UInt32} MINUTE AND loaded_at < {at:DateTime64(3, 'UTC')}`,
    at,
    { window: WINDOW_MINUTES },
  );
  return row?.p95 === null || row?.p95 === undefined ? null : Number(row.p95);
}
