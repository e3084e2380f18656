import type { EventDestinationStore } from './event-destination-store.js';
import type { EventQueues } from './event-queues.js';

/** States of the jobs a deletion edits: every one but completed (gone already). Active jobs are re-read by their delivery before each attempt. */
const STATES = ['wait', 'delayed', 'prioritized', 'failed', 'active'] as const;

/**
 * Takes a deleted customer's events (by the profiles they were loaded under: the customer's and every one
 * merged into it) out of every event destination's queue and dead letters. A job left empty is removed, or,
 * held by a delivery, emptied (the delivery then sends nothing). Answers how many events were taken out.
 */
export async function redactDestinationQueues(destinations: EventDestinationStore, queues: EventQueues, profiles: readonly string[]): Promise<number> {
  const gone = new Set(profiles);
  let removed = 0;
  for (const d of await destinations.list()) {
    const queue = queues.of(d.id);
    for (const job of await queue.getJobs([...STATES])) {
      if (!job?.data) continue;
      const kept = job.data.events.filter((e) => !gone.has(e.p));
      if (kept.length === job.data.events.length) continue;
      removed += job.data.events.length - kept.length;
      const state = await job.getState();
      if (kept.length === 0 && state !== 'active') await job.remove();
      else await job.updateData({ ...job.data, events: kept });
    }
  }
  return removed;
}
