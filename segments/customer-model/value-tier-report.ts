import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { TIER_MEANING, VALUE_TIERS, type ValueTier } from '../customer-states.js';
import { QUINTILES, type TierFigures, type TierGridCell } from './customer-model-types.js';
import type { ReportReader } from './report-reader.js';

// The value-tier read-out of one snapshot: figures per tier, and the grid of historical × predicted value
// quintiles with the tier mix of each cell.

/**
 * A stored rank (percent_rank from the top, 0 = highest) as a quintile: 5 holds ranks below 0.2 (the top
 * fifth), 4 below 0.4, ... and 1 the rest, so a tier cut at the top 20 % falls on the edge of quintile 5.
 */
const quintile = (rank: string) => `multiIf(${rank} < 0.2, 5, ${rank} < 0.4, 4, ${rank} < 0.6, 3, ${rank} < 0.8, 2, 1)`;

/** The figures of the snapshot taken as of `asOf` (none: every figure 0), every tier and cell listed. */
export async function valueTierFigures(read: ReportReader, database: string, asOf: number | null): Promise<{ tiers: TierFigures[]; grid: TierGridCell[] }> {
  const rows =
    asOf === null
      ? []
      : await read<{ h: unknown; p: unknown; tier: string; n: unknown; revenue: unknown; predicted: unknown }>(
          `SELECT ${quintile('historical_rank')} AS h, ${quintile('predicted_rank')} AS p, tier,
                  count() AS n, toFloat64(sum(historical_value)) AS revenue, sum(predicted_value) AS predicted
           FROM ${database}.value_tiers WHERE as_of = {as_of:DateTime64(3, 'UTC')}
           GROUP BY h, p, tier`,
          { as_of: chTime(asOf) },
        );
  const perTier = new Map<string, { profiles: number; revenue: number; predicted: number }>();
  const cells = new Map<string, TierGridCell>();
  for (const h of [...QUINTILES].reverse()) {
    for (const p of QUINTILES) {
      cells.set(`${h}:${p}`, { historical_quintile: h, predicted_quintile: p, profiles: 0, revenue: 0, tiers: Object.fromEntries(VALUE_TIERS.map((t) => [t, 0])) as Record<ValueTier, number> });
    }
  }
  for (const r of rows) {
    const n = Number(r.n);
    const tier = perTier.get(r.tier) ?? { profiles: 0, revenue: 0, predicted: 0 };
    perTier.set(r.tier, { profiles: tier.profiles + n, revenue: tier.revenue + Number(r.revenue), predicted: tier.predicted + Number(r.predicted) });
    const cell = cells.get(`${Number(r.h)}:${Number(r.p)}`)!;
    cell.profiles += n;
    cell.revenue += Number(r.revenue);
    if ((VALUE_TIERS as readonly string[]).includes(r.tier)) cell.tiers[r.tier as ValueTier] += n;
  }
  const tiers = VALUE_TIERS.map((tier) => {
    const t = perTier.get(tier);
    return { tier, meaning: TIER_MEANING[tier], profiles: t?.profiles ?? 0, revenue: t?.revenue ?? 0, mean_predicted_value: t ? t.predicted / t.profiles : null };
  });
  return { tiers, grid: [...cells.values()] };
}
