import type { EnrichedEvent, LoadJobData, RejectedEvent } from '../core/load-job.js';
import type { ConsentRow } from '../../identity/consent/consent-rows.js';
import type { IdentityRows } from '../../identity/identity-rows.js';
import type { ResolveInput, Resolution } from '../../identity/resolver.js';
import type { EventRow, RejectedRow, ViolationRow } from './event-row.js';

// What the load steps (pipeline/load/steps/) hand each other: one group of jobs on its way to ClickHouse.
// Each step takes the batch with its events at one stage and returns it with them at the next; what a step
// sets aside (duplicates, deleted customers' events, events refused at load) is counted or kept here.

/** What the loader needs of a queued job (a BullMQ Job satisfies it). */
export interface LoadableJob {
  id?: string;
  data: LoadJobData;
  /** How many times the job was moved to active; above 1 its rows may already be in ClickHouse. */
  attemptsStarted: number;
}

/** An accepted event with the job that carries it. */
export interface QueuedEvent {
  e: EnrichedEvent;
  job: LoadableJob;
}

/** An item the tracking API refused, carried in a job on its way to rejected_events. */
export interface QueuedRefusal {
  r: RejectedEvent;
  job: LoadableJob;
}

/** Stages of an event, in the order the steps take it through them. */
export interface IdentifiedEvent {
  entry: QueuedEvent;
  input: ResolveInput;
}
export interface ResolvedEvent {
  entry: QueuedEvent;
  resolution: Resolution;
  /** Its profile_consent rows are in ClickHouse already (an earlier attempt inserted them, not its event). */
  consentLoaded?: boolean;
}
export interface EventRows {
  entry: QueuedEvent;
  event: EventRow;
  identity: IdentityRows;
  /** What the event's tracking plan found wrong with it (tracking_violations). */
  violations: ViolationRow[];
  /** The consent the event states, one row per category (profile_consent). */
  consent: ConsentRow[];
}

export interface LoadBatch<Event> {
  jobs: LoadableJob[];
  /** The jobs' rows may be in ClickHouse already (their group failed after some inserts). */
  mayBeLoaded: boolean;
  /** The events still on their way, at the stage of the step that has the batch. */
  events: Event[];
  refusals: QueuedRefusal[];
  /** Events refused at load (their own fault), as rejected_events rows, in the order they were refused. */
  refusedAtLoad: RejectedRow[];
  /** Events dropped as repeats of a message seen within the dedupe window. */
  duplicates: number;
  /** Events and refused items dropped because they carry a deleted customer's identifier. */
  suppressed: number;
  /** Events of jobs seen before that are in ClickHouse already: not inserted again, but still sent to the destinations. */
  alreadyLoaded: ResolvedEvent[];
}

/** The steps' result, ready for the inserts. */
export interface PreparedBatch {
  jobs: LoadableJob[];
  rows: EventRows[];
  /** The jobs' refused items, then the events refused at load. */
  rejectedRows: RejectedRow[];
  duplicates: number;
  suppressed: number;
  alreadyLoaded: ResolvedEvent[];
}

/** An event in ClickHouse with its profile, once its group is loaded: what goes out to the event destinations. */
export interface LoadedEvent {
  e: EnrichedEvent;
  /** The load job that carried it. */
  jobId: string;
  profileId: string;
}

/**
 * The events of a loaded batch, in load order (job by job, each in its own order): those inserted now, except
 * the ones refused at load, and those a retried job found already in ClickHouse.
 */
export function loadedEvents(p: PreparedBatch, refused: ReadonlySet<QueuedEvent>): LoadedEvent[] {
  const profileOf = new Map<string, string>();
  const key = (jobId: string | undefined, messageId: string) => `${jobId}\u001f${messageId}`;
  for (const r of p.rows) if (!refused.has(r.entry)) profileOf.set(key(r.entry.job.id, r.entry.e.messageId), r.event.profile_id);
  for (const r of p.alreadyLoaded) profileOf.set(key(r.entry.job.id, r.entry.e.messageId), r.resolution.profileId);
  const out: LoadedEvent[] = [];
  for (const job of p.jobs) {
    for (const e of job.data.events) {
      const k = key(job.id, e.messageId);
      const profileId = profileOf.get(k);
      if (profileId === undefined) continue;
      // A messageId twice in one job loads once (dedupe): it goes out once.
      profileOf.delete(k);
      out.push({ e, jobId: job.id ?? '', profileId });
    }
  }
  return out;
}

/** The batch of a group of jobs, before any step. */
export function openBatch(jobs: LoadableJob[], mayBeLoaded: boolean): LoadBatch<QueuedEvent> {
  return {
    jobs,
    mayBeLoaded,
    events: jobs.flatMap((job) => job.data.events.map((e) => ({ e, job }))),
    refusals: jobs.flatMap((job) => job.data.rejected.map((r) => ({ r, job }))),
    refusedAtLoad: [],
    duplicates: 0,
    suppressed: 0,
    alreadyLoaded: [],
  };
}
