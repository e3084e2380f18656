import type { EpochMs } from './dashboard-types.js';
import { num, type DashboardReader } from './reader.js';

/** as_of of a job's latest successful run (the snapshot its *_current view shows); null before the first. */
export async function latestSuccessfulAsOf(read: DashboardReader, database: string, job: string): Promise<EpochMs | null> {
  const [row] = await read<{ runs: unknown; as_of: unknown }>(
    `SELECT count() AS runs, toUnixTimestamp64Milli(max(as_of)) AS as_of
     FROM ${database}.job_runs FINAL WHERE job = {job:String} AND status = 'succeeded'`,
    { job },
  );
  return num(row?.runs) > 0 ? num(row?.as_of) : null;
}
