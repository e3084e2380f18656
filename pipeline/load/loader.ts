import { insertBatch, insertEventRows, insertLinkedRows, type LinkedRowsInserted } from './insert-batch.js';
import type { ClickHouseClient } from '../clickhouse/client.js';
import { loadedEvents, openBatch, type LoadableJob, type LoadedEvent, type PreparedBatch, type QueuedEvent } from './load-batch.js';
import { stepRunner, type StepContext } from './step-runner.js';
import { buildRows } from './steps/build-rows.js';
import { dedupeMessages } from './steps/dedupe-messages.js';
import { dropDeletedCustomers } from './steps/drop-deleted-customers.js';
import { extractIdentifiers } from './steps/extract-identifiers.js';
import { resolveIdentities } from './steps/resolve-identities.js';
import { skipAlreadyInserted } from './steps/skip-already-inserted.js';

/** What the steps use (step-runner.ts), and the bounds of a group. */
export interface LoaderOptions extends StepContext {
  maxRows: number;
  maxWaitMs: number;
  /** Jobs the worker holds at once (its concurrency); a group is cut at half of them. */
  maxJobs: number;
  failpoints: ReadonlySet<string>;
  /**
   * A second connection for a group's identity, violation and consent rows, so that they go in while the
   * previous group's events do. Without it both phases of every group go one after the other on `clickhouse`.
   */
  linkedClickhouse?: ClickHouseClient;
  /**
   * Sends a loaded group's events on (the event destinations' fan-out), before its jobs complete: when it
   * fails, the jobs fail and are retried, and their events, found in ClickHouse then, are sent on again.
   */
  fanOut?: (events: LoadedEvent[]) => Promise<void>;
}

export interface Loader {
  /** Resolves once the job's rows are in ClickHouse; rejects when they could not be inserted. */
  add(job: LoadableJob): Promise<void>;
  /** Inserts what is held now and every later job at once; resolves when nothing is held. */
  drain(): Promise<void>;
}

interface Held {
  job: LoadableJob;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Accumulates queued jobs across the worker's concurrency slots into groups, runs each group through the
 * load steps (pipeline/load/steps/), inserts the rows in as few large inserts as the row and time bounds
 * allow (pipeline/load/insert-batch.ts), then completes the jobs. Exactly-once, in three layers:
 * - a repeated messageId within the dedupe window is dropped (Redis, claimed per job: dedupe-messages);
 * - an insert retried with the same jobs carries the same insert_deduplication_token, which ClickHouse
 *   turns into a no-op if the first one landed;
 * - a job seen before (its worker died between insert and completion, or an earlier attempt failed after
 *   an insert that may have landed) has its rows checked against the table, and rows already there are
 *   skipped (skip-already-inserted). Only such jobs pay for the check.
 */
export function createLoader(opts: LoaderOptions): Loader {
  const { clickhouse, database, dedupe, resolver, identityRules, metrics, log } = opts;
  let held: Held[] = [];
  let heldRows = 0;
  let timer: NodeJS.Timeout | undefined;
  let inserting: Promise<void> = Promise.resolve();
  let draining = false;
  const runStep = stepRunner({ clickhouse, database, dedupe, resolver, identityRules, metrics, log });

  /** Everything but the inserts. `mayBeLoaded`: the jobs' rows may be in ClickHouse already (their group failed after some inserts). */
  async function prepare(jobs: LoadableJob[], mayBeLoaded = false): Promise<PreparedBatch> {
    const queued = openBatch(jobs, mayBeLoaded);
    const unique = await runStep(dedupeMessages, queued);
    const identified = await runStep(extractIdentifiers, unique);
    const resolved = await runStep(resolveIdentities, identified);
    const kept = await runStep(dropDeletedCustomers, resolved);
    const fresh = await runStep(skipAlreadyInserted, kept);
    return runStep(buildRows, fresh);
  }

  async function fanOut(p: PreparedBatch, refused: Set<QueuedEvent>): Promise<void> {
    if (opts.fanOut) await opts.fanOut(loadedEvents(p, refused));
  }

  async function insertGroup(group: Held[], prepared: Promise<PreparedBatch>, linked: Promise<LinkedRowsInserted>): Promise<void> {
    try {
      const p = await prepared;
      await fanOut(p, await insertEventRows(p, await linked, opts));
      for (const h of group) h.resolve();
    } catch (err) {
      if (group.length === 1) {
        group[0]!.reject(err);
        return;
      }
      // A job that fails for its own reasons (not one bad event: those are refused) must not hold the others
      // back: retry each alone, so only the bad one fails.
      log.warn({ err, jobs: group.length }, 'group insert failed; loading its jobs one by one');
      for (const h of group) {
        try {
          const p = await prepare([h.job], true);
          await fanOut(p, await insertBatch(p, opts));
          h.resolve();
        } catch (jobErr) {
          h.reject(jobErr);
        }
      }
    }
  }

  // Groups are prepared as soon as they are cut, while the previous group is still being inserted. A group's
  // inserts go in two phases (insert-batch.ts), each phase one group at a time (an embedded ClickHouse
  // connection runs one query at a time); its events always follow its own first phase. A group cut full has
  // its first phase on `linkedClickhouse` while the previous group's events go in. One cut by the timer waits for
  // the previous group: side by side the two inserts contend for the same two cores, and overlapping every group
  // did not make events queryable sooner at 8,000 events/s (p95 1.4-1.9 s beside 1.1-1.3 s; single runs of
  // either vary up to 5 s). Even a loader far behind cuts most groups by the timer, as the worker fetches its jobs
  // one at a time (pipeline bench: 23 of 29 groups), and overlapping those too measured within the noise
  // (10,485-12,036 against 10,126-11,332 events/s).
  let linking: Promise<unknown> = Promise.resolve();
  const flush = (full = false): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const group = held;
    held = [];
    heldRows = 0;
    if (group.length === 0) return inserting;
    const prepared = prepare(group.map((h) => h.job));
    prepared.catch(() => {});
    const side = full ? opts.linkedClickhouse : undefined;
    const linked = (side ? linking : inserting).then(async () => insertLinkedRows(await prepared, opts, side));
    linking = linked.catch(() => undefined);
    inserting = inserting.then(() => insertGroup(group, prepared, linked));
    return inserting;
  };

  // Cut a group when half the worker's slots are held, so the other half keeps fetching during the insert.
  const groupJobs = Math.max(1, Math.floor(opts.maxJobs / 2));

  return {
    add(job) {
      return new Promise<void>((resolve, reject) => {
        held.push({ job, resolve, reject });
        heldRows += job.data.events.length + job.data.rejected.length;
        if (heldRows >= opts.maxRows || held.length >= groupJobs) void flush(true);
        else if (draining) void flush();
        else if (!timer) timer = setTimeout(() => void flush(), opts.maxWaitMs);
      });
    },
    async drain() {
      draining = true;
      await flush();
    },
  };
}
