import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClickHouse, type ClickHouseClient } from '../pipeline/clickhouse/client.js';
import { chTime } from '../pipeline/clickhouse/ch-time.js';
import { migrate } from '../pipeline/clickhouse/migrations.js';
import { loadConfig, type Config } from '../pipeline/core/config.js';
import { createLogger } from '../pipeline/core/logger.js';
import { traitInput } from '../segments/computed-traits/trait-definition.js';
import { createTraitStore } from '../segments/computed-traits/trait-store.js';
import { createJobRunner, type JobSummary } from '../segments/jobs/job-runner.js';
import { BENCH_TRAITS } from './bench-traits.js';
import { round, seconds } from './figures.js';
import { AS_OF, generateJobsData, type CeilingTarget } from './jobs-bench.js';
import type { BenchOptions } from './options.js';
import { removeDir } from './server-children.js';

// The customer model (issue "The customer model"): 10 computed traits, the lifecycle stages and the value
// tiers over the jobs bench's generated data (bench/jobs-bench.ts: about 20 events per profile over two years,
// 60 % buyers, refunds, resent orders, 2 % merged profiles), each beside one scan of the columns it reads,
// in the same run on the same data. Target: at 1 M profiles / 20 M events, traits + lifecycle + tiers within
// 15 s on the bench machine.
//
// The orders and churn jobs they read run first, untimed (the jobs bench times them). Then, timed one by
// one, as of the same as_of: `traits` (all 10), `lifecycle`, `value_tiers`; then `lifecycle` again a day
// later, the run that compares with a previous snapshot and writes transitions (orders and churn for that
// day run first, untimed).

const DAY_MS = 86_400_000;

const progress = (msg: string) => process.stderr.write(`bench: model: ${msg}\n`);

export interface ScanBaseline {
  query: string;
  rows: number;
  seconds: number;
}

export interface ModelJobFigure {
  seconds: number;
  rows: number;
  baselineSeconds: number;
  /** seconds ÷ baselineSeconds. */
  ratio: number;
  summary: Record<string, unknown>;
}

export interface ModelSizeReport {
  profiles: number;
  data: Awaited<ReturnType<typeof generateJobsData>>;
  /** One scan per trait of the events it reads (its call/event, window bound, the columns it folds). */
  traitBaselines: Record<string, ScanBaseline>;
  baselines: { lifecycle: ScanBaseline; valueTiers: ScanBaseline };
  jobs: { traits: ModelJobFigure; lifecycle: ModelJobFigure; value_tiers: ModelJobFigure; lifecycleNextDay: ModelJobFigure };
  targets: { seconds?: CeilingTarget; total: number };
}

export interface ModelReport {
  profiles: number[];
  traits: number;
  sizes: ModelSizeReport[];
  notes: string[];
}

async function one<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  const [row] = await rs.json<T>();
  if (!row) throw new Error(`no row from ${query}`);
  return row;
}

/** Warm once, then time one run. */
async function scan(client: ClickHouseClient, query: string, asOf: number): Promise<ScanBaseline> {
  const params = { as_of: chTime(asOf) };
  await one(client, query, params);
  const t = performance.now();
  const row = await one<{ rows: string | number }>(client, query, params);
  return { query: query.replace(/\s+/g, ' ').trim(), rows: Number(row.rows), seconds: round(seconds(t), 3) };
}

/**
 * What a trait reads of the events: its call and event name, the coarse time bound of its window, and the
 * profile, message id, time and (when it reads a property) the properties of each row, folded so that no
 * column can be skipped.
 */
function traitScan(database: string, trait: (typeof BENCH_TRAITS)[number]): string {
  const d = trait.definition as { call?: string; event?: string; property?: string; window?: { within_days?: number } };
  const where = [`type = '${d.call ?? 'track'}'`, ...(d.event ? [`event = '${d.event}'`] : []), `timestamp <= {as_of:DateTime64(3, 'UTC')}`];
  if (d.window?.within_days) where.push(`timestamp >= {as_of:DateTime64(3, 'UTC')} - toIntervalDay(${d.window.within_days + 2})`);
  const folded = d.property ? 'cityHash64(profile_id, message_id, properties)' : 'cityHash64(profile_id, message_id)';
  return `SELECT count() AS rows, sum(${folded}) AS h, max(timestamp) AS last FROM ${database}.events WHERE ${where.join(' AND ')}`;
}

/** Lifecycle reads every profile's first event (profile_activity), the orders snapshot and the churn flags. */
function lifecycleScan(database: string): string {
  return `SELECT
  (SELECT count() FROM ${database}.profile_activity WHERE first_seen <= {as_of:DateTime64(3, 'UTC')}) AS profiles,
  (SELECT sum(cityHash64(profile_id)) + sum(toUnixTimestamp64Milli(ordered_at)) + sum(refunded) + sum(net_revenue) FROM ${database}.orders WHERE as_of = {as_of:DateTime64(3, 'UTC')}) AS h,
  (SELECT sum(cityHash64(profile_id, churn_flag, rule_flag)) FROM ${database}.churn_scores WHERE as_of = {as_of:DateTime64(3, 'UTC')}) AS c,
  profiles + (SELECT count() FROM ${database}.orders WHERE as_of = {as_of:DateTime64(3, 'UTC')}) AS rows`;
}

/** Value tiers read the orders snapshot's money and the churn snapshot's CLV. */
function valueTiersScan(database: string): string {
  return `SELECT
  (SELECT count() FROM ${database}.orders WHERE as_of = {as_of:DateTime64(3, 'UTC')}) AS rows,
  (SELECT sum(cityHash64(profile_id, currency)) + sum(refunded) + sum(net_revenue) FROM ${database}.orders WHERE as_of = {as_of:DateTime64(3, 'UTC')}) AS h,
  (SELECT sum(cityHash64(profile_id)) + sum(clv) FROM ${database}.churn_scores WHERE as_of = {as_of:DateTime64(3, 'UTC')}) AS c`;
}

function figure(summary: JobSummary, t: number, baselineSeconds: number): ModelJobFigure {
  const s = seconds(t);
  const { job: _j, as_of: _a, status: _s, rows, ran_dependencies: _d, duration_ms: _ms, ...rest } = summary;
  return { seconds: round(s, 3), rows, baselineSeconds, ratio: round(s / baselineSeconds, 1), summary: rest };
}

async function benchSize(client: ClickHouseClient, config: Config, profiles: number): Promise<ModelSizeReport> {
  const database = `bench_model_${profiles}`;
  const cfg: Config = { ...config, CLICKHOUSE_DATABASE: database };
  await client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
  await migrate(client, database);
  progress(`N=${profiles}: generating about ${profiles * 20} events…`);
  const data = await generateJobsData(client, database, profiles);
  const traits = createTraitStore({ clickhouse: client, database });
  for (const t of BENCH_TRAITS) await traits.put(t.id, traitInput.parse(t.definition), 'bench');

  const runner = createJobRunner({ clickhouse: client, config: cfg, log: createLogger(cfg, { bench: 'model' }) });
  progress(`N=${profiles}: orders and churn (untimed)…`);
  await runner.run('orders', AS_OF);
  await runner.run('churn', AS_OF);

  const traitBaselines: Record<string, ScanBaseline> = {};
  for (const t of BENCH_TRAITS) traitBaselines[t.id] = await scan(client, traitScan(database, t), AS_OF);
  const baselines = { lifecycle: await scan(client, lifecycleScan(database), AS_OF), valueTiers: await scan(client, valueTiersScan(database), AS_OF) };
  const traitsBaseline = round(Object.values(traitBaselines).reduce((a, b) => a + b.seconds, 0), 3);

  const timed = async (name: 'traits' | 'lifecycle' | 'value_tiers', asOf: number, baselineSeconds: number) => {
    progress(`N=${profiles}: ${name} as of ${new Date(asOf).toISOString()}…`);
    const t = performance.now();
    const summary = (await runner.run(name, asOf)) as JobSummary;
    return figure(summary, t, baselineSeconds);
  };
  const jobs = {
    traits: await timed('traits', AS_OF, traitsBaseline),
    lifecycle: await timed('lifecycle', AS_OF, baselines.lifecycle.seconds),
    value_tiers: await timed('value_tiers', AS_OF, baselines.valueTiers.seconds),
    lifecycleNextDay: undefined as unknown as ModelJobFigure,
  };
  progress(`N=${profiles}: orders and churn a day later (untimed)…`);
  await runner.run('orders', AS_OF + DAY_MS);
  await runner.run('churn', AS_OF + DAY_MS);
  jobs.lifecycleNextDay = await timed('lifecycle', AS_OF + DAY_MS, baselines.lifecycle.seconds);

  const total = round(jobs.traits.seconds + jobs.lifecycle.seconds + jobs.value_tiers.seconds, 3);
  await client.command({ query: `DROP DATABASE ${database} SYNC` });
  return {
    profiles,
    data,
    traitBaselines,
    baselines,
    jobs,
    targets: { total, ...(profiles >= 1_000_000 ? { seconds: { atMost: 15, value: total, met: total <= 15 } } : {}) },
  };
}

export async function runCustomerModelBench(opts: BenchOptions): Promise<ModelReport> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cdp-bench-model-'));
  const config = loadConfig({ ...process.env, CDP_DATA_DIR: dataDir, CLICKHOUSE_URL: '', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const client = createClickHouse(config);
  try {
    const sizes: ModelSizeReport[] = [];
    for (const profiles of opts.jobsProfiles) sizes.push(await benchSize(client, config, profiles));
    return {
      profiles: opts.jobsProfiles,
      traits: BENCH_TRAITS.length,
      sizes,
      notes: [
        'data as the jobs bench generates them (BENCH_JOBS_PROFILES sizes); orders and churn run first, untimed',
        'the seconds target (traits + lifecycle + value_tiers as of one as_of) applies at 1 M profiles / 20 M events only',
        'each trait baseline is one scan of the events rows and columns that trait reads; the traits job is compared with their sum',
        'lifecycleNextDay is the run a day later, which compares with the previous snapshot and writes transitions',
      ],
    };
  } finally {
    await client.close();
    removeDir(dataDir, opts.keepData);
  }
}
