import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClickHouse, type ClickHouseClient } from '../pipeline/clickhouse/client.js';
import { loadConfig, type Config } from '../pipeline/core/config.js';
import { chTime } from '../pipeline/clickhouse/ch-time.js';
import { createLogger } from '../pipeline/core/logger.js';
import { migrate } from '../pipeline/clickhouse/migrations.js';
import { createJobRunner, type JobSummary } from '../segments/jobs/job-runner.js';
import type { JobName } from '../segments/jobs/jobs.js';
import type { BenchOptions } from './options.js';
import { removeDir } from './server-children.js';
import { round, seconds } from './figures.js';
import { runBenchSegments, type SegmentsFigure } from './bench-segments.js';

// Scheduled jobs (segments/jobs/: orders, rfm, churn, and `all`) over generated data, each beside one scan of
// the columns it reads, in the same run on the same data (ARCHITECTURE.md § Numbers: "RFM + churn + 20
// segments over 1 M profiles / 20 M events ≤ 30 s, and ≤ 5 × one scan of the columns they read").
//
// The data are generated inside ClickHouse (INSERT … SELECT FROM numbers()), not sent through the tracking
// API: this is a job benchmark, and the ingest path has benches of its own. Per profile count N, in a
// database of its own on one temporary data folder (chDB binds one data path per process):
//   - about 20 × N events over the two years before as_of: 17 per profile of browsing (page views, product,
//     cart, checkout and search tracks), and about 3 `Order Completed` (order_id, revenue) per profile from a
//     buy-till-you-die process (60 % of profiles buy; Poisson repeat orders, dropping out after each with a
//     per-buyer probability: the process the churn job's BG/NBD model describes, so its fit has something
//     to find). On top: `Order Refunded` for ~3 % of orders (half partial with an amount, half without one:
//     refunded in full) and a repeated `Order Completed` for ~0.5 % (the orders job counts an order once);
//   - profile_overrides: 2 % of profiles merged into another one (a tenth of them with a superseded override
//     version), so events_resolved has overrides to apply;
//   - merges of the events table are stopped (SYSTEM STOP MERGES) before generating, so that no background
//     merge runs under the timings; the parts stay as inserted, a few per monthly partition.
// Timed (wall clock around createJobRunner().run, which includes the job_runs bookkeeping):
//   - orders, rfm, churn one by one for as_of; then `all` for as_of + 1 day, a fresh snapshot as a daily
//     schedule writes it (no event falls between the two, so it reads the same rows);
//   - baselines: one scan of the columns each job reads (events: the order events' columns the orders job
//     reads; orders: the columns rfm and churn read of one as_of's snapshot), each after a warm-up run and
//     taken before and after the jobs, averaged, as the other benches bracket theirs.

const DAY_MS = 86_400_000;
/** Fixed, so that every run generates the same data: 2026-01-01T00:00:00Z. */
export const AS_OF = Date.UTC(2026, 0, 1);
const HISTORY_DAYS = 730;
const EVENTS_PER_PROFILE = 20;
const JOB_ORDER = ['orders', 'rfm', 'churn'] as const satisfies readonly JobName[];

export interface CeilingTarget {
  /** The figure must be at most this. */
  atMost: number;
  value: number;
  met: boolean;
}

export interface JobFigure {
  seconds: number;
  /** Rows the job wrote for its as_of (for `all`, per job). */
  rows: number | Record<string, number>;
  /** The baseline scan this job is compared with. */
  baseline: string;
  baselineSeconds: number;
  /** seconds ÷ baselineSeconds. */
  ratio: number;
  /** What the job's summary adds (fitted parameters, segment counts), trimmed. */
  summary?: Record<string, unknown>;
}

export interface ScanFigure {
  /** What it reads. */
  query: string;
  rows: number;
  /** Mean of the runs before and after the jobs. */
  seconds: number;
  runSeconds: number[];
}

export interface JobsSizeReport {
  profiles: number;
  database: string;
  asOf: string;
  allAsOf: string;
  data: {
    events: number;
    orderCompleted: number;
    orderRefunded: number;
    overrides: number;
    mergedProfiles: number;
    generateSeconds: number;
    /** Active parts of the events table (merges are stopped after generation). */
    eventsParts: number;
    eventsBytesOnDisk: number;
  };
  baselines: { eventsScan: ScanFigure; ordersScan: ScanFigure; segmentsScan: ScanFigure };
  jobs: Record<(typeof JOB_ORDER)[number] | 'all', JobFigure>;
  /** The 20 segments' membership runs (bench/bench-segments.ts) after `all`, beside segmentsScan. */
  segments: SegmentsFigure & { baselineSeconds: number; ratio: number };
  targets: {
    /** `all` + the 20 segments ÷ (events scan + orders scan + segments scan). */
    ratio: CeilingTarget;
    /** Only at 1 M profiles / 20 M events, as ARCHITECTURE.md sets it. */
    seconds?: CeilingTarget;
  };
}

export interface JobsReport {
  profiles: number[];
  eventsPerProfile: number;
  historyDays: number;
  sizes: JobsSizeReport[];
  notes: string[];
}

const progress = (msg: string) => process.stderr.write(`bench: jobs: ${msg}\n`);

async function one<T>(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<T> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  const [row] = await rs.json<T>();
  if (!row) throw new Error(`no row from ${query}`);
  return row;
}

const EVENT_COLUMNS = `message_id, type, event, name, user_id, anonymous_id, profile_id, timestamp, original_timestamp, sent_at, received_at,
   source_id, order_id, revenue, currency, url, path, referrer, ip, user_agent, properties, traits, context, integrations`;
/** Profile p's id, in the resolver's format (`p_` and 24 hex digits). */
const profileId = (p: string) => `concat('p_', lower(hex(cityHash64(${p}, 3))), lower(leftPad(hex(toUInt32(${p})), 8, '0')))`;
/** A uniform number in (0, 1) from a hash: the data are the same on every run. */
const uniform = (...keys: string[]) => `((cityHash64(${keys.join(', ')}) % 1000000000 + 0.5) / 1000000000)`;
/** Per profile p: the day it is first seen (within the first 600) and, for a third of them, the last (30–230 days later). */
const ACTIVITY = `cityHash64(p, 1) AS hp,
  hp % 600 AS first_day,
  if(intDiv(hp, 600) % 3 = 0, least(${HISTORY_DAYS}, first_day + 30 + intDiv(hp, 1800) % 200), ${HISTORY_DAYS}) AS last_day`;
const COMMON_VALUES = `concat('203.0.113.', toString(hp % 250)) AS ip,
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36' AS user_agent`;
const BROWSE_EVENTS_PER_PROFILE = 17;

/**
 * Browsing, all in SQL: 17 events per profile, row n is event k = n div N of profile p = n mod N (a profile's
 * events are spread over the whole table, as the loader interleaves them), at a uniform time of the profile's
 * active days: 40 % page views, 60 % product, cart, checkout and search tracks.
 */
function browseInsert(database: string): string {
  return `
INSERT INTO ${database}.events (${EVENT_COLUMNS})
WITH
  number AS n,
  {profiles:UInt64} AS profiles,
  n % profiles AS p,
  intDiv(n, profiles) AS k,
  ${ACTIVITY},
  cityHash64(n, 2) AS h,
  h % 100 AS kind,
  toDateTime64({start:DateTime64(3, 'UTC')}, 3, 'UTC') + toIntervalMillisecond(first_day * 86400000 + intDiv(h, 100) % ((last_day - first_day) * 86400000)) AS ts,
  ['Product Viewed', 'Product Added', 'Cart Viewed', 'Checkout Started', 'Products Searched'][1 + kind % 5] AS track_event,
  concat('/products/', toString(intDiv(h, 7) % 5000)) AS product_path
SELECT
  lower(hex(cityHash64(n, 4))) || lower(hex(cityHash64(n, 5))) AS message_id,
  if(kind >= 40, 'track', 'page') AS type,
  if(kind >= 40, track_event, '') AS event,
  if(type = 'page', 'Product', '') AS name,
  if(k > 3, concat('u_', toString(p)), '') AS user_id,
  concat('a_', lower(hex(cityHash64(p, k % 3)))) AS anonymous_id,
  ${profileId('p')} AS profile_id,
  ts AS timestamp,
  ts AS original_timestamp,
  ts AS sent_at,
  ts + toIntervalMillisecond(40 + h % 400) AS received_at,
  'bench' AS source_id,
  '' AS order_id,
  NULL AS revenue,
  '' AS currency,
  if(type = 'page', concat('https://shop.example', product_path), '') AS url,
  if(type = 'page', product_path, '') AS path,
  '' AS referrer,
  ${COMMON_VALUES},
  if(type = 'track', concat('{"product_id":"', toString(intDiv(h, 7) % 5000), '"}'), concat('{"path":"', product_path, '"}')) AS properties,
  '{}' AS traits,
  '{"library":{"name":"analytics.js","version":"5.2.0"}}' AS context,
  '{}' AS integrations
FROM numbers({browse_events:UInt64})`;
}

/**
 * Orders, from a buy-till-you-die process (the kind the churn job's BG/NBD model describes), all in SQL, per
 * profile p of numbers(N): 60 % are buyers; a buyer's first order comes on average 30 days after the profile
 * is first seen; then repeat orders arrive as a Poisson process of rate λ (log-normal across buyers: median
 * one order per 60 days, σ = 1), and after each repeat order the buyer drops out with probability p_drop
 * (Beta(1, 3) across buyers, mean 0.25); at most 40 repeats, none after the history ends. Exponential gaps by
 * inversion, the normal by Box–Muller, the Beta(1, 3) as 1 − (1 − u)^(1/3), every uniform from a hash.
 * Revenue 10–210 (log-uniform-ish around a per-buyer mean).
 */
function ordersInsert(database: string): string {
  return `
INSERT INTO ${database}.events (${EVENT_COLUMNS})
WITH
  number AS p,
  ${ACTIVITY},
  exp(ln(1 / 60) + sqrt(-2 * ln(${uniform('p', '21')})) * cos(2 * pi() * ${uniform('p', '22')})) AS rate_per_day,
  1 - pow(1 - ${uniform('p', '23')}, 1 / 3) AS p_drop,
  1 + floor(ln(${uniform('p', '24')}) / ln(1 - p_drop)) AS alive_repeats,
  first_day - 30 * ln(${uniform('p', '25')}) AS first_order_day,
  arrayFilter((d, j) -> d < ${HISTORY_DAYS} AND j <= alive_repeats,
    arrayCumSum(arrayMap(j -> if(j = 0, first_order_day, -ln(${uniform('p', '26', 'j')}) / rate_per_day), range(41))),
    range(41)) AS order_days,
  20 + cityHash64(p, 27) % 120 AS mean_amount,
  toDateTime64({start:DateTime64(3, 'UTC')}, 3, 'UTC') + toIntervalMillisecond(toUInt64(day * 86400000)) AS ts,
  toDecimal64(least(210, greatest(10, mean_amount * exp(${uniform('p', 'j', '28')} - 0.5))), 2) AS amount
SELECT
  lower(hex(cityHash64(p, j, 4))) || lower(hex(cityHash64(p, j, 5))) AS message_id,
  'track' AS type,
  'Order Completed' AS event,
  '' AS name,
  concat('u_', toString(p)) AS user_id,
  concat('a_', lower(hex(cityHash64(p, j % 3)))) AS anonymous_id,
  ${profileId('p')} AS profile_id,
  ts AS timestamp,
  ts AS original_timestamp,
  ts AS sent_at,
  ts + toIntervalMillisecond(60) AS received_at,
  'bench' AS source_id,
  concat('o_', lower(hex(cityHash64(p, j, 6)))) AS order_id,
  amount AS revenue,
  'EUR' AS currency,
  '' AS url,
  '' AS path,
  '' AS referrer,
  ${COMMON_VALUES},
  concat('{"order_id":"', order_id, '","revenue":', toString(amount), ',"currency":"EUR"}') AS properties,
  '{}' AS traits,
  '{"library":{"name":"analytics.js","version":"5.2.0"}}' AS context,
  '{}' AS integrations
FROM numbers({profiles:UInt64})
ARRAY JOIN order_days AS day, arrayEnumerate(order_days) AS j
WHERE cityHash64(p, 20) % 100 < 60`;
}

/** ~3 % of orders refunded a few days later (half with an amount, half without: in full), ~0.5 % sent twice. */
function followUpsInsert(database: string): string {
  return `
INSERT INTO ${database}.events (${EVENT_COLUMNS})
SELECT
  lower(hex(cityHash64(message_id, 7))) || lower(hex(cityHash64(message_id, 8))),
  type,
  if(refund, 'Order Refunded', 'Order Completed'),
  name, user_id, anonymous_id, profile_id,
  at, at, at, at + toIntervalMillisecond(50),
  source_id, order_id,
  if(refund, if(cityHash64(order_id, 9) % 2 = 0, NULL, revenue * 3 / 10), revenue),
  currency, url, path, referrer, ip, user_agent, properties, traits, context, integrations
FROM
(
  SELECT *, cityHash64(order_id) % 1000 < 30 AS refund,
    least(timestamp + toIntervalSecond(if(refund, 3 * 86400 + cityHash64(order_id, 10) % 86400, 1 + cityHash64(order_id, 10) % 60)),
          {as_of:DateTime64(3, 'UTC')} - toIntervalSecond(1)) AS at
  FROM ${database}.events
  WHERE type = 'track' AND event = 'Order Completed' AND cityHash64(order_id) % 1000 < 35
)`;
}

/**
 * Profiles p with p mod 50 = 1 merged into p − 1 (never merged itself: one hop, as the resolver writes them).
 * A tenth of them first had an override (version 1) pointing elsewhere, superseded by version 2, which
 * argMax must pick. One insert per version: a Replacing table collapses the rows of one insert block.
 */
function overridesInsert(database: string, version: 1 | 2): string {
  const survivor = version === 2 ? profileId('p - 1') : profileId('(p + 7) % {profiles:UInt64}');
  return `
INSERT INTO ${database}.profile_overrides (old_profile_id, profile_id, version, merged_at)
SELECT ${profileId('p')}, ${survivor}, ${version}, {as_of:DateTime64(3, 'UTC')} - toIntervalDay(${version === 2 ? 200 : 400} + p % 300)
FROM (SELECT number * 50 + 1 AS p FROM numbers(intDiv({profiles:UInt64}, 50)))${version === 1 ? '\nWHERE p % 500 = 1' : ''}`;
}

export async function generateJobsData(client: ClickHouseClient, database: string, profiles: number) {
  const params = { profiles, browse_events: profiles * BROWSE_EVENTS_PER_PROFILE, start: chTime(AS_OF - HISTORY_DAYS * DAY_MS), as_of: chTime(AS_OF) };
  // No background merges of the parts under the timings (OPTIMIZE … FINAL would take about as long as
  // generating): the parts stay as inserted, a few per monthly partition, as in a live table. Big insert
  // blocks keep them few.
  await client.command({ query: `SYSTEM STOP MERGES ${database}.events` });
  const settings = { max_partitions_per_insert_block: '1000', max_insert_block_size: '4000000', min_insert_block_size_rows: '4000000', min_insert_block_size_bytes: '0' };
  const t = performance.now();
  await client.command({ query: browseInsert(database), query_params: params, clickhouse_settings: settings });
  await client.command({ query: ordersInsert(database), query_params: params, clickhouse_settings: settings });
  await client.command({ query: followUpsInsert(database), query_params: params, clickhouse_settings: settings });
  for (const version of [1, 2] as const) await client.command({ query: overridesInsert(database, version), query_params: params });
  const generateSeconds = seconds(t);
  progress(`N=${profiles}: generated in ${round(generateSeconds, 1)} s`);
  const stats = await one<Record<string, string | number>>(
    client,
    `SELECT count() AS events, countIf(event = 'Order Completed') AS completed, countIf(event = 'Order Refunded') AS refunded
     FROM ${database}.events`,
  );
  const o = await one<Record<string, string | number>>(client, `SELECT count() AS rows, uniqExact(old_profile_id) AS merged FROM ${database}.profile_overrides`);
  const disk = await one<{ b: string | number; parts: string | number }>(client, `SELECT sum(bytes_on_disk) AS b, count() AS parts FROM system.parts WHERE database = {db:String} AND table = 'events' AND active`, { db: database });
  return {
    events: Number(stats.events),
    orderCompleted: Number(stats.completed),
    orderRefunded: Number(stats.refunded),
    overrides: Number(o.rows),
    mergedProfiles: Number(o.merged),
    generateSeconds: round(generateSeconds, 3),
    eventsBytesOnDisk: Number(disk.b),
    eventsParts: Number(disk.parts),
  };
}

/**
 * The baselines: one pass over the columns a job reads, each column folded into an aggregate so that none can
 * be skipped. The orders job reads, of the order events before as_of, type, event, timestamp, order_id,
 * message_id, profile_id, revenue, currency and source_id (and the small override table, left out here);
 * rfm and churn read as_of, profile_id, ordered_at, refunded and net_revenue of one orders snapshot.
 */
function eventsScan(database: string): string {
  return `SELECT count() AS rows, sum(cityHash64(order_id, message_id, profile_id, currency, source_id)) AS h, sum(ifNull(revenue, 0)) AS revenue, max(timestamp) AS last
FROM ${database}.events
WHERE type = 'track' AND event IN ('Order Completed', 'Order Refunded') AND timestamp < {as_of:DateTime64(3, 'UTC')}`;
}

/** What the segments read of the events: the call, names, profile, time and properties of every event. */
function segmentsScan(database: string): string {
  return `SELECT count() AS rows, sum(cityHash64(type, event, name, profile_id)) AS h, max(timestamp) AS last, sum(length(properties)) AS bytes
FROM ${database}.events
WHERE timestamp <= {as_of:DateTime64(3, 'UTC')}`;
}

function ordersScan(database: string): string {
  return `SELECT count() AS rows, sum(cityHash64(profile_id)) AS h, sum(net_revenue) AS net, sum(refunded) AS refunded, max(ordered_at) AS last
FROM ${database}.orders
WHERE as_of = {as_of:DateTime64(3, 'UTC')}`;
}

async function timeScan(client: ClickHouseClient, query: string, asOf: number): Promise<{ seconds: number; rows: number }> {
  const t = performance.now();
  const row = await one<{ rows: string | number }>(client, query, { as_of: chTime(asOf) });
  return { seconds: seconds(t), rows: Number(row.rows) };
}

function scanFigure(query: string, runs: { seconds: number; rows: number }[]): ScanFigure {
  const mean = runs.reduce((a, r) => a + r.seconds, 0) / runs.length;
  return { query: query.replace(/\s+/g, ' ').trim(), rows: runs[0]?.rows ?? 0, seconds: round(mean, 3), runSeconds: runs.map((r) => round(r.seconds, 3)) };
}

/** The job's summary without the bulky or duplicated fields. */
function trimSummary(s: JobSummary): Record<string, unknown> {
  const { job: _job, as_of: _asOf, status: _status, rows: _rows, ran_dependencies: _deps, ...rest } = s;
  return rest;
}

async function benchSize(client: ClickHouseClient, config: Config, profiles: number): Promise<JobsSizeReport> {
  const database = `bench_jobs_${profiles}`;
  const cfg: Config = { ...config, CLICKHOUSE_DATABASE: database };
  await client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
  await migrate(client, database);
  progress(`N=${profiles}: generating about ${profiles * EVENTS_PER_PROFILE} events…`);
  const data = await generateJobsData(client, database, profiles);

  const runner = createJobRunner({ clickhouse: client, config: cfg, log: createLogger(cfg, { bench: 'jobs' }) });
  const allAsOf = AS_OF + DAY_MS;
  const eventsRuns: { seconds: number; rows: number }[] = [];
  const ordersRuns: { seconds: number; rows: number }[] = [];
  const segmentsRuns: { seconds: number; rows: number }[] = [];

  // Warm-up (unmeasured): the first read of a column is from disk, later ones from the page cache, and the
  // jobs run on a warm cache too (each reads what the one before wrote).
  await timeScan(client, eventsScan(database), AS_OF);
  eventsRuns.push(await timeScan(client, eventsScan(database), AS_OF));
  await timeScan(client, segmentsScan(database), AS_OF);
  segmentsRuns.push(await timeScan(client, segmentsScan(database), AS_OF));

  const figures: Partial<Record<JobName | 'all', { seconds: number; rows: number | Record<string, number>; summary?: Record<string, unknown> }>> = {};
  for (const name of JOB_ORDER) {
    progress(`N=${profiles}: job ${name}…`);
    const t = performance.now();
    const summary = (await runner.run(name, AS_OF)) as JobSummary;
    figures[name] = { seconds: seconds(t), rows: summary.rows, summary: name === 'orders' ? undefined : trimSummary(summary) };
    if (name === 'orders') {
      await timeScan(client, ordersScan(database), AS_OF);
      ordersRuns.push(await timeScan(client, ordersScan(database), AS_OF));
    }
  }
  progress(`N=${profiles}: job all…`);
  let t = performance.now();
  const all = (await runner.run('all', allAsOf)) as JobSummary[];
  figures.all = { seconds: seconds(t), rows: Object.fromEntries(all.map((s) => [s.job, s.rows])) };
  progress(`N=${profiles}: 20 segments…`);
  const segmentRuns = await runBenchSegments(client, cfg, allAsOf);
  eventsRuns.push(await timeScan(client, eventsScan(database), AS_OF));
  ordersRuns.push(await timeScan(client, ordersScan(database), allAsOf));
  segmentsRuns.push(await timeScan(client, segmentsScan(database), allAsOf));

  const eventsScanFigure = scanFigure(eventsScan(database), eventsRuns);
  const ordersScanFigure = scanFigure(ordersScan(database), ordersRuns);
  const segmentsScanFigure = scanFigure(segmentsScan(database), segmentsRuns);
  const baselineOf = (job: JobName | 'all') =>
    job === 'orders'
      ? { baseline: 'eventsScan', baselineSeconds: eventsScanFigure.seconds }
      : job === 'all'
        ? { baseline: 'eventsScan + ordersScan', baselineSeconds: round(eventsScanFigure.seconds + ordersScanFigure.seconds, 3) }
        : { baseline: 'ordersScan', baselineSeconds: ordersScanFigure.seconds };
  const jobs = Object.fromEntries(
    [...JOB_ORDER, 'all' as const].map((name) => {
      const f = figures[name]!;
      const b = baselineOf(name);
      return [name, { seconds: round(f.seconds, 3), rows: f.rows, ...b, ratio: round(f.seconds / b.baselineSeconds, 1), ...(f.summary ? { summary: f.summary } : {}) }];
    }),
  ) as JobsSizeReport['jobs'];

  const total = jobs.all.seconds + segmentRuns.seconds;
  const ratio = round(total / (eventsScanFigure.seconds + ordersScanFigure.seconds + segmentsScanFigure.seconds), 1);
  const report: JobsSizeReport = {
    profiles,
    database,
    asOf: new Date(AS_OF).toISOString(),
    allAsOf: new Date(allAsOf).toISOString(),
    data,
    baselines: { eventsScan: eventsScanFigure, ordersScan: ordersScanFigure, segmentsScan: segmentsScanFigure },
    jobs,
    segments: { ...segmentRuns, seconds: round(segmentRuns.seconds, 3), baselineSeconds: segmentsScanFigure.seconds, ratio: round(segmentRuns.seconds / segmentsScanFigure.seconds, 1) },
    targets: {
      ratio: { atMost: 5, value: ratio, met: ratio <= 5 },
      ...(profiles >= 1_000_000 ? { seconds: { atMost: 30, value: round(total, 3), met: total <= 30 } } : {}),
    },
  };
  await client.command({ query: `DROP DATABASE ${database} SYNC` });
  return report;
}

export async function runJobsBench(opts: BenchOptions): Promise<JobsReport> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cdp-bench-jobs-'));
  // Always embedded (one data folder, one chDB path in this process); the product's job settings
  // (RFM_WINDOW_DAYS, CHURN_*, CLV_*) pass through from the environment.
  const config = loadConfig({ ...process.env, CDP_DATA_DIR: dataDir, CLICKHOUSE_URL: '', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const client = createClickHouse(config);
  try {
    const sizes: JobsSizeReport[] = [];
    for (const profiles of opts.jobsProfiles) sizes.push(await benchSize(client, config, profiles));
    return {
      profiles: opts.jobsProfiles,
      eventsPerProfile: EVENTS_PER_PROFILE,
      historyDays: HISTORY_DAYS,
      sizes,
      notes: [
        'the 20 segments (bench/bench-segments.ts) run after `all`, as of the same as_of, each a full recompute of its first run; the targets cover `all` + segments against events scan + orders scan + segments scan',
        '`all` runs orders, rfm and churn for as_of + 1 day (a fresh snapshot, as the daily schedule writes one; no event falls between the two as_of values); its baseline is one events scan plus one orders scan',
        'the seconds target applies at 1 M profiles / 20 M events only; the ratio target at every size',
      ],
    };
  } finally {
    await client.close();
    removeDir(dataDir, opts.keepData);
  }
}
