import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { rfmGroupMapParameter } from '../rfm-groups.js';
import { runJobSql } from './job-sql.js';
import type { JobDefinition } from './jobs.js';

/** sql/jobs/rfm.sql: quintile scores and the named segment of every buyer in the window. */
export const rfmJob: JobDefinition = {
  dependsOn: ['orders'],
  table: 'rfm_scores',
  async run({ clickhouse, database, config }, asOf) {
    const params = { as_of: chTime(asOf), window_days: config.RFM_WINDOW_DAYS, segment_map: rfmGroupMapParameter() };
    await runJobSql(clickhouse, 'rfm', database, params);
    const rs = await clickhouse.query({
      query: `SELECT segment, count() AS profiles FROM ${database}.rfm_scores WHERE as_of = {as_of:DateTime64(3, 'UTC')} GROUP BY segment ORDER BY segment`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const segments = Object.fromEntries((await rs.json<{ segment: string; profiles: string | number }>()).map((r) => [r.segment, Number(r.profiles)]));
    return { window_days: config.RFM_WINDOW_DAYS, segments };
  },
};
