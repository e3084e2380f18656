import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Config } from '../core/config.js';
import type { LoadJobData } from '../core/load-job.js';
import { QUEUE_NAMES, queuePrefix } from './key-names.js';

export const BACKOFF_TYPE = 'capped-exponential';

export function loadJobOptions(config: Pick<Config, 'LOAD_RETRY_ATTEMPTS'>): JobsOptions {
  return {
    attempts: config.LOAD_RETRY_ATTEMPTS,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: true,
    // Failed jobs are the dead-letter set: kept until `cdp dlq replay` (or an operator) deals with them.
    removeOnFail: false,
  };
}

/** Delay before retry number `attemptsMade`: doubling from the base delay, capped. */
export function retryDelay(attemptsMade: number, config: Pick<Config, 'LOAD_RETRY_BASE_DELAY_MS' | 'LOAD_RETRY_MAX_DELAY_MS'>): number {
  const exp = Math.min(attemptsMade - 1, 30);
  return Math.min(config.LOAD_RETRY_MAX_DELAY_MS, config.LOAD_RETRY_BASE_DELAY_MS * 2 ** Math.max(0, exp));
}

export function createLoadQueue(connection: ConnectionOptions, config: Pick<Config, 'QUEUE_PREFIX' | 'LOAD_RETRY_ATTEMPTS'>) {
  return new Queue<LoadJobData>(QUEUE_NAMES.load, {
    connection,
    prefix: queuePrefix(config.QUEUE_PREFIX, QUEUE_NAMES.load),
    defaultJobOptions: loadJobOptions(config),
  });
}

export type LoadQueue = ReturnType<typeof createLoadQueue>;
