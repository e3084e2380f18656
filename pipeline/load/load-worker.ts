import type { ConnectionOptions } from 'bullmq';
import type { Config } from '../core/config.js';
import type { LoadJobData } from '../core/load-job.js';
import { QUEUE_NAMES, queuePrefix } from '../redis/key-names.js';
import { BACKOFF_TYPE, retryDelay } from '../redis/load-queue.js';
import type { Loader } from './loader.js';
import { WorkerWithoutPrefetch } from './worker-without-prefetch.js';
import type { Logger } from '../core/logger.js';
import { boundedWorkerClose } from '../redis/worker-close.js';

export type WorkerConfig = Pick<
  Config,
  'QUEUE_PREFIX' | 'WORKER_CONCURRENCY' | 'WORKER_LOCK_DURATION_MS' | 'WORKER_STALLED_INTERVAL_MS' | 'LOAD_RETRY_BASE_DELAY_MS' | 'LOAD_RETRY_MAX_DELAY_MS'
>;

/**
 * The BullMQ side of loading: up to WORKER_CONCURRENCY jobs are held at once and handed to the loader,
 * which inserts them together. A failed job is retried with capped exponential backoff (hours, by
 * default) and lands in the failed set — our dead letters — after its last attempt.
 */
export function startLoadWorker(connection: ConnectionOptions, config: WorkerConfig, loader: Loader, log: Logger) {
  const worker = new WorkerWithoutPrefetch<LoadJobData>(QUEUE_NAMES.load, (job) => loader.add(job), {
    connection,
    prefix: queuePrefix(config.QUEUE_PREFIX, QUEUE_NAMES.load),
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: config.WORKER_LOCK_DURATION_MS,
    stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
    // A job whose worker died is put back to wait; one that keeps killing workers ends in the dead letters.
    maxStalledCount: 10,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string) => {
        if (type !== BACKOFF_TYPE) throw new Error(`unknown backoff type ${type}`);
        return retryDelay(attemptsMade, config);
      },
    },
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const last = job.attemptsMade >= (job.opts.attempts ?? 1);
    log[last ? 'error' : 'warn']({ jobId: job.id, attemptsMade: job.attemptsMade, err: err.message }, last ? 'load job moved to the dead letters' : 'load job failed; will retry');
  });
  worker.on('error', (err) => log.error({ err }, 'load worker error'));
  return { close: boundedWorkerClose(worker, log) };
}
