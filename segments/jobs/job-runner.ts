import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import type { Config } from '../../pipeline/core/config.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import type { Logger } from '../../pipeline/core/logger.js';
import type { Metrics } from '../../pipeline/core/metrics.js';
import { oneAtATime } from '../../pipeline/core/one-at-a-time.js';
import { hasSucceeded, recordRun } from './job-runs.js';
import { JOBS, JOB_NAMES, type JobName } from './jobs.js';

export interface JobSummary {
  job: JobName;
  as_of: string;
  status: 'succeeded';
  rows: number;
  duration_ms: number;
  /** Jobs this one depended on and ran first, because their output for this as_of was missing. */
  ran_dependencies: JobSummary[];
  [extra: string]: unknown;
}

export interface JobRunner {
  /**
   * Runs a job (or `all`) for an as_of (epoch ms), with its missing dependencies first. `stopping`: asked
   * between the jobs of `all`; once true, the jobs not yet started are left to the next run.
   */
  run(name: JobName | 'all', asOf: number, stopping?: () => boolean): Promise<JobSummary | JobSummary[]>;
}

export interface JobRunnerDeps {
  clickhouse: ClickHouseClient;
  config: Config;
  log: Logger;
  metrics?: Metrics;
  /** A job's run committed (journeys enter the profiles the lifecycle job moved); a failure is logged, not a failed run. */
  onJobRun?: (job: JobName, asOf: number) => Promise<void>;
}

/**
 * Runs the scheduled SQL jobs, each recorded in job_runs (running, then succeeded or failed with the
 * error). Runs are serialized in this process: two runs of one job for one as_of must not interleave
 * their delete and insert.
 */
export function createJobRunner(deps: JobRunnerDeps): JobRunner {
  const { clickhouse, config, log, metrics } = deps;
  const database = config.CLICKHOUSE_DATABASE;
  const serial = oneAtATime();

  async function runOne(name: JobName, asOf: number, withDependencies: boolean): Promise<JobSummary> {
    const job = JOBS[name];
    const ranDependencies: JobSummary[] = [];
    if (withDependencies) {
      for (const dep of job.dependsOn) {
        if (!(await hasSucceeded(clickhouse, database, dep, asOf))) ranDependencies.push(await runOne(dep, asOf, true));
      }
    }
    const startedAt = Date.now();
    const runId = await recordRun(clickhouse, database, { job: name, asOf, startedAt, status: 'running' });
    const end = metrics?.jobSeconds.startTimer({ job: name });
    try {
      const extra = await job.run({ clickhouse, config, log, database }, asOf);
      const rs = await clickhouse.query({
        query: `SELECT count() AS n FROM ${database}.${job.table} WHERE as_of = {as_of:DateTime64(3, 'UTC')}`,
        query_params: { as_of: chTime(asOf) },
        format: 'JSONEachRow',
      });
      const rows = Number((await rs.json<{ n: string | number }>())[0]?.n ?? 0);
      const finishedAt = Date.now();
      const summary: JobSummary = { job: name, as_of: new Date(asOf).toISOString(), status: 'succeeded', rows, duration_ms: finishedAt - startedAt, ...extra, ran_dependencies: ranDependencies };
      await recordRun(clickhouse, database, { runId, job: name, asOf, startedAt, finishedAt, status: 'succeeded', rows, summary });
      metrics?.jobRuns.inc({ job: name, status: 'succeeded' });
      metrics?.jobLastSuccess.set({ job: name }, finishedAt / 1000);
      log.info({ job: name, asOf: summary.as_of, rows, durationMs: summary.duration_ms }, 'job succeeded');
      await deps.onJobRun?.(name, asOf).catch((err: unknown) => log.error({ job: name, err }, 'could not hand the run on'));
      return summary;
    } catch (err) {
      metrics?.jobRuns.inc({ job: name, status: 'failed' });
      await recordRun(clickhouse, database, { runId, job: name, asOf, startedAt, finishedAt: Date.now(), status: 'failed', error: (err as Error).message }).catch(() => {});
      log.error({ job: name, err }, 'job failed');
      throw err;
    } finally {
      end?.();
    }
  }

  return {
    run(name, asOf, stopping = () => false) {
      return serial(async () => {
        if (name !== 'all') return runOne(name, asOf, true);
        const out: JobSummary[] = [];
        for (const job of JOB_NAMES) {
          // A process stopping finishes the job it is in, not the whole chain (minutes on a big shop): each job
          // is recorded on its own, and the next scheduled run does the rest.
          if (stopping()) {
            deps.log.info({ asOf: new Date(asOf).toISOString(), notStarted: JOB_NAMES.slice(JOB_NAMES.indexOf(job)) }, 'stopping: the rest of `all` is left to the next run');
            break;
          }
          out.push(await runOne(job, asOf, false));
        }
        return out;
      });
    },
  };
}
