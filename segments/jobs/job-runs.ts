import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chMs, chTime } from '../../pipeline/clickhouse/ch-time.js';

/** Records a job run in job_runs: a `running` row at the start, replaced by the outcome at the end. */
export async function recordRun(
  clickhouse: ClickHouseClient,
  database: string,
  run: { runId?: string; job: string; asOf: number; startedAt: number; finishedAt?: number; status: 'running' | 'succeeded' | 'failed'; rows?: number; error?: string; summary?: unknown },
): Promise<string> {
  const runId = run.runId ?? randomUUID();
  await clickhouse.insert({
    table: `${database}.job_runs`,
    values: [
      {
        run_id: runId,
        job: run.job,
        as_of: chTime(run.asOf),
        started_at: chTime(run.startedAt),
        finished_at: run.finishedAt === undefined ? null : chTime(run.finishedAt),
        status: run.status,
        rows: run.rows ?? 0,
        error: run.error ?? '',
        summary: JSON.stringify(run.summary ?? {}),
        version: run.status === 'running' ? 1 : 2,
      },
    ],
    format: 'JSONEachRow',
  });
  return runId;
}

export async function hasSucceeded(clickhouse: ClickHouseClient, database: string, job: string, asOf: number): Promise<boolean> {
  const rs = await clickhouse.query({
    query: `SELECT count() AS n FROM ${database}.job_runs FINAL WHERE job = {job:String} AND as_of = {as_of:DateTime64(3, 'UTC')} AND status = 'succeeded'`,
    query_params: { job, as_of: chTime(asOf) },
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string | number }>())[0]?.n ?? 0) > 0;
}

/** A snapshot's as_of as a query parameter (Nullable(DateTime64)) and as the job summary gives it. */
export const snapshotParam = (asOf: number | null) => (asOf === null ? null : chTime(asOf));
export const snapshotIso = (asOf: number | null) => (asOf === null ? null : new Date(asOf).toISOString());

/**
 * The as_of (epoch ms) of the job's latest successful run before as_of (`before`) or not after it
 * (`not_after`): the snapshot a job reads as standing then. null when there is none.
 */
export async function latestSucceeded(clickhouse: ClickHouseClient, database: string, job: string, asOf: number, when: 'before' | 'not_after'): Promise<number | null> {
  const rs = await clickhouse.query({
    query: `SELECT maxOrNull(as_of) AS latest FROM ${database}.job_runs FINAL
            WHERE job = {job:String} AND status = 'succeeded' AND as_of ${when === 'before' ? '<' : '<='} {as_of:DateTime64(3, 'UTC')}`,
    query_params: { job, as_of: chTime(asOf) },
    format: 'JSONEachRow',
  });
  const found = (await rs.json<{ latest: string | null }>())[0]?.latest;
  return found ? chMs(found) : null;
}
