import type { JourneyInstances } from './journey-instances.js';
import type { JourneyQueue, JourneyTrigger, StepJob } from './journey-queue.js';
import type { JourneyStore } from './journey-store.js';

/** States of the jobs a deletion edits: every one but completed (gone already) and active (it finds its instance gone). */
const STATES = ['wait', 'delayed', 'prioritized', 'failed'] as const;

/**
 * A deleted customer's part in the journeys, by the profile ids they were loaded under: their instances,
 * goal watches and re-entry history go, then their pending steps and timeouts, and their events on the way to
 * the engine. Answers how many instances ended. journey_events rows go with the other tables (profile_id).
 */
export async function forgetJourneyProfiles(store: JourneyStore, instances: JourneyInstances, queue: JourneyQueue, profiles: readonly string[]): Promise<number> {
  const gone = new Set(profiles);
  const ended = await instances.forget(profiles, (await store.list()).map((j) => j.id));
  for (const job of await queue.getJobs([...STATES])) {
    if (!job?.data) continue;
    if (job.name === 'events') {
      const events = job.data.events as JourneyTrigger[];
      const kept = events.filter((e) => !gone.has(e.p));
      if (kept.length === events.length) continue;
      if (kept.length === 0) await job.remove();
      else await job.updateData({ events: kept });
    } else if ((job.name === 'step' || job.name === 'timeout') && gone.has((job.data as StepJob).p)) {
      await job.remove();
    }
  }
  return ended;
}
