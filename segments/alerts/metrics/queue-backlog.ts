import type { MetricContext } from './metric-context.js';

// The pipeline's queues as they stand when the metric is read: these have no past to read, whatever
// minute is being evaluated.

/** Load jobs (group commits) waiting for a worker. */
export async function queueWaiting(ctx: MetricContext): Promise<number> {
  return ctx.loadQueue.getWaitingCount();
}

/** Deliveries that used up their attempts and wait to be replayed: audience webhooks', event destinations', alerts'. */
export async function deadLetters(ctx: MetricContext): Promise<number> {
  const counts = await Promise.all(ctx.deadLetterCounts.map((count) => count()));
  return counts.reduce((a, b) => a + b, 0);
}
