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
import type { BenchOptions } from './options.js';
import { removeDir } from './server-children.js';

// Recommendations (issue 15): an offline evaluation and a timing, on a generated catalogue with planted
// co-purchase structure, all in SQL from hashes (the same data every run):
//   - 2,000 products in 200 groups of 10; each customer has a taste, one group;
//   - 80 % of customers buy: 2 to 5 orders of 1 to 3 products, each product from their group with
//     probability 0.7 (skewed towards the group's first products), else from the whole catalogue (skewed
//     towards the first products: a popularity head); half their orders follow, 1 to 3 days later, a
//     Product Viewed of another product of their group; everyone views 2 products of the whole catalogue;
//   - every order but each buyer's last comes in the 300 days before AS_OF; the last comes in the 30 days
//     after it. Running the job as of AS_OF holds out each customer's last order (it reads nothing at or after
//     its as_of), which is then looked for among their top 5.
// Hit rate@5: the share of buyers with at least one product of their held-out order in their top 5; beside
// it, in the same run, the popularity-only baseline: the 5 most popular products they have not bought (the
// job's own popular list, so both read the same training data). Then the job's time beside one scan of the
// rows and columns it reads.

const DAY_MS = 86_400_000;
const AS_OF = Date.UTC(2026, 0, 1);
const PRODUCTS = 2000;
const GROUP_SIZE = 10;
const TOP = 5;

const progress = (msg: string) => process.stderr.write(`bench: recommendations: ${msg}\n`);

const EVENT_COLUMNS = 'message_id, type, event, user_id, profile_id, timestamp, original_timestamp, received_at, source_id, order_id, revenue, currency, properties, traits, context, integrations';
/** A uniform number in (0, 1) from a hash. */
const uniform = (...keys: string[]) => `((cityHash64(${keys.join(', ')}) % 1000000000 + 0.5) / 1000000000)`;
const TASTE = `cityHash64(p, 1) % ${PRODUCTS / GROUP_SIZE}`;
/** A product of the taste group (its first ones more often), or of the whole catalogue (its first ones more often). */
const pick = (...keys: string[]) =>
  `if(${uniform(...keys, "'in'")} < 0.7, ${TASTE} * ${GROUP_SIZE} + toUInt32(floor(${GROUP_SIZE} * pow(${uniform(...keys, "'g'")}, 2))), toUInt32(floor(${PRODUCTS} * pow(${uniform(...keys, "'c'")}, 3))))`;

function ordersInsert(database: string): string {
  return `
INSERT INTO ${database}.events (${EVENT_COLUMNS})
WITH
  number AS p,
  2 + cityHash64(p, 2) % 4 AS orders,
  -- Training orders on days 1–300 before as_of, in order; the last one on days 1–30 after it.
  toDateTime64({as_of:DateTime64(3, 'UTC')}, 3, 'UTC') AS t0,
  if(j = orders, t0 + toIntervalMillisecond(toUInt64((1 + cityHash64(p, j, 3) % 30) * ${DAY_MS} + cityHash64(p, j, 4) % ${DAY_MS})),
     t0 - toIntervalMillisecond(toUInt64((300 - (j - 1) * 60 - cityHash64(p, j, 3) % 50) * ${DAY_MS} + cityHash64(p, j, 4) % ${DAY_MS}))) AS ts,
  arrayMap(i -> ${pick('p', 'j', 'i')}, range(1 + cityHash64(p, j, 5) % 3)) AS products
SELECT
  concat('m', toString(p), '-', toString(j)) AS message_id,
  'track', 'Order Completed', concat('u', toString(p)), concat('p', toString(p)),
  ts, ts, ts, 'bench', concat('o', toString(p), '-', toString(j)), toDecimal64(10 * length(products), 2), 'EUR',
  concat('{"order_id":"o', toString(p), '-', toString(j), '","products":[', arrayStringConcat(arrayMap(x -> concat('{"product_id":"', toString(x), '"}'), products), ','), ']}'),
  '{}', '{}', '{}'
FROM numbers({profiles:UInt64})
ARRAY JOIN range(1, orders + 1) AS j
WHERE cityHash64(p, 0) % 100 < 80`;
}

function viewsInsert(database: string): string {
  return `
INSERT INTO ${database}.events (${EVENT_COLUMNS})
WITH
  number AS p,
  toDateTime64({as_of:DateTime64(3, 'UTC')}, 3, 'UTC') AS t0,
  2 + cityHash64(p, 2) % 4 AS orders,
  -- Views before orders (k ≥ 1: order k's, for buyers, half of them) and browsing (k = -1, -2: anyone).
  if(k > 0,
     if(k = orders, t0 + toIntervalMillisecond(toUInt64((1 + cityHash64(p, k, 3) % 30) * ${DAY_MS} + cityHash64(p, k, 4) % ${DAY_MS})),
        t0 - toIntervalMillisecond(toUInt64((300 - (k - 1) * 60 - cityHash64(p, k, 3) % 50) * ${DAY_MS} + cityHash64(p, k, 4) % ${DAY_MS})))
       - toIntervalMillisecond(toUInt64((1 + cityHash64(p, k, 6) % 3) * ${DAY_MS})),
     t0 - toIntervalMillisecond(toUInt64(cityHash64(p, k, 7) % (330 * ${DAY_MS})))) AS ts,
  if(k > 0, ${TASTE} * ${GROUP_SIZE} + cityHash64(p, k, 8) % ${GROUP_SIZE}, toUInt32(floor(${PRODUCTS} * pow(${uniform('p', 'k', "'v'")}, 3)))) AS product
SELECT
  concat('v', toString(p), '-', toString(k)),
  'track', 'Product Viewed', concat('u', toString(p)), concat('p', toString(p)),
  ts, ts, ts, 'bench', '', NULL, '',
  concat('{"product_id":"', toString(product), '"}'),
  '{}', '{}', '{}'
FROM numbers({profiles:UInt64})
ARRAY JOIN arrayConcat([toInt64(-1), toInt64(-2)], arrayMap(x -> toInt64(x), if(cityHash64(p, 0) % 100 < 80, arrayFilter(x -> cityHash64(p, x, 9) % 2 = 0, range(1, orders + 1)), []))) AS k`;
}

const productsOf = `arrayMap(x -> JSONExtractString(x, 'product_id'), JSONExtractArrayRaw(properties, 'products'))`;

/** Hits of the job's top 5 and of the popular top 5 among buyers with a held-out order. */
function evaluation(database: string): string {
  return `
WITH (SELECT groupArray(product_id) FROM (SELECT product_id FROM ${database}.product_affinities
      WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND kind = 'popular' ORDER BY score DESC, product_id)) AS popular
SELECT
  count() AS customers,
  countIf(hasAny(r.products, h.products)) AS job_hits,
  countIf(hasAny(arraySlice(arrayFilter(x -> NOT has(b.products, x), arraySlice(popular, 1, ${TOP} + length(b.products))), 1, ${TOP}), h.products)) AS popular_hits,
  countIf(length(arrayFilter(x -> NOT has(b.products, x), h.products)) = 0) AS only_repeats
FROM
(
  SELECT profile_id, groupUniqArrayArray(${productsOf}) AS products FROM ${database}.events
  WHERE type = 'track' AND event = 'Order Completed' AND timestamp >= {as_of:DateTime64(3, 'UTC')} GROUP BY profile_id
) AS h
LEFT JOIN
(
  SELECT profile_id, groupUniqArrayArray(${productsOf}) AS products FROM ${database}.events
  WHERE type = 'track' AND event = 'Order Completed' AND timestamp < {as_of:DateTime64(3, 'UTC')} GROUP BY profile_id
) AS b ON b.profile_id = h.profile_id
LEFT JOIN
(
  SELECT profile_id, arrayMap(x -> x.2, arraySort(groupArray((rank, product_id)))) AS products FROM ${database}.recommendations
  WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND rank <= ${TOP} GROUP BY profile_id
) AS r ON r.profile_id = h.profile_id`;
}

/** What the job reads: the order and view events before as_of (with their properties), the orders snapshot and every profile's first event. */
function jobScan(database: string): string {
  return `SELECT
  (SELECT count() FROM ${database}.events WHERE type = 'track' AND event IN ('Order Completed', 'Product Viewed') AND timestamp < {as_of:DateTime64(3, 'UTC')}) AS events,
  (SELECT sum(cityHash64(profile_id, message_id, order_id, properties)) + max(toUnixTimestamp64Milli(timestamp)) FROM ${database}.events
     WHERE type = 'track' AND event IN ('Order Completed', 'Product Viewed') AND timestamp < {as_of:DateTime64(3, 'UTC')}) AS h,
  (SELECT sum(cityHash64(order_id, profile_id)) + sum(refunded) + sum(net_revenue) FROM ${database}.orders WHERE as_of = {as_of:DateTime64(3, 'UTC')}) AS o,
  (SELECT count() FROM ${database}.profile_activity WHERE first_seen <= {as_of:DateTime64(3, 'UTC')}) AS profiles,
  events + profiles AS rows`;
}

async function one<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T> {
  const [row] = await (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
  if (!row) throw new Error(`no row from ${query}`);
  return row;
}

export interface RecommendationsSizeReport {
  profiles: number;
  data: { events: number; orders: number; views: number; generateSeconds: number };
  evaluation: { customers: number; hitRateAt5: number; popularHitRateAt5: number; lift: number; onlyRepeatPurchases: number };
  job: { seconds: number; rows: number; summary: Record<string, unknown> };
  baseline: { query: string; rows: number; seconds: number };
  /** job seconds ÷ baseline seconds. */
  ratio: number;
}

async function benchSize(client: ClickHouseClient, config: Config, profiles: number): Promise<RecommendationsSizeReport> {
  const database = `bench_recs_${profiles}`;
  const cfg: Config = { ...config, CLICKHOUSE_DATABASE: database };
  const params = { profiles, as_of: chTime(AS_OF) };
  await client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
  await migrate(client, database);
  progress(`N=${profiles}: generating…`);
  let t = performance.now();
  await client.command({ query: ordersInsert(database), query_params: params });
  await client.command({ query: viewsInsert(database), query_params: params });
  const generateSeconds = round(seconds(t), 3);
  const counts = await one<{ events: string; orders: string; views: string }>(
    client,
    `SELECT count() AS events, countIf(event = 'Order Completed') AS orders, countIf(event = 'Product Viewed') AS views FROM ${database}.events`,
    {},
  );

  const runner = createJobRunner({ clickhouse: client, config: cfg, log: createLogger(cfg, { bench: 'recommendations' }) });
  progress(`N=${profiles}: orders (untimed)…`);
  await runner.run('orders', AS_OF);
  const scan = jobScan(database);
  await one(client, scan, params);
  t = performance.now();
  const scanned = await one<{ rows: string | number }>(client, scan, params);
  const baselineSeconds = round(seconds(t), 3);
  progress(`N=${profiles}: recommendations…`);
  t = performance.now();
  const summary = (await runner.run('recommendations', AS_OF)) as JobSummary;
  const jobSeconds = round(seconds(t), 3);
  const { job: _j, as_of: _a, status: _s, rows, ran_dependencies: _d, duration_ms: _ms, ...rest } = summary;

  progress(`N=${profiles}: evaluating…`);
  const e = await one<{ customers: string; job_hits: string; popular_hits: string; only_repeats: string }>(client, evaluation(database), params);
  const customers = Number(e.customers);
  const hitRate = round(Number(e.job_hits) / customers, 4);
  const popularHitRate = round(Number(e.popular_hits) / customers, 4);
  await client.command({ query: `DROP DATABASE ${database} SYNC` });
  return {
    profiles,
    data: { events: Number(counts.events), orders: Number(counts.orders), views: Number(counts.views), generateSeconds },
    evaluation: { customers, hitRateAt5: hitRate, popularHitRateAt5: popularHitRate, lift: round(hitRate / popularHitRate, 2), onlyRepeatPurchases: Number(e.only_repeats) },
    job: { seconds: jobSeconds, rows, summary: rest },
    baseline: { query: scan.replace(/\s+/g, ' ').trim(), rows: Number(scanned.rows), seconds: baselineSeconds },
    ratio: round(jobSeconds / baselineSeconds, 1),
  };
}

export async function runRecommendationsBench(opts: BenchOptions): Promise<{ sizes: RecommendationsSizeReport[]; notes: string[] }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cdp-bench-recs-'));
  const config = loadConfig({ ...process.env, CDP_DATA_DIR: dataDir, CLICKHOUSE_URL: '', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const client = createClickHouse(config);
  try {
    const sizes: RecommendationsSizeReport[] = [];
    for (const profiles of opts.recommendationsProfiles) sizes.push(await benchSize(client, config, profiles));
    return {
      sizes,
      notes: [
        `hit rate@${TOP}: buyers with a product of their held-out last order in their top ${TOP}; popularHitRateAt5: the ${TOP} most popular products they had not bought, from the same run's popular list`,
        'onlyRepeatPurchases: held-out orders holding only products bought before, which neither list can hit (a list never holds a product bought)',
        'the job runs with RECOMMENDATIONS_PER_PROFILE and RECOMMENDATIONS_VIEW_WINDOW_DAYS as configured (defaults 5 and 7); the orders job runs first, untimed',
        'baseline: one scan of the rows and columns the job reads (order and view events before as_of with their properties, the orders snapshot, profile_activity)',
      ],
    };
  } finally {
    await client.close();
    removeDir(dataDir, opts.keepData);
  }
}
