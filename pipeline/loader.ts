import { createHash } from 'node:crypto';
import type { ClickHouseClient } from './clickhouse.js';
import { eventRow, rejectedRow, type EventRow } from './event-row.js';
import type { EnrichedEvent, LoadJobData } from './load-job.js';
import type { Logger } from './logger.js';
import { extractIdentifiers, type IdentityRules } from '../identity/identifiers.js';
import { IDENTITY_TABLES, identityRows } from '../identity/identity-rows.js';
import { candidateProfileId, type Resolver } from '../identity/resolver.js';
import type { MessageDedupe } from './message-dedupe.js';
import type { Metrics } from './metrics.js';

/** What the loader needs of a queued job (a BullMQ Job satisfies it). */
export interface LoadableJob {
  id?: string;
  data: LoadJobData;
  /** How many times the job was moved to active; above 1 its rows may already be in ClickHouse. */
  attemptsStarted: number;
}

export interface LoaderOptions {
  clickhouse: ClickHouseClient;
  database: string;
  dedupe: MessageDedupe;
  resolver: Resolver;
  identityRules: IdentityRules;
  metrics: Metrics;
  log: Logger;
  maxRows: number;
  maxWaitMs: number;
  /** Jobs the worker holds at once (its concurrency); a group is cut at half of them. */
  maxJobs: number;
  failpoints: ReadonlySet<string>;
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

const tokenOf = (kind: string, jobs: LoadableJob[]) =>
  `${kind}:${createHash('sha1').update(jobs.map((j) => j.id).join(',')).digest('hex')}`;

/**
 * Accumulates queued jobs across the worker's concurrency slots and inserts their rows together, in as few
 * large inserts as the row and time bounds allow, then completes the jobs. Exactly-once, in three layers:
 * - a repeated messageId within the dedupe window is dropped (Redis, claimed per job);
 * - an insert retried with the same jobs carries the same insert_deduplication_token, which ClickHouse
 *   turns into a no-op if the first one landed;
 * - a job seen before (its worker died between insert and completion, or an earlier attempt failed after
 *   an insert that may have landed) has its rows checked against the table, and rows already there are
 *   skipped. Only such jobs pay for the check.
 */
export function createLoader(opts: LoaderOptions): Loader {
  const { clickhouse, database, metrics, log } = opts;
  let held: Held[] = [];
  let heldRows = 0;
  let timer: NodeJS.Timeout | undefined;
  let inserting: Promise<void> = Promise.resolve();
  let draining = false;

  async function existing(table: string, column: string, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rs = await clickhouse.query({
      query: `SELECT ${column} AS id FROM ${database}.${table} WHERE ${column} IN {ids:Array(String)}`,
      query_params: { ids },
      format: 'JSONEachRow',
    });
    return new Set((await rs.json<{ id: string }>()).map((r) => r.id));
  }

  async function insert(table: string, values: unknown[], token: string): Promise<void> {
    if (values.length === 0) return;
    const end = metrics.insertSeconds.startTimer({ table });
    try {
      await clickhouse.insert({
        table: `${database}.${table}`,
        values,
        format: 'JSONEachRow',
        clickhouse_settings: {
          insert_deduplication_token: token,
          // Historical imports span many months; the default of 100 partitions per insert is too tight.
          max_partitions_per_insert_block: '1000',
        },
      });
    } catch (err) {
      metrics.insertFailures.inc({ table });
      throw err;
    } finally {
      end();
    }
    metrics.insertRows.observe({ table }, values.length);
    metrics.loadedRows.inc({ table }, values.length);
  }

  interface Prepared {
    jobs: LoadableJob[];
    eventRows: EventRow[];
    rejectedRows: ReturnType<typeof rejectedRow>[];
    identity: ReturnType<typeof identityRows>;
    duplicates: number;
    suppressed: number;
  }

  /** Everything but the inserts: dedupe, identity resolution, the check of jobs seen before, and the rows. */
  async function prepare(jobs: LoadableJob[]): Promise<Prepared> {
    const events = jobs.flatMap((job) => job.data.events.map((e) => ({ e, job })));
    const dup = await opts.dedupe.duplicates(events.map(({ e, job }) => ({ sourceId: e.sourceId, messageId: e.messageId, owner: String(job.id) })));
    const unique = events.filter((_, i) => !dup[i]);
    const duplicates = events.length - unique.length;

    // Resolution is idempotent, so a retried job resolves again and gets the same profiles; the identity
    // tables collapse the repeated rows. Suppressed events (a deleted customer's) are dropped here.
    const resolutions = await opts.resolver.resolve(
      unique.map(({ e }) => {
        const { identifiers, blocked } = extractIdentifiers(e, opts.identityRules);
        for (const b of blocked) metrics.blockedIdentifiers.inc({ type: b.type });
        return { candidate: candidateProfileId(e.sourceId, e.messageId), identifiers };
      }),
    );
    const identity = identityRows(unique.map(({ e }) => e), resolutions);
    let kept: { e: EnrichedEvent; job: LoadableJob; profileId: string }[] = [];
    unique.forEach((u, i) => {
      const r = resolutions[i]!;
      if (!r.suppressed) kept.push({ ...u, profileId: r.profileId });
    });
    const suppressed = unique.length - kept.length;

    let rejected = jobs.flatMap((job) => job.data.rejected.map((r) => ({ r, job })));
    // A deleted customer's refused items are not kept either (identity/profile-store.ts).
    const refusedSuppressed = await opts.resolver.suppressed(rejected.map(({ r }) => r.identifiers ?? []));
    rejected = rejected.filter((_, i) => !refusedSuppressed[i]);
    const seenBefore = (job: LoadableJob) => job.attemptsStarted > 1;
    if (jobs.some(seenBefore)) {
      const present = await existing('events', 'message_id', kept.filter(({ job }) => seenBefore(job)).map(({ e }) => e.messageId));
      kept = kept.filter(({ e, job }) => !seenBefore(job) || !present.has(e.messageId));
      const presentRejections = await existing('rejected_events', 'rejection_id', rejected.filter(({ job }) => seenBefore(job)).map(({ r }) => r.rejectionId));
      rejected = rejected.filter(({ r, job }) => !seenBefore(job) || !presentRejections.has(r.rejectionId));
    }
    return {
      jobs,
      eventRows: kept.map(({ e, profileId }) => eventRow(e, profileId)),
      rejectedRows: rejected.map(({ r }) => rejectedRow(r)),
      identity,
      duplicates,
      suppressed: suppressed + refusedSuppressed.filter(Boolean).length,
    };
  }

  async function insertPrepared(p: Prepared): Promise<void> {
    // Identity rows first: once an event is queryable, the merges it caused already apply to it.
    for (const table of IDENTITY_TABLES) await insert(table, p.identity[table], tokenOf(table, p.jobs));
    await insert('events', p.eventRows, tokenOf('events', p.jobs));
    if (p.duplicates > 0) metrics.duplicateEvents.inc(p.duplicates);
    if (p.suppressed > 0) metrics.suppressedEvents.inc(p.suppressed);
    if (opts.failpoints.has('crash-after-insert') && p.eventRows.length > 0) {
      log.fatal('failpoint crash-after-insert: killing the process between insert and job completion');
      process.kill(process.pid, 'SIGKILL');
    }
    await insert('rejected_events', p.rejectedRows, tokenOf('rejected', p.jobs));
    const now = Date.now();
    for (const job of p.jobs) {
      const first = job.data.events[0] ?? job.data.rejected[0];
      if (first) metrics.loadLagSeconds.observe((now - first.receivedAt) / 1000);
    }
    log.debug({ jobs: p.jobs.length, rows: p.eventRows.length, duplicates: p.duplicates, rejected: p.rejectedRows.length }, 'loaded');
  }

  async function insertGroup(group: Held[], prepared: Promise<Prepared>): Promise<void> {
    try {
      await insertPrepared(await prepared);
      for (const h of group) h.resolve();
    } catch (err) {
      if (group.length === 1) {
        group[0]!.reject(err);
        return;
      }
      // One bad job must not hold the others back: retry each alone, so only the bad one fails.
      log.warn({ err, jobs: group.length }, 'group insert failed; loading its jobs one by one');
      for (const h of group) {
        try {
          await insertPrepared(await prepare([h.job]));
          h.resolve();
        } catch (jobErr) {
          h.reject(jobErr);
        }
      }
    }
  }

  // Groups are prepared as soon as they are cut, while the previous group is still being inserted; the
  // inserts themselves go one at a time (an embedded ClickHouse connection runs one query at a time).
  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const group = held;
    held = [];
    heldRows = 0;
    if (group.length === 0) return inserting;
    const prepared = prepare(group.map((h) => h.job));
    prepared.catch(() => {});
    inserting = inserting.then(() => insertGroup(group, prepared));
    return inserting;
  };

  // Cut a group when half the worker's slots are held, so the other half keeps fetching during the insert.
  const groupJobs = Math.max(1, Math.floor(opts.maxJobs / 2));

  return {
    add(job) {
      return new Promise<void>((resolve, reject) => {
        held.push({ job, resolve, reject });
        heldRows += job.data.events.length + job.data.rejected.length;
        if (draining || heldRows >= opts.maxRows || held.length >= groupJobs) void flush();
        else if (!timer) timer = setTimeout(() => void flush(), opts.maxWaitMs);
      });
    },
    async drain() {
      draining = true;
      await flush();
    },
  };
}
