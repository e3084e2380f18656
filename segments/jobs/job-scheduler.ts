import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Config } from '../../pipeline/core/config.js';
import type { Logger } from '../../pipeline/core/logger.js';
import { QUEUE_NAMES, queuePrefix } from '../../pipeline/redis/key-names.js';
import type { JobRunner } from './job-runner.js';
import { boundedWorkerClose } from '../../pipeline/redis/worker-close.js';

/**
 * The scheduler role: a BullMQ Job Scheduler (cron JOBS_CRON in JOBS_TIME_ZONE) enqueues `all`, and a
 * worker with concurrency 1 runs it for as_of = the time it was scheduled for. Upserting the scheduler is
 * idempotent, so any number of scheduler processes agree on one schedule.
 */
export async function startJobScheduler(connection: ConnectionOptions, config: Config, runner: JobRunner, log: Logger) {
  const queue = new Queue(QUEUE_NAMES.jobs, { connection, prefix: queuePrefix(config.QUEUE_PREFIX, QUEUE_NAMES.jobs) });
  await queue.upsertJobScheduler(
    'all-jobs',
    { pattern: config.JOBS_CRON, tz: config.JOBS_TIME_ZONE },
    { name: 'all', opts: { removeOnComplete: 100, removeOnFail: 1000 } },
  );
  let stopping = false;
  const worker = new Worker(
    QUEUE_NAMES.jobs,
    async (job) => runner.run('all', job.opts.timestamp ?? job.timestamp ?? Date.now(), () => stopping),
    { connection, prefix: queuePrefix(config.QUEUE_PREFIX, QUEUE_NAMES.jobs), concurrency: 1, lockDuration: 10 * 60 * 1000 },
  );
  worker.on('failed', (job, err) => log.error({ jobId: job?.id, err: err.message }, 'scheduled jobs run failed'));
  const closeWorker = boundedWorkerClose(worker, log);
  log.info({ cron: config.JOBS_CRON, timeZone: config.JOBS_TIME_ZONE }, 'job scheduler started');
  return {
    /** `force`: Redis is gone, so do not wait for the running job (its lock expires and it runs again). */
    async close(force = false) {
      stopping = true;
      await closeWorker(force);
      await queue.close();
    },
  };
}
