import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { LIFECYCLE_STAGES } from '../customer-states.js';
import { runJobSql } from './job-sql.js';
import { latestSucceeded, snapshotIso, snapshotParam } from './job-runs.js';
import type { JobDefinition } from './jobs.js';

/** sql/jobs/lifecycle.sql: every profile's lifecycle stage, `since` carried across snapshots, and the transitions. */
export const lifecycleJob: JobDefinition = {
  dependsOn: ['orders', 'churn'],
  table: 'lifecycle_stages',
  async run({ clickhouse, database, config }, asOf) {
    // The snapshots the SQL reads, found once here and named in the summary.
    const previous = await latestSucceeded(clickhouse, database, 'lifecycle', asOf, 'before');
    const churn = await latestSucceeded(clickhouse, database, 'churn', asOf, 'not_after');
    const params = {
      as_of: chTime(asOf),
      tz: config.SEGMENTS_TIME_ZONE,
      new_days: config.LIFECYCLE_NEW_DAYS,
      lost_days: config.LIFECYCLE_LOST_DAYS,
      previous_as_of: snapshotParam(previous),
      churn_as_of: snapshotParam(churn),
    };
    await runJobSql(clickhouse, 'lifecycle', database, params);
    const read = async <T>(query: string) => (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
    const counts = await read<{ stage: string; profiles: string | number }>(
      `SELECT stage, count() AS profiles FROM ${database}.lifecycle_stages WHERE as_of = {as_of:DateTime64(3, 'UTC')} GROUP BY stage`,
    );
    const [moves] = await read<{ transitions: string | number; reactivated: string | number }>(
      `SELECT count() AS transitions, countIf(reactivated = 1) AS reactivated FROM ${database}.lifecycle_transitions WHERE as_of = {as_of:DateTime64(3, 'UTC')}`,
    );
    const byStage = new Map(counts.map((r) => [r.stage, Number(r.profiles)]));
    return {
      time_zone: config.SEGMENTS_TIME_ZONE,
      new_days: config.LIFECYCLE_NEW_DAYS,
      lost_days: config.LIFECYCLE_LOST_DAYS,
      compared_with: snapshotIso(previous),
      churn_snapshot: snapshotIso(churn),
      stages: Object.fromEntries(LIFECYCLE_STAGES.map((s) => [s, byStage.get(s) ?? 0])),
      transitions: Number(moves?.transitions ?? 0),
      reactivated: Number(moves?.reactivated ?? 0),
    };
  },
};
