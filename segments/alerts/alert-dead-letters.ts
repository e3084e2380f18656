import type { AlertDeliveryQueue } from './alert-delivery-queue.js';

/**
 * Puts an alert's dead-lettered deliveries (those that used up their attempts), or the one named, back in
 * the queue with fresh attempts under their own delivery ids.
 */
export async function replayAlertDeliveries(queue: AlertDeliveryQueue, alertId: string, deliveryId?: string): Promise<{ replayed: number }> {
  const jobs = deliveryId !== undefined ? [await queue.getJob(deliveryId)].filter((j) => j !== undefined) : await queue.getFailed(0, -1);
  let replayed = 0;
  for (const job of jobs) {
    if (job.data.alert_id !== alertId || (await job.getState()) !== 'failed') continue;
    await job.retry('failed', { resetAttemptsMade: true });
    replayed++;
  }
  return { replayed };
}
