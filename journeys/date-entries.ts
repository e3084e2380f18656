import type { Job } from 'bullmq';
import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';
import { survivingProfile } from '../identity/surviving-profile.js';
import type { JourneyEntry } from './journey-definition.js';
import type { JourneyEngine } from './journey-engine.js';
import { jobIds, type JourneyJobs, type JourneyQueue } from './journey-queue.js';
import type { JourneyStore } from './journey-store.js';

// Date entries: every day at `at` in JOURNEYS_TIME_ZONE (a BullMQ Job Scheduler per journey), the profiles whose
// date trait falls `days_before` days later, by month and day, enter.

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

/** The date entry job: the journey's profiles due today enter (a paused or changed journey: none). */
export function dateEntries(deps: { engine: JourneyEngine; store: JourneyStore; clickhouse: ClickHouseClient; database: string; timeZone: string }) {
  const db = deps.database;
  return async (job: Job<JourneyJobs['date']>): Promise<void> => {
    const j = await deps.store.get(job.data.j);
    if (!j || j.paused || !('date_trait' in j.entry)) return;
    const { month, day } = localMonthDay(Date.now(), j.entry.days_before, deps.timeZone);
    // The trait's latest value under the surviving profile, as the segment language reads a trait.
    const s = survivingProfile(db, 't');
    const rs = await deps.clickhouse.query({
      query: `SELECT profile_id FROM (
  SELECT survivor AS profile_id, toDate(parseDateTimeBestEffortOrNull(value)) AS d
  FROM (SELECT ${s.profileId} AS survivor, argMax(t.value, (t.timestamp, t.received_at)) AS value FROM ${db}.profile_traits AS t ${s.join} WHERE t.trait = {trait:String} GROUP BY survivor)
) WHERE toMonth(d) = {month:UInt8} AND toDayOfMonth(d) = {day:UInt8} ORDER BY profile_id`,
      query_params: { trait: j.entry.date_trait, month, day },
      format: 'JSONEachRow',
    });
    await deps.engine.enter(j, (await rs.json<{ profile_id: string }>()).map((r) => r.profile_id), Date.now());
  };
}
