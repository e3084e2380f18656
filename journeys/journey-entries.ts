import type { Job } from 'bullmq';
import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';
import { chTime } from '../pipeline/clickhouse/ch-time.js';
import type { LoadedEvent } from '../pipeline/load/load-batch.js';
import { survivingProfile } from '../identity/surviving-profile.js';
import type { SegmentRunCommitted } from '../segments/membership/membership-runner.js';
import { eventsOf, type JourneyEntry } from './journey-definition.js';
import type { JourneyEngine } from './journey-engine.js';
import { addJob, jobIds, type JourneyJobs, type JourneyQueue, type JourneyTrigger } from './journey-queue.js';
import type { JourneyStore } from './journey-store.js';

// How profiles reach the journeys: loaded events (the loader's hook), committed segment runs, the lifecycle
// job's transitions, and each day's date entries. The hooks only queue: the loader, the membership runner and
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

/** A day `daysAhead` days after `now`, as month and day in the time zone. */
export function localMonthDay(now: number, daysAhead: number, timeZone: string): { month: number; day: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, month: 'numeric', day: 'numeric' }).formatToParts(new Date(now + daysAhead * 86_400_000));
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { month: part('month'), day: part('day') };
}

/** Keeps a journey's daily date-entry schedule as its definition says: at `at` in the time zone, or none. */
export async function syncDateSchedule(queue: JourneyQueue, journeyId: string, entry: JourneyEntry | undefined, timeZone: string): Promise<void> {
  const id = jobIds.dateScheduler(journeyId);
  if (!entry || !('date_trait' in entry)) {
    await queue.removeJobScheduler(id);
    return;
  }
  const [hour, minute] = entry.at.split(':').map(Number);
  await queue.upsertJobScheduler(id, { pattern: `0 ${minute} ${hour} * * *`, tz: timeZone }, { name: 'date', data: { j: journeyId }, opts: { removeOnComplete: true, removeOnFail: 100 } });
}

export interface EntryHandlerDeps {
  engine: JourneyEngine;
  store: JourneyStore;
  clickhouse: ClickHouseClient;
  database: string;
  /** JOURNEYS_TIME_ZONE: date entries' days. */
  timeZone: string;
}

/** The entry jobs of the journeys queue. */
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
    async date(job: Job<JourneyJobs['date']>) {
      const j = await store.get(job.data.j);
      if (!j || j.paused || !('date_trait' in j.entry)) return;
      const { month, day } = localMonthDay(Date.now(), j.entry.days_before, deps.timeZone);
      // The trait's latest value under the surviving profile, as the segment language reads a trait.
      const s = survivingProfile(db, 't');
      const due = await profiles(
        `SELECT profile_id FROM (
  SELECT survivor AS profile_id, toDate(parseDateTimeBestEffortOrNull(value)) AS d
  FROM (SELECT ${s.profileId} AS survivor, argMax(t.value, (t.timestamp, t.received_at)) AS value FROM ${db}.profile_traits AS t ${s.join} WHERE t.trait = {trait:String} GROUP BY survivor)
) WHERE toMonth(d) = {month:UInt8} AND toDayOfMonth(d) = {day:UInt8} ORDER BY profile_id`,
        { trait: j.entry.date_trait, month, day },
      );
      await engine.enter(j, due, Date.now());
    },
  };
}
