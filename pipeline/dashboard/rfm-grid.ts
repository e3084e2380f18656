import type { RfmGrid } from './dashboard-types.js';
import { latestSuccessfulAsOf } from './latest-run.js';
import { num, type DashboardReader } from './reader.js';

/** Customers and revenue (monetary) per R × F cell of the latest RFM snapshot; empty before the first run. */
export async function rfmGrid(read: DashboardReader, database: string): Promise<RfmGrid> {
  const asOf = await latestSuccessfulAsOf(read, database, 'rfm');
  if (asOf === null) return { as_of: null, customers: 0, cells: [] };
  const rows = await read<{ r: unknown; f: unknown; customers: unknown; revenue: unknown; segment: string }>(
    `SELECT r, f, count() AS customers, toFloat64(sum(monetary)) AS revenue, any(segment) AS segment
     FROM ${database}.rfm_current GROUP BY r, f ORDER BY r DESC, f`,
  );
  const cells = rows.map((c) => ({ r: num(c.r), f: num(c.f), customers: num(c.customers), revenue: num(c.revenue), segment: c.segment }));
  return { as_of: asOf, customers: cells.reduce((n, c) => n + c.customers, 0), cells };
}
