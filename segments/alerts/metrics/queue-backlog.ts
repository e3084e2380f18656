import type { MetricContext } from './metric-context.js';

// The pipeline's queues as they stand when the metric is read: these have no past to read, whatever
// minute is being evaluated.

/** Load jobs (group commits) waiting for a worker. */
export async function queueWaiting(ctx: MetricContext): Promise<number> {
  return ctx.loadQueue.getWaitingCount();
}

/** Deliveries that used up their attempts (failed jobs) in the audience webhook and alert delivery queues. */
export async function deadLetters(ctx: MetricContext): Promise<number> {
  const counts = await Promise.all(ctx.deliveryQueues.map((q) => q.getFailedCount()));
  return counts.reduce((a, b) => a + b, 0);
}
