import type { LoyaltyOverview } from './dashboard-types.js';
import { num, type DashboardReader } from './reader.js';

/** How many months of points the customers panel shows. */
export const LOYALTY_MONTHS = 12;

/**
 * The latest loyalty snapshot's members per level, beside the snapshot before it (the change), and the points
 * its ledger issued (earn, bonus, positive adjustments), redeemed and expired per local month (`timeZone`,
 * SEGMENTS_TIME_ZONE), the latest LOYALTY_MONTHS months with any, oldest first.
 */
export async function loyaltyOverview(read: DashboardReader, database: string, timeZone: string): Promise<LoyaltyOverview> {
  const runs = await read<{ as_of: unknown; ms: unknown }>(
    `SELECT as_of, toUnixTimestamp64Milli(as_of) AS ms FROM ${database}.job_runs FINAL WHERE job = 'loyalty' AND status = 'succeeded' ORDER BY as_of DESC LIMIT 2`,
  );
  const [latest, previous] = runs;
  if (!latest) return { as_of: null, previous_as_of: null, members: 0, levels: [], months: [] };
  const params = { latest: latest.as_of, previous: previous?.as_of ?? null, tz: timeZone, months: LOYALTY_MONTHS };
  const [levels, months] = await Promise.all([
    read<{ level: string; members: unknown; before: unknown }>(
      `SELECT level, countIf(as_of = {latest:DateTime64(3, 'UTC')}) AS members, countIf(as_of = {previous:Nullable(DateTime64(3, 'UTC'))}) AS before
       FROM ${database}.loyalty_standings
       WHERE as_of = {latest:DateTime64(3, 'UTC')} OR as_of = {previous:Nullable(DateTime64(3, 'UTC'))}
       GROUP BY level`,
      params,
    ),
    read<{ month: string; issued: unknown; redeemed: unknown; expired: unknown }>(
      `SELECT * FROM (
         SELECT toString(toStartOfMonth(occurred_at, {tz:String})) AS month,
                sumIf(points, points > 0) AS issued,
                -sumIf(points, kind = 'redeem') AS redeemed,
                -sumIf(points, kind = 'expire') AS expired
         FROM ${database}.loyalty_ledger
         WHERE as_of = {latest:DateTime64(3, 'UTC')} AND status = 'applied'
         GROUP BY month ORDER BY month DESC LIMIT {months:UInt32})
       ORDER BY month`,
      params,
    ),
  ]);
  return {
    as_of: num(latest.ms),
    previous_as_of: previous ? num(previous.ms) : null,
    members: levels.reduce((n, l) => n + num(l.members), 0),
    levels: levels.map((l) => ({ level: l.level, members: num(l.members), change: previous ? num(l.members) - num(l.before) : null })),
    months: months.map((m) => ({ month: m.month.slice(0, 7), issued: num(m.issued), redeemed: num(m.redeemed), expired: num(m.expired) })),
  };
}
