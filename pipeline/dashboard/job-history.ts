import type { JobRunRow } from './dashboard-types.js';
import { num, numOrNull, type DashboardReader } from './reader.js';

/** The latest job runs, newest first (job_runs is one row per run once FINAL has applied its outcome). */
export async function jobHistory(read: DashboardReader, database: string, limit: number): Promise<JobRunRow[]> {
  const rows = await read<Record<string, unknown>>(
    `SELECT run_id, job, status,
            toUnixTimestamp64Milli(as_of) AS as_of, toUnixTimestamp64Milli(started_at) AS started_at,
            toUnixTimestamp64Milli(finished_at) AS finished_at, rows, error
     FROM ${database}.job_runs FINAL
     ORDER BY started_at DESC, job LIMIT {limit:UInt32}`,
    { limit },
  );
  return rows.map((r) => {
    const started = num(r.started_at);
    const finished = numOrNull(r.finished_at);
    return {
      run_id: String(r.run_id),
      job: String(r.job),
      status: String(r.status),
      as_of: num(r.as_of),
      started_at: started,
      finished_at: finished,
      duration_ms: finished === null ? null : finished - started,
      rows: num(r.rows),
      error: String(r.error ?? ''),
    };
  });
}
