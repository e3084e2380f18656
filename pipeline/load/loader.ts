import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '../clickhouse/client.js';
import { eventRow, rejectedRow, type EventRow } from './event-row.js';
import type { EnrichedEvent, LoadJobData } from '../core/load-job.js';
import { LOAD_REJECTION_REASON, loadRejection } from './load-rejection.js';
import { partitionBlocks } from './partition-blocks.js';
import { isRowFault } from './row-fault.js';
import type { Logger } from '../core/logger.js';
import { extractIdentifiers, type IdentityRules } from '../../identity/identifiers.js';
import { IDENTITY_TABLES, identityRows, type IdentityRows } from '../../identity/identity-rows.js';
import { candidateProfileId, type Resolution, type Resolver } from '../../identity/resolver.js';
import type { MessageDedupe } from './message-dedupe.js';
import type { Metrics } from '../core/metrics.js';

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

interface Entry {
  e: EnrichedEvent;
  job: LoadableJob;
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

  interface Row {
    entry: Entry;
    event: EventRow;
    identity: IdentityRows;
  }

  interface Prepared {
    jobs: LoadableJob[];
    rows: Row[];
    rejectedRows: ReturnType<typeof rejectedRow>[];
    duplicates: number;
    suppressed: number;
  }

  /** An event that cannot load (its own fault): kept in rejected_events with the error, counted; the rest loads. */
  function refuse(entry: Entry, err: unknown, rejected: ReturnType<typeof rejectedRow>[]): void {
    metrics.rejectedEvents.inc({ reason: LOAD_REJECTION_REASON });
    log.warn({ messageId: entry.e.messageId, sourceId: entry.e.sourceId, jobId: entry.job.id, err: (err as Error).message }, 'event refused at load');
    rejected.push(rejectedRow(loadRejection(entry.e, err, opts.identityRules)));
  }

  /**
   * Runs `step` on the items; when it fails because of an item (a row fault), splits them in halves until the
   * faulty items are alone, hands those to `onFault` and keeps the results of the rest. Other failures
   * propagate. `path` names the part ('0', '01', …) so that each part's insert token is fixed.
   */
  async function isolated<I, T>(items: I[], step: (part: I[], path: string) => Promise<T[]>, onFault: (item: I, err: unknown) => void, path = ''): Promise<(T | undefined)[]> {
    if (items.length === 0) return [];
    try {
      return await step(items, path);
    } catch (err) {
      if (!isRowFault(err)) throw err;
      if (items.length === 1) {
        onFault(items[0]!, err);
        return [undefined];
      }
      const mid = items.length >> 1;
      const head = await isolated(items.slice(0, mid), step, onFault, `${path}0`);
      const tail = await isolated(items.slice(mid), step, onFault, `${path}1`);
      return [...head, ...tail];
    }
  }

  /** Runs a pure per-event step, refusing the events it throws for (a stack overflow on a deep event, say). */
  function each<I extends { entry: Entry }, T>(items: I[], step: (item: I) => T, rejected: ReturnType<typeof rejectedRow>[]): (I & { value: T })[] {
    const out: (I & { value: T })[] = [];
    for (const item of items) {
      try {
        out.push({ ...item, value: step(item) });
      } catch (err) {
        refuse(item.entry, err, rejected);
      }
    }
    return out;
  }

  /** Everything but the inserts, step by step: dedupe, identifiers, resolution, suppression, the check of jobs seen before, rows. */
  /** `mayBeLoaded`: the jobs' rows may be in ClickHouse already (their group failed after some inserts). */
  async function prepare(jobs: LoadableJob[], mayBeLoaded = false): Promise<Prepared> {
    const rejectedRows: ReturnType<typeof rejectedRow>[] = [];
    const events: Entry[] = jobs.flatMap((job) => job.data.events.map((e) => ({ e, job })));
    const dup = await opts.dedupe.duplicates(events.map(({ e, job }) => ({ sourceId: e.sourceId, messageId: e.messageId, owner: String(job.id) })));
    const unique = events.filter((_, i) => !dup[i]);
    const duplicates = events.length - unique.length;

    const identified = each(unique.map((entry) => ({ entry })), ({ entry: { e } }) => {
      const { identifiers, blocked } = extractIdentifiers(e, opts.identityRules);
      for (const b of blocked) metrics.blockedIdentifiers.inc({ type: b.type });
      return { candidate: candidateProfileId(e.sourceId, e.messageId), identifiers };
    }, rejectedRows);
    // Resolution is idempotent, so a retried job (or a half of a split one) resolves again and gets the same
    // profiles; the identity tables collapse the repeated rows.
    const inputOf = new Map(identified.map(({ entry, value }) => [entry, value]));
    const resolutions = await isolated(identified.map(({ entry }) => entry), (part) => opts.resolver.resolve(part.map((entry) => inputOf.get(entry)!)), (entry, err) => refuse(entry, err, rejectedRows));
    const resolved: { entry: Entry; resolution: Resolution }[] = [];
    identified.forEach(({ entry }, i) => {
      const resolution = resolutions[i];
      if (resolution) resolved.push({ entry, resolution });
    });
    // Suppressed events (a deleted customer's) are dropped here.
    let kept = resolved.filter(({ resolution }) => !resolution.suppressed);
    const suppressed = resolved.length - kept.length;

    let rejected = jobs.flatMap((job) => job.data.rejected.map((r) => ({ r, job })));
    // A deleted customer's refused items are not kept either (identity/profile-store.ts).
    const refusedSuppressed = await opts.resolver.suppressed(rejected.map(({ r }) => r.identifiers ?? []));
    rejected = rejected.filter((_, i) => !refusedSuppressed[i]);
    const seenBefore = (job: LoadableJob) => mayBeLoaded || job.attemptsStarted > 1;
    if (jobs.some(seenBefore)) {
      const present = await existing('events', 'message_id', kept.filter(({ entry }) => seenBefore(entry.job)).map(({ entry }) => entry.e.messageId));
      kept = kept.filter(({ entry }) => !seenBefore(entry.job) || !present.has(entry.e.messageId));
      const presentRejections = await existing('rejected_events', 'rejection_id', rejected.filter(({ job }) => seenBefore(job)).map(({ r }) => r.rejectionId));
      rejected = rejected.filter(({ r, job }) => !seenBefore(job) || !presentRejections.has(r.rejectionId));
    }
    const rows = each(kept, ({ entry, resolution }) => ({ event: eventRow(entry.e, resolution.profileId), identity: identityRows([entry.e], [resolution]) }), rejectedRows);
    return {
      jobs,
      rows: rows.map(({ entry, value }) => ({ entry, ...value })),
      rejectedRows: [...rejected.map(({ r }) => rejectedRow(r)), ...rejectedRows],
      duplicates,
      suppressed: suppressed + refusedSuppressed.filter(Boolean).length,
    };
  }

  async function insertPrepared(p: Prepared): Promise<void> {
    const rejectedRows = [...p.rejectedRows];
    const rowOf = new Map(p.rows.map((row) => [row.entry, row]));
    const tokens = (kind: string, path: string) => `${tokenOf(kind, p.jobs)}${path && `:${path}`}`;
    // Identity rows first: once an event is queryable, the merges it caused already apply to it. When a split
    // retries a part, the identity rows that went in before its events failed are not inserted again.
    const identityIn = new Set<Entry>();
    await isolated(p.rows.map((r) => r.entry), async (part, path) => {
      const rows = part.map((entry) => rowOf.get(entry)!);
      const pending = rows.filter((r) => !identityIn.has(r.entry));
      for (const table of IDENTITY_TABLES) await insert(table, pending.flatMap((r) => r.identity[table]), tokens(table, path));
      for (const r of pending) identityIn.add(r.entry);
      const blocks = partitionBlocks(rows.map((r) => r.event));
      for (let b = 0; b < blocks.length; b++) await insert('events', blocks[b]!, tokens('events', blocks.length > 1 ? `${path}p${b}` : path));
      return rows;
    }, (entry, err) => refuse(entry, err, rejectedRows));
    if (p.duplicates > 0) metrics.duplicateEvents.inc(p.duplicates);
    if (p.suppressed > 0) metrics.suppressedEvents.inc(p.suppressed);
    if (opts.failpoints.has('crash-after-insert') && p.rows.length > 0) {
      log.fatal('failpoint crash-after-insert: killing the process between insert and job completion');
      process.kill(process.pid, 'SIGKILL');
    }
    // A refusal that cannot be stored either is logged and counted, and must not hold back the rest.
    await isolated(rejectedRows, async (part, path) => {
      await insert('rejected_events', part, tokens('rejected', path));
      return part;
    }, (row, err) => {
      metrics.rejectedNotStored.inc();
      log.error({ rejectionId: row.rejection_id, sourceId: row.source_id, err: (err as Error).message }, 'a refused event could not be stored in rejected_events');
    });
    const now = Date.now();
    for (const job of p.jobs) {
      const first = job.data.events[0] ?? job.data.rejected[0];
      if (first) metrics.loadLagSeconds.observe((now - first.receivedAt) / 1000);
    }
    log.debug({ jobs: p.jobs.length, rows: p.rows.length, duplicates: p.duplicates, rejected: rejectedRows.length }, 'loaded');
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
      // A job that fails for its own reasons (not one bad event: those are refused above) must not hold the
      // others back: retry each alone, so only the bad one fails.
      log.warn({ err, jobs: group.length }, 'group insert failed; loading its jobs one by one');
      for (const h of group) {
        try {
          await insertPrepared(await prepare([h.job], true));
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
