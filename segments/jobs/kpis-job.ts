import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { complaintEventsSql } from '../../identity/feedback/complaint-states.js';
import { npsAnswersSql, npsGroupSql } from '../../identity/feedback/nps-answers.js';
import { runJobSql } from './job-sql.js';
import { latestSucceeded, snapshotIso, snapshotParam } from './job-runs.js';
import type { JobDefinition } from './jobs.js';

/**
 * sql/jobs/kpis.sql: the retail KPIs per day, week and month (KPI_TIME_ZONE) from the orders snapshot, by
 * first-touch channel (with the mean CLV of the churn snapshot standing at as_of) and by campaign; then
 * sql/jobs/kpi-satisfaction.sql: NPS (by channel and by the value tier standing at as_of), complaints (by
 * category) and referrals.
 */
export const kpisJob: JobDefinition = {
  dependsOn: ['orders'],
  table: 'kpi_values',
  async run({ clickhouse, database, config }, asOf) {
    const timeZone = config.KPI_TIME_ZONE ?? config.SEGMENTS_TIME_ZONE;
    const churn = await latestSucceeded(clickhouse, database, 'churn', asOf, 'not_after');
    const tiers = await latestSucceeded(clickhouse, database, 'value_tiers', asOf, 'not_after');
    const params = {
      as_of: chTime(asOf),
      tz: timeZone,
      shop_currency: config.SHOP_CURRENCY ?? '',
      churn_as_of: snapshotParam(churn),
      tiers_as_of: snapshotParam(tiers),
      attribution_days: config.ATTRIBUTION_WINDOW_DAYS,
    };
    await runJobSql(clickhouse, 'kpis', database, params);
    const before = `{as_of:DateTime64(3, 'UTC')}`;
    await runJobSql(clickhouse, 'kpi-satisfaction', database, params, {
      nps_answers: npsAnswersSql(database, [`timestamp < ${before}`]),
      nps_group: npsGroupSql('l.score'),
      complaint_events: complaintEventsSql(database, `${before} - toIntervalMillisecond(1)`),
    });
    const rs = await clickhouse.query({
      query: `SELECT period, count() AS n, min(period_start) AS first FROM ${database}.kpi_values WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND metric = 'orders' AND dimension = '' GROUP BY period`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const periods = await rs.json<{ period: string; n: string | number; first: string }>();
    return { time_zone: timeZone, shop_currency: config.SHOP_CURRENCY ?? null, churn_snapshot: snapshotIso(churn), value_tiers_snapshot: snapshotIso(tiers), attribution_window_days: config.ATTRIBUTION_WINDOW_DAYS, periods: Object.fromEntries(periods.map((p) => [p.period, { count: Number(p.n), first: p.first }])) };
  },
};
