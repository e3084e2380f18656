import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { POINTS_ADJUSTED, POINTS_REDEEMED } from '../loyalty/ledger-events.js';
import { runJobSql } from './job-sql.js';
import type { JobDefinition } from './jobs.js';

/**
 * sql/jobs/loyalty.sql: every member's points ledger (loyalty_ledger), level history (loyalty_level_changes)
 * and standing (loyalty_standings) at as_of, from the orders job's snapshot and the events before as_of.
 */
export const loyaltyJob: JobDefinition = {
  dependsOn: ['orders'],
  table: 'loyalty_ledger',
  async run({ clickhouse, database, config }, asOf) {
    const levels = config.LOYALTY_LEVELS;
    const multiplierOf = new Map(config.LOYALTY_MULTIPLIERS.map((m) => [m.name, m.value]));
    const bonus = config.LOYALTY_BONUS_EVENTS;
    const params = {
      as_of: chTime(asOf),
      tz: config.SEGMENTS_TIME_ZONE,
      shop_currency: config.SHOP_CURRENCY ?? '',
      rate: config.LOYALTY_POINTS_PER_UNIT,
      level_names: levels.map((l) => l.name),
      thresholds: levels.map((l) => l.threshold),
      multipliers: levels.map((l) => multiplierOf.get(l.name) ?? '1'),
      window_back: config.LOYALTY_LEVEL_WINDOW_DAYS - 1,
      expiry_months: config.LOYALTY_EXPIRY_MONTHS,
      bonus_names: bonus.map((b) => b.name),
      bonus_points: bonus.map((b) => Number(b.value)),
      events: [...bonus.map((b) => b.name), POINTS_REDEEMED, POINTS_ADJUSTED],
    };
    await runJobSql(clickhouse, 'loyalty', database, params);
    const read = async <T>(query: string) => (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
    const kinds = await read<{ kind: string; entries: string | number; points: string | number; rejected: string | number }>(
      `SELECT kind, count() AS entries, sumIf(points, status = 'applied') AS points, countIf(status = 'rejected') AS rejected
       FROM ${database}.loyalty_ledger WHERE as_of = {as_of:DateTime64(3, 'UTC')} GROUP BY kind ORDER BY kind`,
    );
    const byLevel = await read<{ level: string; members: string | number }>(
      `SELECT level, count() AS members FROM ${database}.loyalty_standings WHERE as_of = {as_of:DateTime64(3, 'UTC')} GROUP BY level`,
    );
    const members = new Map(byLevel.map((r) => [r.level, Number(r.members)]));
    return {
      time_zone: config.SEGMENTS_TIME_ZONE,
      shop_currency: config.SHOP_CURRENCY ?? null,
      entries: Object.fromEntries(kinds.map((k) => [k.kind, { entries: Number(k.entries), points: Number(k.points) }])),
      rejected_redemptions: kinds.reduce((n, k) => n + Number(k.rejected), 0),
      levels: Object.fromEntries(levels.map((l) => [l.name, members.get(l.name) ?? 0])),
    };
  },
};
