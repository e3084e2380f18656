import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acceptBatch } from '../ingest/accept.js';
import { identityRules } from '../identity/identity-rules.js';
import { createClickHouse, embeddedInsertOf, type ClickHouseClient } from '../pipeline/clickhouse/client.js';
import { loadConfig, type Config } from '../pipeline/core/config.js';
import { EVENT_INSERT_SETTINGS, eventRow, type EventRow } from '../pipeline/load/event-row.js';
import { insertRows } from '../pipeline/clickhouse/insert-rows.js';
import { LOAD_JOB_NAME, type EnrichedEvent } from '../pipeline/core/load-job.js';
import { createLoadQueue, type LoadQueue } from '../pipeline/redis/load-queue.js';
import { createLogger } from '../pipeline/core/logger.js';
import { migrate } from '../pipeline/clickhouse/migrations.js';
import { redisFor, resolveRedis } from '../pipeline/redis/connection.js';
import { startProduct, type Product } from '../pipeline/process/start.js';
import { createBodyGenerator } from './bodies.js';
import type { BenchOptions } from './options.js';
import { removeDir } from './server-children.js';
import { round, seconds, type Target } from './figures.js';
import { trackingLimits } from '../ingest/tracking-limits.js';

// Pipeline throughput: the same N events (a) inserted as rows straight into a copy of the events table
// through a chDB client, in LOAD_BATCH_MAX_ROWS batches — the floor no loader can beat — and (b) queued as
// BullMQ load jobs and loaded by our workers role (dedupe in Redis, BullMQ job moves, eventRow, insert).
// Both in this process on one data folder: chDB binds a single data path per process (several connections
// on it are fine), so the baseline goes to databases of its own, created from the same migration files.
// The baseline runs before and after ours and is averaged: on a shared machine the load drifts within a
// minute, and bracketing spreads that drift over both sides.

const BASELINE_DATABASES = ['bench_raw_before', 'bench_raw_after'] as const;
const CLIENT_DATABASE = 'bench_client';
const FILE_DATABASE = 'bench_file';
const WARM_UP_DATABASE = 'bench_warm_up';
// The loader's insert settings (pipeline/load/loader.ts); each insert also gets its own deduplication token.
const insertSettings = { max_partitions_per_insert_block: '1000' };

export interface PipelineReport {
  events: number;
  jobEvents: number;
  jobs: number;
  baseline: {
    databases: readonly string[];
    insertBatchRows: number;
    insertsPerRun: number;
    /** Mean of the runs before and after ours. */
    seconds: number;
    eventsPerSec: number;
    runSeconds: number[];
    /** eventRow() over every event: not in `seconds` (the baseline starts from rows), shown for scale. */
    eventRowSeconds: number;
    /** Which insert the baseline uses: the fastest the product itself can use (the loader's). */
    path: string;
  };
  /** The same rows through @clickhouse/client's insert (the loader's path before insert-rows.ts), once, for scale. */
  clientInsert: { seconds: number; eventsPerSec: number };
  /** chDB's own file ingest of the same rows (INSERT … SELECT FROM file), once: the engine's ceiling. */
  fileIngestCeiling: { seconds: number; eventsPerSec: number };
  ours: {
    database: string;
    /** From startProduct() to `count()` reaching N; includes the start-up below. */
    seconds: number;
    eventsPerSec: number;
    startupSeconds: number;
    /** N over the time after startProduct() returned (informational: workers start inside startProduct). */
    eventsPerSecAfterStartup: number;
    inserts: number;
    avgRowsPerInsert: number;
    duplicatesDropped: number;
    rowsInTable: number;
    /**
     * Where an event's time went in the loader, in microseconds per event: each load step and the inserts per
     * table, summed from the loader's own histograms (cdp_load_step_duration_seconds, cdp_insert_duration_seconds).
     * A group is prepared while the previous one is inserted, so steps and inserts overlap; `wall` is the
     * run's seconds per event, and `other` what the steps and inserts leave of it (BullMQ's fetching and
     * completing of jobs, the group wait, the fan-out).
     */
    profile: LoadProfile;
  };
  /** ours events/s ÷ baseline events/s. */
  ratio: number;
  targets: { ratio: Target; eventsPerSec: Target };
  notes: string[];
}


/**
 * N enriched events exactly as the API makes them: generated batch bodies through acceptBatch. The same `clock`
 * gives the same events (the generator is seeded, and every body carries its messageId).
 */
function buildEvents(n: number, config: Config, clock: number): EnrichedEvent[] {
  const gen = createBodyGenerator(7, () => clock);
  const events: EnrichedEvent[] = [];
  const limits = trackingLimits(config);
  for (let request = 0; events.length < n; request++) {
    const body = gen.batch(Math.min(100, n - events.length));
    const result = acceptBatch(body, { route: 'batch', requestId: `bench-${request}`, sourceId: 'bench', ip: '203.0.113.7', receivedAt: clock }, limits);
    if (result.errors.length > 0) throw new Error(`generated events were rejected: ${JSON.stringify(result.errors).slice(0, 500)}`);
    events.push(...result.events);
  }
  return events;
}

/** A digest of every row: the second baseline run must insert the rows of the first. */
function fingerprint(rows: EventRow[]): string {
  const hash = createHash('sha256');
  for (const r of rows) hash.update(JSON.stringify(r));
  return hash.digest('hex');
}

export async function count(client: ClickHouseClient, table: string): Promise<number> {
  const rs = await client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' });
  const rows = await rs.json<{ n: string | number }>();
  return Number(rows[0]?.n ?? 0);
}

export interface LoadProfile {
  steps: Record<string, number>;
  inserts: Record<string, number>;
  wall: number;
  other: number;
}

type HistogramValues = { get(): Promise<{ values: { metricName?: string; labels: Record<string, unknown>; value: number }[] }> };

/** The sums of a histogram's observations, by the value of one label. */
async function sumsBy(metric: HistogramValues, label: string): Promise<Record<string, number>> {
  const { values } = await metric.get();
  return Object.fromEntries(values.filter((v) => v.metricName?.endsWith('_sum')).map((v) => [String(v.labels[label]), v.value]));
}

/** The loader's own timings over `events` events loaded in `wallSeconds`, in microseconds per event. */
export async function loadProfile(metrics: { loadStepSeconds: HistogramValues; insertSeconds: HistogramValues }, events: number, wallSeconds: number): Promise<LoadProfile> {
  const perEvent = (s: number) => round((s * 1e6) / events, 1);
  const per = (sums: Record<string, number>) => Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, perEvent(v)]));
  const steps = await sumsBy(metrics.loadStepSeconds, 'step');
  const inserts = await sumsBy(metrics.insertSeconds, 'table');
  const busy = [...Object.values(steps), ...Object.values(inserts)].reduce((a, b) => a + b, 0);
  return { steps: per(steps), inserts: per(inserts), wall: perEvent(wallSeconds), other: perEvent(Math.max(0, wallSeconds - busy)) };
}

/** Sum and count of a histogram's observations for one label value, from prom-client. */
async function histogram(metric: HistogramValues, table: string) {
  const { values } = await metric.get();
  const pick = (suffix: string) => values.find((v) => v.metricName?.endsWith(suffix) && v.labels.table === table)?.value ?? 0;
  return { sum: pick('_sum'), count: pick('_count') };
}

/** How the baseline inserts: the loader's own path (insertRows), or the client's generic insert for comparison. */
export type InsertPath = 'product' | 'client';

/** The baseline: every row into `database`.events in batches of `batchRows`; returns the seconds it took. */
export async function rawInsert(client: ClickHouseClient, database: string, rows: EventRow[], batchRows: number, via: InsertPath = 'product'): Promise<number> {
  const t = performance.now();
  for (let start = 0; start < rows.length; start += batchRows) {
    const settings = { ...insertSettings, ...EVENT_INSERT_SETTINGS, insert_deduplication_token: `bench:${database}:${start}` };
    const batch = rows.slice(start, start + batchRows);
    if (via === 'product') await insertRows(client, { table: `${database}.events`, rows: batch, settings });
    else await client.insert({ table: `${database}.events`, values: batch, format: 'JSONEachRow', clickhouse_settings: settings });
  }
  const took = seconds(t);
  const loaded = await count(client, `${database}.events`);
  if (loaded !== rows.length) throw new Error(`${database}.events holds ${loaded} rows, expected ${rows.length}`);
  return took;
}

/**
 * chDB's own ceiling for the same rows: one INSERT … SELECT from a JSONEachRow file (parsed in parallel by
 * the engine, no client in between). Writing the file is not timed.
 */
async function fileIngest(client: ClickHouseClient, database: string, rows: EventRow[], dir: string): Promise<number> {
  const file = path.join(dir, 'bench-rows.ndjson');
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
  const rs = await client.query({
    query: `SELECT name, type FROM system.columns WHERE database = {db:String} AND table = 'events' AND name != 'loaded_at' ORDER BY position`,
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  const columns = await rs.json<{ name: string; type: string }>();
  const names = columns.map((c) => c.name).join(', ');
  // Types such as DateTime64(3, 'UTC') carry quotes: escaped inside the structure's string literal.
  const structure = columns.map((c) => `${c.name} ${c.type}`).join(', ').replaceAll("'", "\\'");
  const t = performance.now();
  await client.command({
    query: `INSERT INTO ${database}.events (${names}) SELECT ${names} FROM file('${file}', 'JSONEachRow', '${structure}')`,
    clickhouse_settings: { ...insertSettings, ...EVENT_INSERT_SETTINGS },
  });
  const took = seconds(t);
  rmSync(file);
  const loaded = await count(client, `${database}.events`);
  if (loaded !== rows.length) throw new Error(`${database}.events holds ${loaded} rows after the file ingest, expected ${rows.length}`);
  return took;
}

/** Product defaults on a bench data folder, with the environment's own settings (e.g. LOAD_BATCH_MAX_ROWS) passed through. */
export function benchConfig(dataDir: string): Config {
  return loadConfig({
    ...process.env,
    CDP_DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    CDP_WRITE_KEYS: 'wk_bench:bench',
  });
}

/**
 * Queues the events as load jobs of `jobEvents` each, a few dozen jobs per call (one addBulk is one MULTI, and
 * a huge one would hold Redis for seconds), and checks they all wait.
 */
export async function queueLoadJobs(queue: LoadQueue, events: EnrichedEvent[], jobEvents: number): Promise<number> {
  const jobCount = Math.ceil(events.length / jobEvents);
  const perCall = 50 * jobEvents;
  for (let start = 0; start < events.length; start += perCall) {
    const jobs = [];
    for (let at = start; at < Math.min(events.length, start + perCall); at += jobEvents) {
      jobs.push({ name: LOAD_JOB_NAME, data: { events: events.slice(at, at + jobEvents), rejected: [] } });
    }
    await queue.addBulk(jobs);
  }
  const waiting = await queue.getWaitingCount();
  if (waiting !== jobCount) throw new Error(`${waiting} jobs waiting, expected ${jobCount}`);
  return jobCount;
}

/** ARCHITECTURE.md's pipeline numbers: ≥ 50 % of a raw insert of the same rows, ≥ 50,000 events/s; met only by a complete run. */
export function pipelineTargets(ratio: number, eventsPerSec: number, complete: boolean): { ratio: Target; eventsPerSec: Target } {
  return {
    ratio: { target: 0.5, value: ratio, met: complete && ratio >= 0.5 },
    eventsPerSec: { target: 50_000, value: round(eventsPerSec), met: complete && eventsPerSec >= 50_000 },
  };
}

export async function runPipelineBench(opts: BenchOptions): Promise<PipelineReport> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cdp-bench-'));
  const config = benchConfig(dataDir);
  const log = createLogger(config);
  const n = opts.pipelineEvents;
  const batchRows = config.LOAD_BATCH_MAX_ROWS;
  const notes: string[] = [];

  process.stderr.write(`bench: pipeline: generating ${n} events…\n`);
  const clock = Date.now();
  let events: EnrichedEvent[] = buildEvents(n, config, clock);

  // One client for the baseline and for polling; the product opens its own connections on the same path.
  const client = createClickHouse(config);
  let product: Product | undefined;
  let redisStop: (() => Promise<void>) | undefined;
  try {
    for (const database of [...BASELINE_DATABASES, CLIENT_DATABASE, FILE_DATABASE]) await migrate(client, database);
    // Migrated beforehand, so that startProduct() finds nothing to do and its start-up is only connections.
    await migrate(client, config.CLICKHOUSE_DATABASE);

    let t = performance.now();
    let rows: EventRow[] = events.map((e) => eventRow(e));
    const eventRowSeconds = seconds(t);
    const rowsFingerprint = fingerprint(rows);
    // The first insert of a process is several times slower (cold engine and JSON encoder); warming up on
    // a throw-away database keeps that out of the baseline, as the pipeline later runs on a warm engine.
    await migrate(client, WARM_UP_DATABASE);
    await rawInsert(client, WARM_UP_DATABASE, rows.slice(0, Math.min(rows.length, 5000)), batchRows);
    await client.command({ query: `DROP DATABASE ${WARM_UP_DATABASE} SYNC` });

    process.stderr.write('bench: pipeline: raw insert baseline (before)…\n');
    const runSeconds = [await rawInsert(client, BASELINE_DATABASES[0], rows, batchRows)];
    process.stderr.write('bench: pipeline: the client\'s insert and chDB\'s file ingest, for scale…\n');
    const clientSeconds = await rawInsert(client, CLIENT_DATABASE, rows, batchRows, 'client');
    const fileSeconds = await fileIngest(client, FILE_DATABASE, rows, dataDir);

    // (b) Ours: every job queued before the workers start, so the figure is the drain rate of a full queue.
    process.stderr.write(`bench: pipeline: queueing jobs of ${opts.jobEvents} events…\n`);
    const redis = await resolveRedis(config, log);
    redisStop = redis.local?.stop;
    const producer = redisFor(redis, 'worker');
    const queue = createLoadQueue(producer, config);
    const jobCount = await queueLoadJobs(queue, events, opts.jobEvents);
    // Neither the events nor their rows stay in this process while the workers load: hundreds of MB of live
    // objects the product never holds would slow its garbage collection (measured: 9,554 against 10,950
    // events/s with the rows held). The rows are made again for the second baseline run.
    events = [];
    rows = [];
    await queue.close();
    await producer.quit();

    process.stderr.write('bench: pipeline: workers loading…\n');
    const deadline = Date.now() + opts.pipelineTimeoutSec * 1000;
    t = performance.now();
    // startProduct finds the private Redis started above (owned by this process) and adopts it.
    product = await startProduct(config, ['workers'], log);
    const startupSeconds = seconds(t);
    let loaded = 0;
    while ((loaded = await count(client, `${config.CLICKHOUSE_DATABASE}.events`)) < n) {
      if (Date.now() > deadline) throw new Error(`the pipeline loaded ${loaded} of ${n} events within ${opts.pipelineTimeoutSec} s`);
      // count() on a MergeTree reads part metadata only: cheap enough to poll often.
      await sleep(20);
    }
    const oursSeconds = seconds(t);
    const insertRows = await histogram(product.metrics.insertRows, 'events');
    const duplicates = (await product.metrics.duplicateEvents.get()).values[0]?.value ?? 0;
    const profile = await loadProfile(product.metrics, n, oursSeconds);
    await product.stop();
    product = undefined;
    // Late duplicates (a double insert) would show as more rows than events.
    const rowsInTable = await count(client, `${config.CLICKHOUSE_DATABASE}.events`);
    if (rowsInTable !== n) notes.push(`the events table holds ${rowsInTable} rows for ${n} events queued`);

    process.stderr.write('bench: pipeline: raw insert baseline (after)…\n');
    rows = buildEvents(n, config, clock).map((e) => eventRow(e));
    if (fingerprint(rows) !== rowsFingerprint) throw new Error('the rows made again for the second baseline run differ from the first ones');
    runSeconds.push(await rawInsert(client, BASELINE_DATABASES[1], rows, batchRows));

    const baselineSeconds = runSeconds.reduce((a, b) => a + b, 0) / runSeconds.length;
    const baselineRate = n / baselineSeconds;
    const oursRate = n / oursSeconds;
    const ratio = round(oursRate / baselineRate, 3);
    const complete = rowsInTable === n;
    notes.push('the workers resolve identities (Redis Lua) as in production; the baseline inserts rows without a profile id. The identity bench measures resolution on a stitching scenario, and the resolver alone');
    return {
      events: n,
      jobEvents: opts.jobEvents,
      jobs: jobCount,
      baseline: {
        databases: BASELINE_DATABASES,
        insertBatchRows: batchRows,
        insertsPerRun: Math.ceil(n / batchRows),
        seconds: round(baselineSeconds, 3),
        eventsPerSec: round(baselineRate),
        runSeconds: runSeconds.map((s) => round(s, 3)),
        eventRowSeconds: round(eventRowSeconds, 3),
        path: embeddedInsertOf(client) ? 'chDB file ingest: one JSONEachRow file per batch, INSERT … SELECT FROM file() (pipeline/clickhouse/insert-rows.ts)' : 'the client\'s JSONEachRow insert',
      },
      clientInsert: { seconds: round(clientSeconds, 3), eventsPerSec: round(n / clientSeconds) },
      fileIngestCeiling: { seconds: round(fileSeconds, 3), eventsPerSec: round(n / fileSeconds) },
      ours: {
        database: config.CLICKHOUSE_DATABASE,
        seconds: round(oursSeconds, 3),
        eventsPerSec: round(oursRate),
        startupSeconds: round(startupSeconds, 3),
        eventsPerSecAfterStartup: round(n / (oursSeconds - startupSeconds)),
        inserts: insertRows.count,
        avgRowsPerInsert: insertRows.count ? round(insertRows.sum / insertRows.count) : 0,
        duplicatesDropped: duplicates,
        rowsInTable,
        profile,
      },
      ratio,
      targets: pipelineTargets(ratio, oursRate, complete),
      notes,
    };
  } finally {
    if (product) await product.stop();
    // startProduct adopted the private Redis and stops it; this covers a failure before it started.
    if (redisStop) await redisStop();
    await client.close();
    removeDir(dataDir, opts.keepData);
  }
}
