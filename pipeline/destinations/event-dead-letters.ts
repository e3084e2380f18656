import type { Job } from 'bullmq';
import type { EventJobData, EventQueue } from './event-queue.js';

/** A dead-lettered delivery of an event destination: its events wait in the queue's failed set until replayed. */
export interface EventDeadLetter {
  delivery_id: string;
  events: number;
  failed_at: string | null;
  reason: string;
}

/** Queue order: by queuing time, then by id (jobs queued together are numbered in order). */
const inQueueOrder = (a: Job<EventJobData>, b: Job<EventJobData>) => a.timestamp - b.timestamp || String(a.id).localeCompare(String(b.id), 'en', { numeric: true });

/** The destination's dead letters, one per delivery, oldest first. */
export async function listEventDeadLetters(queue: EventQueue): Promise<EventDeadLetter[]> {
  const jobs = (await queue.getFailed(0, -1)).sort(inQueueOrder);
  const byDelivery = new Map<string, EventDeadLetter>();
  for (const job of jobs) {
    const id = job.data.delivery_id ?? job.id!;
    const found = byDelivery.get(id);
    if (found) found.events += job.data.events.length;
    else byDelivery.set(id, { delivery_id: id, events: job.data.events.length, failed_at: job.finishedOn ? new Date(job.finishedOn).toISOString() : null, reason: job.failedReason });
  }
  return [...byDelivery.values()];
}

/**
 * Puts dead-lettered deliveries (all, or one) back in the destination's queue, oldest first; each goes out
 * again under its own delivery id, with its events, after what was queued before the replay.
 */
export async function replayEventDeadLetters(queue: EventQueue, deliveryId?: string): Promise<{ replayed: number }> {
  const jobs = (await queue.getFailed(0, -1)).filter((j) => deliveryId === undefined || (j.data.delivery_id ?? j.id) === deliveryId).sort(inQueueOrder);
  const deliveries = new Set<string>();
  for (const job of jobs) {
    await job.retry('failed', { resetAttemptsMade: true });
    deliveries.add(job.data.delivery_id ?? job.id!);
  }
  return { replayed: deliveries.size };
}
