import type { TopRecommended } from './dashboard-types.js';
import { num, type DashboardReader } from './reader.js';

/** How many products the customers panel lists. */
export const TOP_RECOMMENDED = 10;

/**
 * The products recommended to the most customers in the latest recommendations snapshot (ties by product
 * id), with how many have them first and how many for their own history rather than as popular fill-in.
 */
export async function topRecommended(read: DashboardReader, database: string): Promise<TopRecommended> {
  const [latest] = await read<{ as_of: unknown }>(
    `SELECT toUnixTimestamp64Milli(maxOrNull(as_of)) AS as_of FROM ${database}.job_runs FINAL WHERE job = 'recommendations' AND status = 'succeeded'`,
  );
  if (latest?.as_of === null || latest?.as_of === undefined) return { as_of: null, customers: 0, products: [] };
  const [products, [total]] = await Promise.all([
    read<{ product_id: string; customers: unknown; first: unknown; personal: unknown }>(
      `SELECT product_id, count() AS customers, countIf(rank = 1) AS first, countIf(reason != 'popular') AS personal
       FROM ${database}.recommendations_current
       GROUP BY product_id
       ORDER BY customers DESC, product_id
       LIMIT {limit:UInt32}`,
      { limit: TOP_RECOMMENDED },
    ),
    read<{ n: unknown }>(`SELECT uniqExact(profile_id) AS n FROM ${database}.recommendations_current`),
  ]);
  return {
    as_of: num(latest.as_of),
    customers: num(total?.n),
    products: products.map((p) => ({ product_id: p.product_id, customers: num(p.customers), first: num(p.first), personal: num(p.personal) })),
  };
}
