import { complaintStatesSql } from '../../../identity/feedback/complaint-states.js';
import { queryRow, type MetricContext } from './metric-context.js';

/**
 * Complaints open at `at` whose current open spell (`open_since`: the latest opening or reopening, as
 * complaintStatesSql rules) began more than `hours` hours before it.
 */
export async function complaintsOpenOver(ctx: MetricContext, hours: number, at: number): Promise<number> {
  const row = await queryRow<{ n: string }>(
    ctx,
    `SELECT count() AS n FROM (${complaintStatesSql(ctx.database, "{at:DateTime64(3, 'UTC')}")})
     WHERE state = 'open' AND open_since < {at:DateTime64(3, 'UTC')} - INTERVAL {hours:UInt32} HOUR`,
    at,
    { hours },
  );
  return Number(row?.n ?? 0);
}
