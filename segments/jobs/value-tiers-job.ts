import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { VALUE_TIERS } from '../customer-states.js';
import { runJobSql } from './job-sql.js';
import { latestSucceeded, snapshotIso, snapshotParam } from './job-runs.js';
import type { JobDefinition } from './jobs.js';

/** sql/jobs/value-tiers.sql: every buyer's tier by historical value (net revenue) and predicted value (CLV). */
export const valueTiersJob: JobDefinition = {
  dependsOn: ['orders', 'churn'],
  table: 'value_tiers',
  async run({ clickhouse, database, config }, asOf) {
    const high = config.VALUE_TIER_HIGH_PERCENT;
    const low = config.VALUE_TIER_LOW_PERCENT;
    // Each cut-off is one division of whole numbers, as percent_rank's own is (see the SQL's comment).
    const churn = await latestSucceeded(clickhouse, database, 'churn', asOf, 'not_after');
    const params = { as_of: chTime(asOf), churn_as_of: snapshotParam(churn), shop_currency: config.SHOP_CURRENCY ?? '', high_below: high / 100, low_above: (100 - low) / 100 };
    await runJobSql(clickhouse, 'value-tiers', database, params);
    const read = async <T>(query: string) => (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
    const tiers = await read<{ tier: string; profiles: string | number; revenue: string | number }>(
      `SELECT tier, count() AS profiles, sum(historical_value) AS revenue FROM ${database}.value_tiers WHERE as_of = {as_of:DateTime64(3, 'UTC')} GROUP BY tier`,
    );
    // The orders value-tiers.sql leaves out of the money: counted ones in a currency other than the shop's.
    const [other] = config.SHOP_CURRENCY
      ? await read<{ n: string | number }>(
          `SELECT count() AS n FROM ${database}.orders
           WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND NOT (refunded > 0 AND net_revenue <= 0) AND profile_id != ''
             AND currency != '' AND upperUTF8(currency) != {shop_currency:String}`,
        )
      : [];
    const byTier = new Map(tiers.map((r) => [r.tier, { profiles: Number(r.profiles), revenue: Number(r.revenue) }]));
    return {
      high_percent: high,
      low_percent: low,
      shop_currency: config.SHOP_CURRENCY ?? null,
      churn_snapshot: snapshotIso(churn),
      tiers: Object.fromEntries(VALUE_TIERS.map((t) => [t, byTier.get(t) ?? { profiles: 0, revenue: 0 }])),
      orders_other_currency: Number(other?.n ?? 0),
    };
  },
};
