import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acceptBatch } from '../ingest/accept.js';
import { extractIdentifiers } from '../identity/identifiers.js';
import { IDENTITY_TABLES, identityRows, type IdentityRows } from '../identity/identity-rows.js';
import { identityRules } from '../identity/identity-rules.js';
import { candidateProfileId, createResolver, type Resolution, type ResolveInput } from '../identity/resolver.js';
import { createSuppressionHasher } from '../identity/suppression-hash.js';
import { createClickHouse, type ClickHouseClient } from '../pipeline/clickhouse/client.js';
import type { Config } from '../pipeline/core/config.js';
import { eventRow, type EventRow } from '../pipeline/load/event-row.js';
import type { EnrichedEvent } from '../pipeline/core/load-job.js';
import { createLoadQueue } from '../pipeline/redis/load-queue.js';
import { createLogger } from '../pipeline/core/logger.js';
import { migrate } from '../pipeline/clickhouse/migrations.js';
import { redisFor, resolveRedis, type RedisTarget } from '../pipeline/redis/connection.js';
import { redisKeyNames } from '../pipeline/redis/key-names.js';
import { startProduct, type Product } from '../pipeline/process/start.js';
import { generateIdentityScenario, scenarioOptionsForEvents, scoreIdentity, type ResolvedIdentifierRow, type ScenarioStats } from './identity-scenario.js';
import type { BenchOptions } from './options.js';
import { benchConfig, count, pipelineTargets, queueLoadJobs, rawInsert } from './pipeline-bench.js';
import { removeDir } from './server-children.js';
import { round, seconds, type Target } from './figures.js';
import { trackingLimits } from '../ingest/tracking-limits.js';

// Identity throughput: the events of a stitching scenario (bench/identity-scenario.ts: customers with
// several devices, late logins, checkout emails, aliases, kiosks, junk ids, out-of-order delivery) through
//   (a) the resolver alone: extractIdentifiers + createResolver().resolve against the private Redis, in groups
//       of the size the loader hands it (a worker's group of jobs), one group at a time as the loader does;
//   (b) the raw insert of the same event rows (the pipeline without identity: the floor no loader can beat,
//       as in pipeline-bench.ts), and, for scale, of the identity rows the resolution produces;
//   (c) ours: the real workers from the queue to ClickHouse, with identity (dedupe, resolution, identity
//       rows, inserts), until every job is done.
// (d) then the stitching (c) produced is scored against the scenario's truth (precision, recall, over-merges).
// (a) and (b) run before and after (c) and are averaged: on a shared machine the load drifts within a minute,
// and bracketing spreads that drift over both sides. Each resolver run uses a key prefix of its own, so
// every run builds the graph from nothing, as (c) does under the product's prefix.

const RAW_DATABASES = ['bench_identity_raw_before', 'bench_identity_raw_after'] as const;
const IDENTITY_RAW_DATABASE = 'bench_identity_rows';
const WARM_UP_DATABASE = 'bench_identity_warm_up';
const insertSettings = { max_partitions_per_insert_block: '1000' };

export interface ResolverRun {
  prefix: string;
  seconds: number;
  eventsPerSec: number;
}

export interface IdentityReport {
  events: number;
  customers: number;
  seed: number;
  scenario: ScenarioStats;
  jobEvents: number;
  /** Events per resolve() call: a worker's group (half its slots' jobs, bounded by LOAD_BATCH_MAX_ROWS). */
  groupEvents: number;
  resolver: {
    /** extractIdentifiers over every event (part of the loader's work, not of the resolver's). */
    extractSeconds: number;
    /** Lua script calls per run (the resolver cuts a group into chunks of 500 events). */
    scriptCalls: number;
    runs: ResolverRun[];
    /** N ÷ mean seconds of the runs. */
    eventsPerSec: number;
    profilesCreated: number;
    merges: number;
    refusals: number;
    unresolved: number;
  };
  rawInsert: {
    databases: readonly string[];
    insertBatchRows: number;
    runSeconds: number[];
    /** N ÷ mean seconds: the pipeline without identity. */
    eventsPerSec: number;
    /** The identity rows of the resolution, inserted the same way (not part of the baseline; for scale). */
    identityRows: Record<string, number>;
    identityRowsSeconds: number;
  };
  ours: {
    database: string;
    /** From startProduct() to every job done (events and identity rows in ClickHouse). */
    seconds: number;
    eventsPerSec: number;
    startupSeconds: number;
    /** From startProduct() to count() = N on the events table. */
    eventsLoadedSeconds: number;
    rowsInTable: number;
    identityRows: Record<string, number>;
  };
  /**
   * How well the workers stitched the scenario (scoreIdentity over events_resolved and profile_identifiers;
   * definitions in bench/identity-scenario.ts): a fast resolver that fuses customers is no result.
   */
  quality: {
    precision: number;
    recall: number;
    precisionFloor: number;
    recallFloor: number;
    attributablePrecision: number;
    attributableRecallOfAttainable: number;
    profiles: number;
    overMerges: { blocked: number; other: number; sharedCore: number; largestProfileCustomers: number };
    junkIdentifiersHeld: number;
  };
  /** ours ÷ raw insert (events/s): the target "queue → ClickHouse with identity ≥ 50 % of a raw insert". */
  ratio: number;
  /** Resolver-alone seconds ÷ ours seconds: the part of the pipeline's time resolution would take on its own. */
  resolverShare: number;
  targets: { ratio: Target; eventsPerSec: Target };
  notes: string[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
// identity/resolver.ts sends a group to Redis in chunks of this many events, one script call each.
const RESOLVER_CHUNK = 500;
const scriptCalls = (n: number, groupEvents: number) => {
  let calls = 0;
  for (let start = 0; start < n; start += groupEvents) calls += Math.ceil(Math.min(groupEvents, n - start) / RESOLVER_CHUNK);
  return calls;
};

/** The scenario's batches as the API would queue them: acceptBatch, request by request. */
export function enrichedEvents(opts: BenchOptions, config: Config) {
  const scenario = generateIdentityScenario(scenarioOptionsForEvents(opts.identityEvents, { seed: opts.identitySeed, prefix: 'bench' }));
  const limits = trackingLimits(config);
  const events: EnrichedEvent[] = [];
  scenario.batches.forEach((batch, request) => {
    const result = acceptBatch({ batch }, { route: 'batch', requestId: `bench-${request}`, sourceId: 'bench', ip: '203.0.113.7', receivedAt: Date.now() }, limits);
    if (result.errors.length > 0) throw new Error(`scenario events were rejected: ${JSON.stringify(result.errors).slice(0, 500)}`);
    events.push(...result.events);
  });
  return { scenario, events };
}

async function tableCounts(client: ClickHouseClient, database: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of IDENTITY_TABLES) out[table] = await count(client, `${database}.${table}`);
  return out;
}

/** The resolver alone over every event, a group at a time; returns the seconds and the resolutions. */
async function resolveAll(redis: RedisTarget, prefix: string, config: Config, inputs: ResolveInput[], groupEvents: number) {
  const connection = redisFor(redis, 'worker');
  try {
    // The bench's own graph has no suppressed identifiers; any secret keys their (absent) hashes.
    const resolver = createResolver(connection, redisKeyNames(prefix).identity, config.IDENTITY_LIMITS, createSuppressionHasher(randomBytes(32)));
    await connection.ping();
    const resolutions: Resolution[] = [];
    const t = performance.now();
    for (let start = 0; start < inputs.length; start += groupEvents) resolutions.push(...(await resolver.resolve(inputs.slice(start, start + groupEvents))));
    const took = seconds(t);
    if (resolutions.length !== inputs.length) throw new Error(`the resolver returned ${resolutions.length} results for ${inputs.length} events`);
    return { seconds: took, resolutions };
  } finally {
    await connection.quit();
  }
}

async function score(client: ClickHouseClient, database: string, scenario: ReturnType<typeof generateIdentityScenario>): Promise<IdentityReport['quality']> {
  const query = async <T>(sql: string) => (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
  const events = await query<{ message_id: string; profile_id: string }>(`SELECT message_id, profile_id FROM ${database}.events_resolved`);
  const identifiers = await query<ResolvedIdentifierRow>(`SELECT profile_id, identifier_type, identifier FROM ${database}.profile_identifiers`);
  const s = scoreIdentity(scenario.truth, { events: events.map((r) => [r.message_id, r.profile_id] as const), identifiers });
  return {
    precision: round(s.precision, 4),
    recall: round(s.recall, 4),
    precisionFloor: round(s.bounds.precisionFloor, 4),
    recallFloor: round(s.bounds.recallFloor, 4),
    attributablePrecision: round(s.attributable.precision, 4),
    attributableRecallOfAttainable: round(s.attributable.truePositives / Math.max(1, s.attributable.attainablePairs), 4),
    profiles: s.profiles,
    overMerges: {
      blocked: s.overMerges.blocked,
      other: s.overMerges.other,
      sharedCore: s.overMerges.sharedCore,
      largestProfileCustomers: Math.max(0, ...s.overMerges.profiles.map((p) => Object.keys(p.customers).length)),
    },
    junkIdentifiersHeld: s.identifiers?.junkHeld.length ?? 0,
  };
}

async function insertIdentityRows(client: ClickHouseClient, database: string, rows: IdentityRows, batchRows: number): Promise<number> {
  const t = performance.now();
  for (const table of IDENTITY_TABLES) {
    const values = rows[table];
    for (let start = 0; start < values.length; start += batchRows) {
      await client.insert({
        table: `${database}.${table}`,
        values: values.slice(start, start + batchRows),
        format: 'JSONEachRow',
        clickhouse_settings: { ...insertSettings, insert_deduplication_token: `bench:${database}:${table}:${start}` },
      });
    }
  }
  return seconds(t);
}

export async function runIdentityBench(opts: BenchOptions): Promise<IdentityReport> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cdp-bench-identity-'));
  const config = benchConfig(dataDir);
  const log = createLogger(config);
  const batchRows = config.LOAD_BATCH_MAX_ROWS;
  // The loader cuts a group at half the worker's slots or at LOAD_BATCH_MAX_ROWS rows, whichever comes first.
  const groupJobs = Math.max(1, Math.floor(config.WORKER_CONCURRENCY / 2));
  const groupEvents = Math.min(groupJobs * opts.jobEvents, Math.ceil(batchRows / opts.jobEvents) * opts.jobEvents);
  const notes: string[] = [];

  process.stderr.write(`bench: identity: generating a scenario of about ${opts.identityEvents} events…\n`);
  const built = enrichedEvents(opts, config);
  const { scenario } = built;
  let events = built.events;
  const n = events.length;
  const rules = identityRules(config);

  const client = createClickHouse(config);
  let product: Product | undefined;
  let redis: RedisTarget | undefined;
  try {
    for (const database of [...RAW_DATABASES, IDENTITY_RAW_DATABASE, WARM_UP_DATABASE, config.CLICKHOUSE_DATABASE]) await migrate(client, database);
    redis = await resolveRedis(config, log);
    const redisTarget = redis;

    let t = performance.now();
    const inputs: ResolveInput[] = events.map((e) => ({ candidate: candidateProfileId(e.sourceId, e.messageId), identifiers: extractIdentifiers(e, rules).identifiers }));
    const extractSeconds = seconds(t);

    const runs: ResolverRun[] = [];
    const resolverRun = async (label: string) => {
      const prefix = `{bench-resolver-${label}}`;
      process.stderr.write(`bench: identity: resolver alone (${label})…\n`);
      const run = await resolveAll(redisTarget, prefix, config, inputs, groupEvents);
      runs.push({ prefix, seconds: round(run.seconds, 3), eventsPerSec: round(n / run.seconds) });
      return run;
    };
    // A short warm-up on a throw-away prefix (script load, connection, JIT), then the measured run.
    await resolveAll(redisTarget, '{bench-resolver-warm-up}', config, inputs.slice(0, Math.min(n, 5000)), groupEvents);
    const { resolutions } = await resolverRun('before');

    const rows: EventRow[] = events.map((e, i) => eventRow(e, resolutions[i]!.profileId));
    const identity = identityRows(events, resolutions);
    await rawInsert(client, WARM_UP_DATABASE, rows.slice(0, Math.min(n, 5000)), batchRows);
    await client.command({ query: `DROP DATABASE ${WARM_UP_DATABASE} SYNC` });
    process.stderr.write('bench: identity: raw insert (before)…\n');
    const rawSeconds = [await rawInsert(client, RAW_DATABASES[0], rows, batchRows)];
    const identityRowsSeconds = await insertIdentityRows(client, IDENTITY_RAW_DATABASE, identity, batchRows);
    const identityRowCounts = Object.fromEntries(IDENTITY_TABLES.map((table) => [table, identity[table].length]));

    // (c) Ours: every job queued before the workers start, so the figure is the drain rate of a full queue.
    process.stderr.write(`bench: identity: queueing jobs of ${opts.jobEvents} events…\n`);
    const producer = redisFor(redisTarget, 'worker');
    const queue = createLoadQueue(producer, config);
    const jobCount = await queueLoadJobs(queue, events, opts.jobEvents);
    events = [];

    process.stderr.write('bench: identity: workers loading with identity…\n');
    const deadline = Date.now() + opts.pipelineTimeoutSec * 1000;
    t = performance.now();
    product = await startProduct(config, ['workers'], log);
    const startupSeconds = seconds(t);
    let eventsLoadedSeconds = 0;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`the workers did not finish ${jobCount} jobs within ${opts.pipelineTimeoutSec} s`);
      if (!eventsLoadedSeconds && (await count(client, `${config.CLICKHOUSE_DATABASE}.events`)) >= n) eventsLoadedSeconds = seconds(t);
      // Jobs are removed when done (removeOnComplete); failed ones stay in the failed set.
      const left = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      if (eventsLoadedSeconds && Object.values(left).every((c) => c === 0)) break;
      await sleep(20);
    }
    const oursSeconds = seconds(t);
    const failed = await queue.getFailedCount();
    await queue.close();
    await producer.quit();
    await product.stop();
    product = undefined;
    const rowsInTable = await count(client, `${config.CLICKHOUSE_DATABASE}.events`);
    if (rowsInTable !== n) notes.push(`the events table holds ${rowsInTable} rows for ${n} events queued`);
    if (failed > 0) notes.push(`${failed} load jobs failed`);
    const oursIdentityRows = await tableCounts(client, config.CLICKHOUSE_DATABASE);
    process.stderr.write('bench: identity: scoring the stitching…\n');
    const quality = await score(client, config.CLICKHOUSE_DATABASE, scenario);

    process.stderr.write('bench: identity: raw insert (after)…\n');
    rawSeconds.push(await rawInsert(client, RAW_DATABASES[1], rows, batchRows));
    await resolverRun('after');

    const resolverSeconds = mean(runs.map((r) => r.seconds));
    const rawRate = n / mean(rawSeconds);
    const oursRate = n / oursSeconds;
    const ratio = round(oursRate / rawRate, 3);
    const complete = rowsInTable === n && failed === 0;
    notes.push(
      'there is no switch to turn identity off in the product: "without identity" is the raw insert of the same event rows (as in the pipeline bench), and the resolver is also measured alone',
    );
    return {
      events: n,
      customers: scenario.stats.customers,
      seed: opts.identitySeed,
      scenario: scenario.stats,
      jobEvents: opts.jobEvents,
      groupEvents,
      resolver: {
        extractSeconds: round(extractSeconds, 3),
        scriptCalls: scriptCalls(n, groupEvents),
        runs,
        eventsPerSec: round(n / resolverSeconds),
        profilesCreated: resolutions.filter((r, i) => r.profileId === inputs[i]!.candidate).length,
        merges: resolutions.reduce((a, r) => a + r.merges.length, 0),
        refusals: resolutions.reduce((a, r) => a + r.refusals.length, 0),
        unresolved: resolutions.filter((r) => r.profileId === '').length,
      },
      rawInsert: {
        databases: RAW_DATABASES,
        insertBatchRows: batchRows,
        runSeconds: rawSeconds.map((s) => round(s, 3)),
        eventsPerSec: round(rawRate),
        identityRows: identityRowCounts,
        identityRowsSeconds: round(identityRowsSeconds, 3),
      },
      ours: {
        database: config.CLICKHOUSE_DATABASE,
        seconds: round(oursSeconds, 3),
        eventsPerSec: round(oursRate),
        startupSeconds: round(startupSeconds, 3),
        eventsLoadedSeconds: round(eventsLoadedSeconds, 3),
        rowsInTable,
        identityRows: oursIdentityRows,
      },
      quality,
      ratio,
      resolverShare: round(resolverSeconds / oursSeconds, 3),
      targets: pipelineTargets(ratio, oursRate, complete),
      notes,
    };
  } finally {
    if (product) await product.stop();
    if (redis?.local?.owned) await redis.local.stop();
    await client.close();
    removeDir(dataDir, opts.keepData);
  }
}
