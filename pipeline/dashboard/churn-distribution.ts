import type { ChurnDistribution } from './dashboard-types.js';
import { latestSuccessfulAsOf } from './latest-run.js';
import { num, type DashboardReader } from './reader.js';

export const P_ALIVE_BINS = 10;

/** P(alive) histogram of the latest churn snapshot, with the flagged count and the total CLV. */
export async function churnDistribution(read: DashboardReader, database: string): Promise<ChurnDistribution> {
  const bins = new Array<number>(P_ALIVE_BINS).fill(0);
  const asOf = await latestSuccessfulAsOf(read, database, 'churn');
  if (asOf === null) return { as_of: null, customers: 0, bins, churn_flagged: 0, clv_total: 0 };
  const [histogram, totals] = await Promise.all([
    read<{ bin: unknown; n: unknown }>(
      `SELECT least(toUInt32(floor(p_alive * {bins:UInt32})), {bins:UInt32} - 1) AS bin, count() AS n
       FROM ${database}.churn_current WHERE isFinite(p_alive) AND p_alive >= 0 GROUP BY bin`,
      { bins: P_ALIVE_BINS },
    ),
    read<{ customers: unknown; flagged: unknown; clv: unknown }>(
      `SELECT count() AS customers, countIf(churn_flag = 1) AS flagged, sumIf(clv, isFinite(clv)) AS clv FROM ${database}.churn_current`,
    ),
  ]);
  for (const row of histogram) bins[num(row.bin)] = num(row.n);
  const [t] = totals;
  return { as_of: asOf, customers: num(t?.customers), bins, churn_flagged: num(t?.flagged), clv_total: num(t?.clv) };
}
