import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { runJobSql } from './job-sql.js';
import type { JobDefinition } from './jobs.js';

/** sql/jobs/kpis.sql: the retail KPIs per day, week and month (KPI_TIME_ZONE) from the orders snapshot. */
export const kpisJob: JobDefinition = {
  dependsOn: ['orders'],
  table: 'kpi_values',
  async run({ clickhouse, database, config }, asOf) {
    const timeZone = config.KPI_TIME_ZONE ?? config.SEGMENTS_TIME_ZONE;
    const params = { as_of: chTime(asOf), tz: timeZone, shop_currency: config.SHOP_CURRENCY ?? '' };
    await runJobSql(clickhouse, 'kpis', database, params);
    const rs = await clickhouse.query({
      query: `SELECT period, count() AS n, min(period_start) AS first FROM ${database}.kpi_values WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND metric = 'orders' GROUP BY period`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const periods = await rs.json<{ period: string; n: string | number; first: string }>();
    return { time_zone: timeZone, shop_currency: config.SHOP_CURRENCY ?? null, periods: Object.fromEntries(periods.map((p) => [p.period, { count: Number(p.n), first: p.first }])) };
  },
};
