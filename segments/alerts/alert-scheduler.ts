import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Config } from '../../pipeline/core/config.js';
import type { Logger } from '../../pipeline/core/logger.js';
import { QUEUE_NAMES, queuePrefix } from '../../pipeline/redis/key-names.js';
import type { AlertEvaluator } from './alert-evaluator.js';
import { boundedWorkerClose } from '../../pipeline/redis/worker-close.js';

const SCHEDULER_ID = 'alerts-every-minute';

/** The minute a scheduled job stands for: the instant the scheduler planned it for, not when it ran. */
export function scheduledMinute(job: Pick<Job, 'opts' | 'timestamp'>): number {
  return Math.floor((job.opts.prevMillis ?? job.timestamp) / 60_000) * 60_000;
}

/**
 * The alerts' clock, in the scheduler role: a BullMQ Job Scheduler on the `alerts` queue makes one job per
 * minute (cron `* * * * *`), whose id (`repeat:alerts-every-minute:<the minute, epoch ms>`) is the same in
 * every process, so any number of schedulers make one job per minute; a worker (concurrency 1) evaluates the
 * minute it was planned for. A failed evaluation is retried a few times; a minute is never evaluated twice
 * (the state transition refuses a minute already applied).
 */
export async function startAlertScheduler(connection: ConnectionOptions, config: Pick<Config, 'QUEUE_PREFIX'>, evaluator: AlertEvaluator, log: Logger) {
  const queue = new Queue(QUEUE_NAMES.alerts, { connection, prefix: queuePrefix(config.QUEUE_PREFIX, QUEUE_NAMES.alerts) });
  await queue.upsertJobScheduler(
    SCHEDULER_ID,
    { pattern: '* * * * *', tz: 'UTC' },
    { name: 'evaluate', opts: { attempts: 3, backoff: { type: 'fixed', delay: 5_000 }, removeOnComplete: 100, removeOnFail: 1000 } },
  );
  const worker = new Worker(QUEUE_NAMES.alerts, async (job) => {
    const outcomes = await evaluator.evaluate(scheduledMinute(job));
    return { alerts: outcomes.length, changed: outcomes.filter((o) => o.changed).map((o) => `${o.id}: ${o.state}`) };
  }, { connection, prefix: queuePrefix(config.QUEUE_PREFIX, QUEUE_NAMES.alerts), concurrency: 1, lockDuration: 5 * 60_000 });
  worker.on('failed', (job, err) => log.error({ jobId: job?.id, err: err.message }, 'alert evaluation failed'));
  worker.on('error', (err) => log.error({ err }, 'alert worker error'));
  const closeWorker = boundedWorkerClose(worker, log);
  return {
    /** `force`: Redis is gone, so do not wait for the running evaluation (its lock expires and it is retried). */
    async close(force = false) {
      await closeWorker(force);
      await queue.close();
    },
  };
}
