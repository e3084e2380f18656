import type { Job } from 'bullmq';
import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';
import { chTime } from '../pipeline/clickhouse/ch-time.js';
import type { LoadedEvent } from '../pipeline/load/load-batch.js';
import type { SegmentRunCommitted } from '../segments/membership/membership-runner.js';
import { eventsOf, type JourneyEntry } from './journey-definition.js';
import type { JourneyEngine } from './journey-engine.js';
import { addJob, jobIds, type JourneyJobs, type JourneyQueue, type JourneyTrigger } from './journey-queue.js';
import type { JourneyStore } from './journey-store.js';

// How profiles reach the journeys: loaded events (the loader's hook), committed segment runs and the lifecycle
// job's transitions (each day's date entries are journeys/date-entries.ts's). The hooks only queue: the loader, the membership runner and
// the job runner never wait on a journey.

/**
 * The loader's hook: the loaded track events whose name some journey (any version) names, one job per load job,
 * its id made from the load job's so a retried load queues nothing twice. The names are read again only when
 * a definition changed.
 */
export function journeyFanOut(store: JourneyStore, queue: JourneyQueue): (events: LoadedEvent[]) => Promise<void> {
  let seen: string | undefined;
  let names = new Set<string>();
  return async (events) => {
    if (events.length === 0) return;
    const changes = await store.changes();
    if (changes !== seen) {
      names = new Set((await store.allVersions()).flatMap(eventsOf));
      seen = changes;
    }
    if (names.size === 0) return;
    const byJob = new Map<string, JourneyTrigger[]>();
    for (const { e, jobId, profileId } of events) {
      if (e.type !== 'track' || profileId === '' || e.event === undefined || !names.has(e.event)) continue;
      const list = byJob.get(jobId) ?? [];
      byJob.set(jobId, list);
      list.push({ p: profileId, event: e.event, messageId: e.messageId, r: e.receivedAt, timestamp: e.timestamp, properties: e.properties ?? {} });
    }
    await Promise.all([...byJob].map(([jobId, list]) => addJob(queue, 'events', { events: list }, jobIds.events(jobId))));
  };
}

const entering = async (store: JourneyStore, is: (entry: JourneyEntry) => boolean) => (await store.list()).filter((j) => !j.paused && is(j.entry));

/** The membership runner's hook: a committed run that entered profiles into a segment some journey enters from. */
export function journeySegmentHook(store: JourneyStore, queue: JourneyQueue): (run: SegmentRunCommitted) => Promise<void> {
  return async (run) => {
    if (run.entered === 0) return;
    if ((await entering(store, (e) => 'segment' in e && e.segment === run.segmentId)).length === 0) return;
    await addJob(queue, 'segment', { segment: run.segmentId, seq: run.seq }, jobIds.segment(run.segmentId, run.seq));
  };
}

/** The job runner's hook: a committed lifecycle run, when some journey enters on a lifecycle transition. */
export function journeyJobHook(store: JourneyStore, queue: JourneyQueue): (job: string, asOf: number) => Promise<void> {
  return async (job, asOf) => {
    if (job !== 'lifecycle') return;
    if ((await entering(store, (e) => 'lifecycle' in e)).length === 0) return;
    await addJob(queue, 'lifecycle', { as_of: asOf }, jobIds.lifecycle(asOf));
  };
}

export interface EntryHandlerDeps {
  engine: JourneyEngine;
  store: JourneyStore;
  clickhouse: ClickHouseClient;
  database: string;
}

/** The entry jobs of the journeys queue (but the date entries). */
export function entryHandlers(deps: EntryHandlerDeps) {
  const { engine, store, clickhouse, database: db } = deps;
  const profiles = async (query: string, params: Record<string, unknown>) =>
    (await (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<{ profile_id: string }>()).map((r) => r.profile_id);

  return {
    async events(job: Job<JourneyJobs['events']>) {
      await engine.onEvents(job.data.events);
    },
    async segment(job: Job<JourneyJobs['segment']>) {
      const { segment, seq } = job.data;
      const journeys = await entering(store, (e) => 'segment' in e && e.segment === segment);
      if (journeys.length === 0) return;
      const entered = await profiles(`SELECT profile_id FROM ${db}.segment_changes WHERE segment_id = {segment:String} AND seq = {seq:UInt64} AND change = 'entered' ORDER BY profile_id`, { segment, seq });
      for (const j of journeys) await engine.enter(j, entered, Date.now());
    },
    async lifecycle(job: Job<JourneyJobs['lifecycle']>) {
      const journeys = await entering(store, (e) => 'lifecycle' in e);
      for (const j of journeys) {
        if (!('lifecycle' in j.entry)) continue;
        const moved = await profiles(
          `SELECT profile_id FROM ${db}.lifecycle_transitions WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND to_stage = {to:String} AND from_stage != to_stage ORDER BY profile_id`,
          { as_of: chTime(job.data.as_of), to: j.entry.lifecycle.to },
        );
        await engine.enter(j, moved, Date.now());
      }
    },
  };
}
