import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClickHouse, type ClickHouseClient } from '../pipeline/clickhouse/client.js';
import { chTime } from '../pipeline/clickhouse/ch-time.js';
import { migrate } from '../pipeline/clickhouse/migrations.js';
import { loadConfig, type Config } from '../pipeline/core/config.js';
import { createLogger } from '../pipeline/core/logger.js';
import { createJobRunner, type JobSummary } from '../segments/jobs/job-runner.js';
import { round, seconds } from './figures.js';
import { AS_OF, generateJobsData } from './jobs-bench.js';
import type { BenchOptions } from './options.js';
import { removeDir } from './server-children.js';

// Loyalty (issue 15): the `loyalty` job over the jobs bench's generated data (bench/jobs-bench.ts: about 20
// events per profile over two years, 60 % buyers, refunds, resent orders, 2 % merged profiles) plus, from
// the orders, a Points Redeemed 10 days after 30 % of them (50 to 299 points: some are refused for a short
// balance) and a Review Submitted 5 days after 10 %. Timed in the same run on the same data: the orders job
// it depends on (a job of the same framework over the same orders), one scan of the rows and columns the
// loyalty job reads, and the loyalty job, with the configuration's defaults (365-day window, 12 months).

const progress = (msg: string) => process.stderr.write(`bench: loyalty: ${msg}\n`);

const FOLLOW_UP_COLUMNS = 'message_id, type, event, name, user_id, anonymous_id, profile_id, timestamp, original_timestamp, sent_at, received_at, source_id, order_id, revenue, currency, url, path, referrer, ip, user_agent, properties, traits, context, integrations';

function pointsEventsInsert(database: string): string {
  return `
INSERT INTO ${database}.events (${FOLLOW_UP_COLUMNS})
SELECT
  lower(hex(cityHash64(message_id, 31))) || lower(hex(cityHash64(message_id, 32))),
  'track',
  if(redeem, 'Points Redeemed', 'Review Submitted'),
  '', user_id, anonymous_id, profile_id, at, at, at, at + toIntervalMillisecond(50), source_id, '', NULL, '', '', '', '', ip, user_agent,
  if(redeem, concat('{"points":', toString(50 + cityHash64(order_id, 33) % 250), '}'), '{}'),
  '{}', context, '{}'
FROM
(
  SELECT *, cityHash64(order_id, 30) % 10 < 3 AS redeem,
    least(timestamp + toIntervalDay(if(redeem, 10, 5)), {as_of:DateTime64(3, 'UTC')} - toIntervalSecond(1)) AS at
  FROM ${database}.events
  WHERE type = 'track' AND event = 'Order Completed' AND cityHash64(order_id, 30) % 10 IN (0, 1, 2, 5)
)`;
}

/** What the loyalty job reads: the orders snapshot, the refund and points events before as_of (their columns), every order's day. */
function jobScan(database: string): string {
  return `SELECT
  (SELECT count() FROM ${database}.orders WHERE as_of = {as_of:DateTime64(3, 'UTC')}) AS orders,
  (SELECT sum(cityHash64(order_id, profile_id, currency)) + sum(revenue) + max(toUnixTimestamp64Milli(ordered_at)) FROM ${database}.orders WHERE as_of = {as_of:DateTime64(3, 'UTC')}) AS o,
  (SELECT count() FROM ${database}.events WHERE type = 'track' AND event IN ('Order Refunded', 'Points Redeemed', 'Points Adjusted', 'Review Submitted', 'Referral Converted') AND timestamp < {as_of:DateTime64(3, 'UTC')}) AS events,
  (SELECT sum(cityHash64(message_id, profile_id, order_id, properties, source_id)) + max(toUnixTimestamp64Milli(timestamp)) FROM ${database}.events
     WHERE type = 'track' AND event IN ('Order Refunded', 'Points Redeemed', 'Points Adjusted', 'Review Submitted', 'Referral Converted') AND timestamp < {as_of:DateTime64(3, 'UTC')}) AS h,
  orders + events AS rows`;
}

async function one<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T> {
  const [row] = await (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
  if (!row) throw new Error(`no row from ${query}`);
  return row;
}

export interface LoyaltySizeReport {
  profiles: number;
  data: Awaited<ReturnType<typeof generateJobsData>> & { pointsRedeemed: number; reviews: number };
  orders: { seconds: number; rows: number };
  baseline: { query: string; rows: number; seconds: number };
  loyalty: { seconds: number; rows: number; members: number; summary: Record<string, unknown> };
  /** loyalty seconds ÷ scan seconds, and ÷ orders-job seconds. */
  ratio: { toScan: number; toOrdersJob: number };
}

async function benchSize(client: ClickHouseClient, config: Config, profiles: number): Promise<LoyaltySizeReport> {
  const database = `bench_loyalty_${profiles}`;
  const cfg: Config = { ...config, CLICKHOUSE_DATABASE: database };
  const params = { as_of: chTime(AS_OF) };
  await client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
  await migrate(client, database);
  progress(`N=${profiles}: generating…`);
  const data = await generateJobsData(client, database, profiles);
  await client.command({ query: pointsEventsInsert(database), query_params: params, clickhouse_settings: { max_partitions_per_insert_block: '1000' } });
  const points = await one<{ redeemed: string; reviews: string }>(
    client,
    `SELECT countIf(event = 'Points Redeemed') AS redeemed, countIf(event = 'Review Submitted') AS reviews FROM ${database}.events WHERE event IN ('Points Redeemed', 'Review Submitted')`,
    {},
  );

  const runner = createJobRunner({ clickhouse: client, config: cfg, log: createLogger(cfg, { bench: 'loyalty' }) });
  progress(`N=${profiles}: orders…`);
  let t = performance.now();
  const orders = (await runner.run('orders', AS_OF)) as JobSummary;
  const ordersSeconds = round(seconds(t), 3);
  const scan = jobScan(database);
  await one(client, scan, params);
  t = performance.now();
  const scanned = await one<{ rows: string | number }>(client, scan, params);
  const scanSeconds = round(seconds(t), 3);
  progress(`N=${profiles}: loyalty…`);
  t = performance.now();
  const summary = (await runner.run('loyalty', AS_OF)) as JobSummary;
  const loyaltySeconds = round(seconds(t), 3);
  const { job: _j, as_of: _a, status: _s, rows, ran_dependencies: _d, duration_ms: _ms, ...rest } = summary;
  const members = await one<{ n: string }>(client, `SELECT count() AS n FROM ${database}.loyalty_standings WHERE as_of = {as_of:DateTime64(3, 'UTC')}`, params);
  await client.command({ query: `DROP DATABASE ${database} SYNC` });
  return {
    profiles,
    data: { ...data, pointsRedeemed: Number(points.redeemed), reviews: Number(points.reviews) },
    orders: { seconds: ordersSeconds, rows: orders.rows },
    baseline: { query: scan.replace(/\s+/g, ' ').trim(), rows: Number(scanned.rows), seconds: scanSeconds },
    loyalty: { seconds: loyaltySeconds, rows, members: Number(members.n), summary: rest },
    ratio: { toScan: round(loyaltySeconds / scanSeconds, 1), toOrdersJob: round(loyaltySeconds / ordersSeconds, 2) },
  };
}

export async function runLoyaltyBench(opts: BenchOptions): Promise<{ sizes: LoyaltySizeReport[]; notes: string[] }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cdp-bench-loyalty-'));
  const config = loadConfig({ ...process.env, CDP_DATA_DIR: dataDir, CLICKHOUSE_URL: '', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const client = createClickHouse(config);
  try {
    const sizes: LoyaltySizeReport[] = [];
    for (const profiles of opts.loyaltyProfiles) sizes.push(await benchSize(client, config, profiles));
    return {
      sizes,
      notes: [
        'data: the jobs bench generator (20 events per profile) plus Points Redeemed after 30 % of orders and Review Submitted after 10 %',
        'orders: the orders job the loyalty job depends on, timed in the same run (a job of the same framework over the same orders)',
        'baseline: one scan of the rows and columns the loyalty job reads (the orders snapshot, the refund and points events before as_of)',
        'the loyalty job runs with the LOYALTY_* configuration as set (defaults: 365-day window, 12 months to expire) and writes the ledger, the level history and the standings',
      ],
    };
  } finally {
    await client.close();
    removeDir(dataDir, opts.keepData);
  }
}
