import type { DestinationStore } from './destination-store.js';
import type { WebhookQueue } from './webhook-queue.js';

export interface DeadLetter {
  delivery_id: string;
  destination_id: string;
  segment_id: string;
  seq: number;
  batch: number;
  attempts: number;
  failed_at: string | null;
  reason: string;
}

/** Deliveries that used up their attempts (BullMQ's failed set), optionally of one destination. */
export async function listDeadLetters(queue: WebhookQueue, destinationId?: string): Promise<DeadLetter[]> {
  const jobs = await queue.getFailed(0, -1);
  return jobs
    .filter((job) => destinationId === undefined || job.data.destination_id === destinationId)
    .map((job) => ({
      delivery_id: job.id!,
      destination_id: job.data.destination_id,
      segment_id: job.data.segment_id,
      seq: job.data.seq,
      batch: job.data.batch,
      attempts: job.attemptsMade,
      failed_at: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      reason: job.failedReason,
    }));
}

/**
 * Puts dead-lettered deliveries back in the queue with fresh attempts, under their own delivery ids. Only
 * deliveries of destinations that exist and are enabled are replayed; the others are counted as skipped.
 */
export async function replayDeadLetters(queue: WebhookQueue, destinations: DestinationStore, filter: { destinationId?: string; deliveryId?: string }): Promise<{ replayed: number; skipped: number }> {
  const jobs = filter.deliveryId !== undefined ? [await queue.getJob(filter.deliveryId)].filter((j) => j !== undefined) : await queue.getFailed(0, -1);
  let replayed = 0;
  let skipped = 0;
  for (const job of jobs) {
    if (filter.destinationId !== undefined && job.data.destination_id !== filter.destinationId) continue;
    if ((await job.getState()) !== 'failed') continue;
    const destination = await destinations.get(job.data.destination_id);
    if (!destination || destination.disabled_at !== null) {
      skipped++;
      continue;
    }
    await job.retry('failed', { resetAttemptsMade: true });
    replayed++;
  }
  return { replayed, skipped };
}
