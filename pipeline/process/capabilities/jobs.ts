import type { ClickHouseClient } from '../../clickhouse/client.js';
import { createJobRunner, type JobRunner } from '../../../segments/jobs/job-runner.js';
import { jobRoutes } from '../../../segments/jobs/job-routes.js';
import { startJobScheduler } from '../../../segments/jobs/job-scheduler.js';
import { ownClickHouse, ownRedis, type Base, type Served } from './base.js';

export interface Jobs extends Served {
  jobs: JobRunner;
  /** The jobs' own connection, which segment membership runs share: runs are long and must not hold up anything else. */
  clickhouse: ClickHouseClient;
}

/** The scheduled SQL jobs (orders, RFM, churn, ...): run on demand (`/v1/jobs/:name/run`) and, with `scheduling`, on JOBS_CRON. */
export async function startJobs(base: Base, deps: { scheduling: boolean; onJobRun?: (job: string, asOf: number) => Promise<void> }): Promise<Jobs> {
  const { config, log } = base;
  const clickhouse = await ownClickHouse(base);
  const jobs = createJobRunner({ clickhouse, config, log: log.child({ role: 'jobs' }), metrics: base.metrics, onJobRun: deps.onJobRun });
  if (deps.scheduling) {
    const scheduler = await startJobScheduler(ownRedis(base, 'worker'), config, jobs, log.child({ role: 'scheduler' }));
    base.onClose((redisGone) => scheduler.close(redisGone));
  }
  return {
    jobs,
    clickhouse,
    routes: async (app) => {
      await app.register(jobRoutes, { jobs });
    },
  };
}
