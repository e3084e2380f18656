import { setTimeout as sleep } from 'node:timers/promises';
import type { JobType } from 'bullmq';
import type { LoadJobData, RejectedEvent } from '../pipeline/core/load-job.js';
import type { LoadQueue } from '../pipeline/redis/load-queue.js';
import { extractIdentifiers, type IdentityRules } from './identifiers.js';
import type { RedisClient } from '../pipeline/redis/connection.js';

// A deleted customer's events may still wait in the load queue: in the dead letters (failed jobs),
// delayed for a retry, or waiting. They are taken out of the jobs' data, which keeps every other event of
// the job to load once. Pure over the queue: no ClickHouse.

const SEP = '\u001f';

/** States whose jobs no worker holds; an active job is waited for instead. */
const RESTING: JobType[] = ['failed', 'delayed', 'wait', 'prioritized', 'waiting-children'];
const STREAM_PAGE = 1000;

export interface QueuedRedaction {
  /** Events of the customer taken out of queued jobs. */
  events: number;
  /** Refused items of the customer taken out of queued jobs. */
  rejected: number;
  /** Jobs left empty, and removed. */
  removedJobs: number;
  /** Recorded failures that named the customer (an error quoting a row): in jobs, replaced by a note; in BullMQ's event stream, removed. */
  scrubbedFailures: number;
  /** Jobs still being loaded when the wait for them ended: what they resolved before the suppression may still land. */
  stillActive: number;
}

/**
 * The deleted customer's identifiers as the queue and rejected_events may hold them: each `type\x1fvalue`,
 * plus a user or anonymous id written as an alias's `previous_id`.
 */
export function deletionKeys(keys: string[]): string[] {
  const out = new Set(keys);
  for (const key of keys) {
    const [type, value] = key.split(SEP) as [string, string];
    if (type === 'user_id' || type === 'anonymous_id') out.add(`previous_id${SEP}${value}`);
  }
  return [...out];
}

/** Whether a queued event or refused item belongs to the deleted customer. */
export function queueMatcher(keys: string[], rules: IdentityRules) {
  const set = new Set(deletionKeys(keys));
  // Refused items are also found by the identifiers as JSON strings in the payload, as rejected_events
  // rows are: items queued before their identifiers were kept have none.
  const values = keys.map((k) => k.slice(k.indexOf(SEP) + 1).toLowerCase());
  const needles = values.map((v) => JSON.stringify(v));
  return {
    /** Whether a text (a job's recorded failure) names one of the identifiers. */
    mentions: (text: string) => values.some((v) => text.toLowerCase().includes(v)),
    event: (e: LoadJobData['events'][number]) => {
      try {
        return extractIdentifiers(e, rules).identifiers.some((i) => set.has(`${i.type}${SEP}${i.value}`));
      } catch {
        // A malformed event (queued by an older producer; the loader refuses it) must not stop the deletion:
        // it is matched by its text instead, as a refused item's payload is.
        return needles.some((n) => JSON.stringify(e).toLowerCase().includes(n));
      }
    },
    rejected: (r: RejectedEvent) => (r.identifiers ?? []).some((k) => set.has(k)) || needles.some((n) => r.payload.toLowerCase().includes(n)),
  };
}

type Matcher = ReturnType<typeof queueMatcher>;

/**
 * Takes the customer's events and refused items out of every load job no worker holds, then waits for the
 * jobs being loaded (up to `activeWaitMs`) and does the same to those that came back to the queue (a
 * failed attempt). Run it after the identifiers are suppressed: a job loaded from then on drops the
 * customer's events and refused items (resolve-identities.lua, Resolver.suppressed), and one loaded
 * before has its rows in ClickHouse once it is done, where the deletion that follows finds them.
 */
export async function redactQueuedJobs(queue: LoadQueue, redis: RedisClient, match: Matcher, activeWaitMs: number): Promise<QueuedRedaction> {
  const out: QueuedRedaction = { events: 0, rejected: 0, removedJobs: 0, scrubbedFailures: 0, stillActive: 0 };

  async function redact(id: string): Promise<void> {
    const job = await queue.getJob(id);
    if (!job?.data) return;
    if (match.mentions(job.failedReason ?? '') || job.stacktrace?.some((line) => match.mentions(line))) {
      // BullMQ has no call to rewrite a recorded failure: the two fields of the job's hash are set directly.
      const key = queue.toKey(id);
      if (await redis.exists(key)) {
        await redis.hset(key, 'failedReason', 'redacted: it named a deleted customer', 'stacktrace', '[]');
        out.scrubbedFailures++;
      }
    }
    const events = job.data.events.filter((e) => !match.event(e));
    const rejected = job.data.rejected.filter((r) => !match.rejected(r));
    const taken = { events: job.data.events.length - events.length, rejected: job.data.rejected.length - rejected.length };
    if (taken.events === 0 && taken.rejected === 0) return;
    try {
      if (events.length === 0 && rejected.length === 0) {
        try {
          await job.remove();
          out.removedJobs++;
        } catch {
          // Taken by a worker meanwhile (locked): emptied instead, the worker's retry then loads nothing.
          await job.updateData({ events, rejected });
        }
      } else {
        await job.updateData({ events, rejected });
      }
    } catch (err) {
      // Completed and removed meanwhile: its rows are in ClickHouse, where the deletion finds them.
      if (await queue.getJob(id)) throw err;
      return;
    }
    out.events += taken.events;
    out.rejected += taken.rejected;
  }

  // Active jobs are listed before and after the pass: one that leaves the active state during the pass
  // (a failed attempt going back to wait) is redacted when the wait below sees it gone, and one a worker
  // took during the pass, possibly with its data as it was before, is waited for.
  const active = new Set(await queue.getRanges(['active'], 0, -1));
  // Ids only, of every state in one call (one script: a job moving between states is not missed); each
  // job's data is then read and rewritten alone, so memory holds one job at a time.
  for (const id of await queue.getRanges(RESTING, 0, -1, true)) await redact(id);
  for (const id of await queue.getRanges(['active'], 0, -1)) active.add(id);

  const until = Date.now() + activeWaitMs;
  while (active.size > 0 && Date.now() < until) {
    for (const id of active) {
      if ((await queue.getJobState(id)) !== 'active') {
        active.delete(id);
        await redact(id);
      }
    }
    if (active.size > 0) await sleep(50);
  }
  out.stillActive = active.size;

  // BullMQ's event stream (capped) repeats each failure's reason.
  const stream = queue.keys.events!;
  for (let from = '-'; ; ) {
    const entries = await redis.xrange(stream, from, '+', 'COUNT', STREAM_PAGE);
    const naming = entries.filter(([, fields]) => fields.some((f) => match.mentions(f))).map(([id]) => id);
    if (naming.length > 0) out.scrubbedFailures += await redis.xdel(stream, ...naming);
    if (entries.length < STREAM_PAGE) break;
    from = `(${entries[entries.length - 1]![0]}`;
  }
  return out;
}
