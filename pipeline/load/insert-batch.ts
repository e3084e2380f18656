import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '../clickhouse/client.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { IDENTITY_TABLES } from '../../identity/identity-rows.js';
import type { IdentityRules } from '../../identity/identifiers.js';
import { insertRows } from '../clickhouse/insert-rows.js';
import { EVENT_INSERT_SETTINGS, type RejectedRow } from './event-row.js';
import { isolated } from './isolate-faults.js';
import type { EventRows, LoadableJob, PreparedBatch, QueuedEvent } from './load-batch.js';
import { partitionBlocks } from './partition-blocks.js';
import { refuseAtLoad } from './refuse-at-load.js';

export interface InsertDeps {
  clickhouse: ClickHouseClient;
  database: string;
  identityRules: IdentityRules;
  metrics: Metrics;
  log: Logger;
  failpoints: ReadonlySet<string>;
}

const tokenOf = (kind: string, jobs: LoadableJob[]) =>
  `${kind}:${createHash('sha1').update(jobs.map((j) => j.id).join(',')).digest('hex')}`;

/** What the first phase leaves to the second: the events refused with their linked rows, and their rejected rows. */
export interface LinkedRowsInserted {
  refused: Set<QueuedEvent>;
  rejectedRows: RejectedRow[];
}

function inserter(deps: InsertDeps, clickhouse: ClickHouseClient) {
  const { database, metrics } = deps;
  return async function insert(table: string, values: unknown[], token: string): Promise<void> {
    if (values.length === 0) return;
    const end = metrics.insertSeconds.startTimer({ table });
    try {
      await insertRows(clickhouse, {
        table: `${database}.${table}`,
        rows: values,
        settings: { insert_deduplication_token: token, ...(table === 'events' ? EVENT_INSERT_SETTINGS : {}) },
      });
    } catch (err) {
      metrics.insertFailures.inc({ table });
      throw err;
    } finally {
      end();
    }
    metrics.insertRows.observe({ table }, values.length);
    metrics.loadedRows.inc({ table }, values.length);
  };
}

const tokens = (p: PreparedBatch, kind: string, path: string) => `${tokenOf(kind, p.jobs)}${path && `:${path}`}`;

/** The tables of the first phase, in order, each with its rows of an event and its token's name. */
const LINKED_TABLES: [table: string, token: string, rowsOf: (r: EventRows) => unknown[]][] = [
  // Identity rows first: once an event is queryable, the merges it caused already apply to it.
  ...IDENTITY_TABLES.map((t) => [t, t, (r: EventRows) => r.identity[t]] as [string, string, (r: EventRows) => unknown[]]),
  ['tracking_violations', 'violations', (r) => r.violations],
  ['profile_consent', 'consent', (r) => r.consent],
];

/**
 * First phase: the rows an event brings besides itself, identity rows first, then its tracking plan violations
 * and the consent it states, so that an event found in `events` has those in too (the already-inserted check
 * relies on it). Table by table, each row once: an event whose rows a table refuses is found by bisection in
 * that table and refused, with its rows of the later tables and its event (the rows it had in the earlier tables
 * stay: the identity graph in Redis took it in). `clickhouse`: the loader runs this phase of a group on a
 * connection of its own while the previous group's events go in.
 */
export async function insertLinkedRows(p: PreparedBatch, deps: InsertDeps, clickhouse = deps.clickhouse): Promise<LinkedRowsInserted> {
  const insert = inserter(deps, clickhouse);
  const out: LinkedRowsInserted = { refused: new Set(), rejectedRows: [] };
  for (const [table, token, rowsOf] of LINKED_TABLES) {
    const rows = p.rows.filter((r) => !out.refused.has(r.entry) && rowsOf(r).length > 0);
    await isolated(rows, async (part, path) => {
      await insert(table, part.flatMap(rowsOf), tokens(p, token, path));
      return part;
    }, (row, err) => {
      out.refused.add(row.entry);
      out.rejectedRows.push(refuseAtLoad(deps, row.entry, err));
    });
  }
  return out;
}

/**
 * Second phase: the events (in partition blocks) of the rows the first phase kept, then rejected_events. Each
 * insert carries an insert_deduplication_token made of the jobs' ids and its part, so an insert retried with the
 * same jobs is a no-op where the first one landed. An event ClickHouse refuses is found by bisection and
 * refused; the rest loads. Answers the events refused in either phase.
 */
export async function insertEventRows(p: PreparedBatch, linked: LinkedRowsInserted, deps: InsertDeps): Promise<Set<QueuedEvent>> {
  const { metrics, log } = deps;
  const insert = inserter(deps, deps.clickhouse);
  const refused = new Set(linked.refused);
  const rejectedRows = [...p.rejectedRows, ...linked.rejectedRows];
  await isolated(p.rows.filter((r) => !refused.has(r.entry)), async (rows, path) => {
    const blocks = partitionBlocks(rows.map((r) => r.event));
    for (let b = 0; b < blocks.length; b++) await insert('events', blocks[b]!, tokens(p, 'events', blocks.length > 1 ? `${path}p${b}` : path));
    return rows;
  }, (row, err) => {
    refused.add(row.entry);
    rejectedRows.push(refuseAtLoad(deps, row.entry, err));
  });
  if (p.duplicates > 0) metrics.duplicateEvents.inc(p.duplicates);
  if (p.suppressed > 0) metrics.suppressedEvents.inc(p.suppressed);
  if (deps.failpoints.has('crash-after-insert') && p.rows.length > 0) {
    log.fatal('failpoint crash-after-insert: killing the process between insert and job completion');
    process.kill(process.pid, 'SIGKILL');
  }
  // A refusal that cannot be stored either is logged and counted, and must not hold back the rest.
  await isolated(rejectedRows, async (part, path) => {
    await insert('rejected_events', part, tokens(p, 'rejected', path));
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
  return refused;
}

/** Both phases, one after the other on one connection. Answers the events refused. */
export async function insertBatch(p: PreparedBatch, deps: InsertDeps): Promise<Set<QueuedEvent>> {
  return insertEventRows(p, await insertLinkedRows(p, deps), deps);
}
