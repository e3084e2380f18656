import type { Metrics } from '../core/metrics.js';
import type { QueueDepth } from './dashboard-types.js';

/**
 * Load jobs by state, as the api role samples them every second into `cdp_queue_jobs` (the same figure
 * /metrics shows). Null in a process without the api role: it never samples the queue.
 */
export async function queueDepth(metrics: Metrics): Promise<QueueDepth | null> {
  const { values } = await metrics.queueJobs.get();
  if (values.length === 0) return null;
  const state = (name: keyof QueueDepth) => values.find((v) => v.labels.state === name)?.value ?? 0;
  return { waiting: state('waiting'), active: state('active'), delayed: state('delayed'), failed: state('failed') };
}
