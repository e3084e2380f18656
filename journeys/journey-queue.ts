import { Queue, type ConnectionOptions } from 'bullmq';
import { QUEUE_NAMES, queuePrefix } from '../pipeline/redis/key-names.js';

// The journeys' one BullMQ queue: every step is a job, a wait is a delayed job (durable in Redis: a restarted
// product takes it up when it is due), and the entries and loaded events reach the engine through it.

/** A step of an instance to run: the instance, where (step and visit), and for deletion its profile. */
export interface StepJob {
  i: string;
  j: string;
  p: string;
  s: string;
  v: number;
}

/** A loaded track event that some journey names (entry, exit_on, goal or wait_for). */
export interface JourneyTrigger {
  p: string;
  event: string;
  messageId: string;
  /** When the tracking API answered 200 for it (epoch ms). */
  r: number;
  timestamp: number;
  properties: Record<string, unknown>;
}

export interface JourneyJobs {
  step: StepJob;
  timeout: StepJob;
  events: { events: JourneyTrigger[] };
  segment: { segment: string; seq: number };
  lifecycle: { as_of: number };
  date: { j: string };
}
export type JourneyJobName = keyof JourneyJobs;

/** The attempts of a job: a send the channel refused retryably is retried with backoff, then recorded failed. */
export const JOB_ATTEMPTS = 6;
export const BACKOFF_MS = 1000;

/** BullMQ refuses ':' in job ids; ids, steps and profiles are joined with '.' (a step id has no dot). */
const safe = (s: string) => s.replace(/:/g, '_');

export const jobIds = {
  step: (d: StepJob) => safe(`step.${d.i}.${d.s}.${d.v}`),
  /** A send held by quiet hours, asked again at `until`. */
  held: (d: StepJob, until: number) => safe(`step.${d.i}.${d.s}.${d.v}.held.${until}`),
  timeout: (d: StepJob) => safe(`timeout.${d.i}.${d.s}.${d.v}`),
  events: (loadJobId: string) => safe(`events.${loadJobId}`),
  segment: (segment: string, seq: number) => safe(`segment.${segment}.${seq}`),
  lifecycle: (asOf: number) => `lifecycle.${asOf}`,
  /** The Job Scheduler of a date entry. */
  dateScheduler: (journeyId: string) => `date.${journeyId}`,
};

/** How long an entry job's id is remembered against a second add (a retried load, a segment run handed over twice). */
export const DEDUPE_MS = 3 * 24 * 3600 * 1000;

/**
 * Steps and timeouts are not remembered past their job: a step added again after its job is gone runs again,
 * which is how an instance whose step was moved but not queued (a crash between the two) is taken up again.
 */
const REMEMBERED: Record<JourneyJobName, boolean> = { step: false, timeout: false, events: true, segment: true, lifecycle: true, date: false };

export function createJourneyQueue(connection: ConnectionOptions, prefix: string) {
  return new Queue(QUEUE_NAMES.journeys, {
    connection,
    prefix: queuePrefix(prefix, QUEUE_NAMES.journeys),
    defaultJobOptions: { attempts: JOB_ATTEMPTS, backoff: { type: 'exponential', delay: BACKOFF_MS }, removeOnComplete: true, removeOnFail: 1000 },
  });
}
export type JourneyQueue = ReturnType<typeof createJourneyQueue>;

/** Adds a job under its deterministic id: nothing is added while a job of that id exists (or, for entries, within DEDUPE_MS). */
export function addJob<N extends JourneyJobName>(queue: JourneyQueue, name: N, data: JourneyJobs[N], id: string, delay = 0) {
  return queue.add(name, data, { jobId: id, delay: Math.max(0, delay), ...(REMEMBERED[name] ? { deduplication: { id, ttl: DEDUPE_MS } } : {}) });
}
