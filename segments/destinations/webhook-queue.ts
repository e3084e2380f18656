import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Config } from '../../pipeline/core/config.js';
import { QUEUE_NAMES, queuePrefix } from '../../pipeline/redis/key-names.js';

/** One delivery: a batch of one run's changes for one destination. */
export interface WebhookJobData {
  destination_id: string;
  segment_id: string;
  seq: number;
  /** The run's as_of (epoch ms). */
  as_of: number;
  batch: number;
  /** Kept in the job so a replay after a configuration change still reads the same rows. */
  batch_size: number;
  /**
   * The batch's changes are those with after < profile_id ≤ upto (no upper bound when `upto` is absent), the
   * bounds read when the run was queued: rows deleted later (a customer erased) leave their batch smaller
   * instead of shifting every later batch. Absent in jobs queued before bounds were kept: those page by offset.
   */
  after?: string;
  upto?: string;
}

/**
 * The delivery id, also the BullMQ job id: the same changes always travel under the same id, however often
 * they are retried, replayed or enqueued again. The destination fixes the segment, so the id is
 * `<destination>.<seq>.<batch>` (BullMQ refuses ids with ':', and segment ids may contain anything).
 */
export function deliveryId(destinationId: string, seq: number, batch: number): string {
  return `${destinationId}.${seq}.${batch}`;
}

export type WebhookQueueConfig = Pick<Config, 'QUEUE_PREFIX' | 'WEBHOOK_ATTEMPTS' | 'WEBHOOK_BACKOFF_MS'>;

export function webhookJobOptions(config: WebhookQueueConfig): JobsOptions {
  return {
    attempts: config.WEBHOOK_ATTEMPTS,
    backoff: { type: 'exponential', delay: config.WEBHOOK_BACKOFF_MS },
    // Completed jobs are kept a day so that enqueuing a run again is a no-op rather than a second delivery.
    removeOnComplete: { age: 24 * 3600 },
    // Failed jobs are the dead letters: kept until replayed.
    removeOnFail: false,
  };
}

export function createWebhookQueue(connection: ConnectionOptions, config: WebhookQueueConfig) {
  return new Queue<WebhookJobData>(QUEUE_NAMES.webhooks, { connection, prefix: queuePrefix(config.QUEUE_PREFIX, QUEUE_NAMES.webhooks), defaultJobOptions: webhookJobOptions(config) });
}

export type WebhookQueue = ReturnType<typeof createWebhookQueue>;
