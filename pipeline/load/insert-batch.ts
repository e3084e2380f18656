import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '../clickhouse/client.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { IDENTITY_TABLES } from '../../identity/identity-rows.js';
import type { IdentityRules } from '../../identity/identifiers.js';
import { insertRows } from '../clickhouse/insert-rows.js';
import { EVENT_INSERT_SETTINGS } from './event-row.js';
import { isolated } from './isolate-faults.js';
import type { LoadableJob, PreparedBatch, QueuedEvent } from './load-batch.js';
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

/**
 * Inserts a prepared batch: identity rows, tracking plan violations, stated consent, events (in partition blocks), then rejected_events. Each insert
 * carries an insert_deduplication_token made of the jobs' ids and its part, so an insert retried with the
 * same jobs is a no-op where the first one landed. An event ClickHouse refuses is found by bisection and
 * refused; the rest loads. Answers the events refused.
 */
export async function insertBatch(p: PreparedBatch, deps: InsertDeps): Promise<Set<QueuedEvent>> {
  const { clickhouse, database, metrics, log } = deps;

  async function insert(table: string, values: unknown[], token: string): Promise<void> {
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
  }

  const rejectedRows = [...p.rejectedRows];
  const rowOf = new Map(p.rows.map((row) => [row.entry, row]));
  const tokens = (kind: string, path: string) => `${tokenOf(kind, p.jobs)}${path && `:${path}`}`;
  // Identity rows first: once an event is queryable, the merges it caused already apply to it. Then the
  // event's tracking plan violations and the consent it states, so that an event found in `events` has
  // those in too (the already-inserted check relies on it). When a split retries a part, the rows that went in before its
  // events failed are not inserted again.
  const beforeIn = new Set<QueuedEvent>();
  const refused = new Set<QueuedEvent>();
  await isolated(p.rows.map((r) => r.entry), async (part, path) => {
    const rows = part.map((entry) => rowOf.get(entry)!);
    const pending = rows.filter((r) => !beforeIn.has(r.entry));
    for (const table of IDENTITY_TABLES) await insert(table, pending.flatMap((r) => r.identity[table]), tokens(table, path));
    await insert('tracking_violations', pending.flatMap((r) => r.violations), tokens('violations', path));
    await insert('profile_consent', pending.flatMap((r) => r.consent), tokens('consent', path));
    for (const r of pending) beforeIn.add(r.entry);
    const blocks = partitionBlocks(rows.map((r) => r.event));
    for (let b = 0; b < blocks.length; b++) await insert('events', blocks[b]!, tokens('events', blocks.length > 1 ? `${path}p${b}` : path));
    return rows;
  }, (entry, err) => {
    refused.add(entry);
    rejectedRows.push(refuseAtLoad(deps, entry, err));
  });
  if (p.duplicates > 0) metrics.duplicateEvents.inc(p.duplicates);
  if (p.suppressed > 0) metrics.suppressedEvents.inc(p.suppressed);
  if (deps.failpoints.has('crash-after-insert') && p.rows.length > 0) {
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
  return refused;
}
