import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createClickHouse, type ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { migrate, migrationPlan } from '../../pipeline/clickhouse/migrations.js';
import { loadConfig, type Config } from '../../pipeline/core/config.js';
import { createLogger } from '../../pipeline/core/logger.js';
import { compileConditions, queryParams } from '../../segments/definition/compile-conditions.js';
import type { Condition } from '../../segments/definition/segment-definition.js';
import { createJobRunner } from '../../segments/jobs/job-runner.js';
import { JOBS, JOB_NAMES } from '../../segments/jobs/jobs.js';
import { TEST_CLUSTER } from '../helpers/cluster-chdb.js';
import { tempDir } from '../helpers/test-product.js';

// Two shards simulated in one chDB: the cluster's local tables as plain MergeTree tables in databases shard1 and
// shard2 (each with its own materialised views, as each node has), rows routed by the sharding key
// (cityHash64(profile_id) % 2, as Distributed picks a shard of two of weight 1), the small tables once (as
// replicated on every node), and under today's names in `sim` a Merge table over the two shards for each
// sharded table (a read of the union, folded per shard, as a Distributed read is). Every job and a segment of
// each condition type are run over `sim` and over the same rows on one node (`one`): the results must match.
// Customers merged across shards are the case that matters: their events lie on two shards.

const SHARDS = ['shard1', 'shard2'];
const dir = tempDir('cdp-two-shards-');
const config: Config = loadConfig({ CDP_DATA_DIR: dir, LOG_LEVEL: 'silent' });
const AS_OF = Date.parse('2026-06-01T00:00:00Z');
let client: ClickHouseClient;
let sharded: string[];

const route = (k: number) => `cityHash64(profile_id) % 2 = ${k}`;

/**
 * A client over `sim` that writes as a Distributed table would: a sharded table's INSERT lands in `stage`, from
 * which its rows go to the shard the sharding key names; a DELETE runs on both shards.
 */
function simClient(): ClickHouseClient {
  const c = createClickHouse(config);
  const command = c.command.bind(c);
  const insert = c.insert.bind(c);
  const spread = async (table: string) => {
    for (const [k, shard] of SHARDS.entries()) await command({ query: `INSERT INTO ${shard}.${table} SELECT * FROM stage.${table} WHERE ${route(k)}` });
    await command({ query: `TRUNCATE TABLE stage.${table}` });
  };
  c.command = async (p) => {
    const into = /^INSERT INTO sim\.(\w+)/.exec(p.query.trim());
    if (into && sharded.includes(into[1]!)) {
      const result = await command({ ...p, query: p.query.trim().replace(`sim.${into[1]}`, `stage.${into[1]}`) });
      await spread(into[1]!);
      return result;
    }
    const del = /^(DELETE FROM|ALTER TABLE) sim\.(\w+)(\s[\s\S]*)$/.exec(p.query.trim());
    if (del && sharded.includes(del[2]!)) {
      for (const shard of SHARDS) await command({ ...p, query: `${del[1]} ${shard}.${del[2]}${del[3]}` });
      return command({ query: 'SELECT 1' });
    }
    return command(p);
  };
  c.insert = (async (p: Parameters<typeof insert>[0]) => {
    const table = /^sim\.(\w+)$/.exec(p.table)?.[1];
    if (!table || !sharded.includes(table)) return insert(p);
    const result = await insert({ ...p, table: `stage.${table}` });
    await spread(table);
    return result;
  }) as typeof c.insert;
  return c;
}

beforeAll(async () => {
  client = createClickHouse(config);
  sharded = [...migrationPlan('cdp', { name: TEST_CLUSTER, shardingKey: 'cityHash64(profile_id)' }).sharded].map((t) => t.split('.')[1]!);
  for (const db of ['one', 'sim', 'stage', ...SHARDS]) await migrate(client, db);
  // `sim` holds the small tables itself; its sharded tables read the shards. Its materialised views on
  // them are the shards' to run.
  const views = await (await client.query({ query: `SELECT name, create_table_query AS q FROM system.tables WHERE database = 'sim' AND engine = 'MaterializedView'`, format: 'JSONEachRow' })).json<{ name: string; q: string }>();
  for (const v of views) await client.command({ query: `DROP TABLE sim.${v.name}` });
  for (const t of sharded) {
    await client.command({ query: `DROP TABLE sim.${t}` });
    await client.command({ query: `CREATE TABLE sim.${t} AS shard1.${t} ENGINE = Merge(REGEXP('^shard[12]$'), '^${t}$')` });
  }

  // The same customers on one node: 300 profiles, orders (some refunded), product views and pages over a
  // year, traits, consent (each at its own time: a tie has no defined winner); 40 profiles merged into others,
  // wherever the key puts either.
  const asOf = chTime(AS_OF);
  await client.command({
    query: `INSERT INTO one.events (message_id, type, event, name, profile_id, user_id, timestamp, original_timestamp, received_at, source_id, order_id, revenue, currency, properties, context)
      SELECT concat('m', toString(number)) AS message_id,
             if(kind = 3, 'page', 'track'),
             multiIf(kind IN (0, 1), if(number % 23 = 0, 'Order Refunded', 'Order Completed'), kind = 2, 'Product Viewed', ''),
             if(kind = 3, 'Home', ''),
             concat('p', toString(cityHash64(number, 'p') % 300)) AS profile_id,
             profile_id,
             {as_of:DateTime64(3, 'UTC')} - toIntervalSecond(cityHash64(number, 't') % (400 * 86400)) AS ts, ts, ts, 'web',
             if(kind IN (0, 1), concat('o', toString(if(number % 23 = 0, number - 4, number))), ''),
             if(kind IN (0, 1), toDecimal64((cityHash64(number, 'r') % 20000) / 100, 4), NULL), 'EUR',
             multiIf(kind IN (0, 1), concat('{"revenue":', toString((cityHash64(number, 'r') % 20000) / 100), ',"category":"c', toString(number % 4), '","products":[{"product_id":"x', toString(cityHash64(number, 'x') % 25), '","category":"c', toString(number % 4), '","price":12}]}'),
                     kind = 2, concat('{"product_id":"x', toString(cityHash64(number, 'x') % 25), '"}'), '{}'),
             '{"consent":{"categoryPreferences":{"marketing":true}},"campaign":{"name":"spring"}}'
      FROM (SELECT number, cityHash64(number, 'k') % 4 AS kind FROM numbers(6000))`,
    query_params: { as_of: asOf },
  });
  await client.command({
    query: `INSERT INTO one.profile_overrides SELECT concat('p', toString(number)), concat('p', toString(40 + (number * 7) % 260)), 1, {as_of:DateTime64(3, 'UTC')} - INTERVAL 30 DAY FROM numbers(40)`,
    query_params: { as_of: asOf },
  });
  const dayBefore = `{as_of:DateTime64(3, 'UTC')} - INTERVAL 1 DAY`;
  await client.command({ query: `INSERT INTO one.profile_traits SELECT concat('p', toString(number)), 'plan', if(number % 3 = 0, 'gold', 'silver'), ${dayBefore} - toIntervalSecond(number), concat('t', toString(number)), ${dayBefore} FROM numbers(300)`, query_params: { as_of: asOf } });
  await client.command({
    query: `INSERT INTO one.profile_consent (profile_id, category, granted, message_id, source_id, stated_at, received_at) SELECT concat('p', toString(number)), 'marketing', number % 2 = 0, concat('c', toString(number)), 'web', ${dayBefore} - toIntervalSecond(number), ${dayBefore} FROM numbers(300)`,
    query_params: { as_of: asOf },
  });
  await client.command({
    query: `INSERT INTO one.computed_trait_definitions VALUES ('spend', 1, 'Spent', 'sum', '{"name":"Spent","kind":"sum","event":"Order Completed","property":"revenue"}', now64(3), 'test', 0),
            ('favourite', 1, 'Favourite', 'most_frequent', '{"name":"Favourite","kind":"most_frequent","event":"Order Completed","property":"products[].category"}', now64(3), 'test', 0)`,
  });
  // Into the cluster: each table with rows, sharded ones routed by the key, the others whole.
  const filled = await (await client.query({ query: `SELECT name FROM system.tables WHERE database = 'one' AND total_rows > 0 AND engine LIKE '%MergeTree'`, format: 'JSONEachRow' })).json<{ name: string }>();
  for (const { name } of filled) {
    if (name === 'schema_migrations' || name === 'profile_activity' || name === 'profile_consent_latest') continue;
    if (!sharded.includes(name)) await client.command({ query: `INSERT INTO sim.${name} SELECT * FROM one.${name}` });
    else for (const [k, shard] of SHARDS.entries()) await client.command({ query: `INSERT INTO ${shard}.${name} SELECT * FROM one.${name} WHERE ${route(k)}` });
  }
});

afterAll(async () => {
  await client?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Rows as sorted JSON lines; fractions to 12 significant digits, since a sum of floats depends on the order it was added in. */
const rowsOf = async (c: ClickHouseClient, query: string, params: Record<string, unknown> = {}) =>
  (await (await c.query({ query, query_params: params, format: 'JSONEachRow' })).json<Record<string, unknown>>())
    .map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12)) : v)))
    .sort();

test('the rows are spread over both shards, and merged customers have events on both', async () => {
  const [a = 0, b = 0] = await Promise.all(SHARDS.map(async (s) => Number(JSON.parse((await rowsOf(client, `SELECT count() AS n FROM ${s}.events`))[0]!).n)));
  expect(a).toBeGreaterThan(1000);
  expect(b).toBeGreaterThan(1000);
  expect(a + b).toBe(6000);
  const split = await rowsOf(client, `SELECT count() AS n FROM sim.profile_overrides WHERE cityHash64(old_profile_id) % 2 != cityHash64(profile_id) % 2`);
  expect(Number(JSON.parse(split[0]!).n)).toBeGreaterThan(5);
});

test('every job over two shards writes what it writes on one node', async () => {
  const log = createLogger(config);
  for (const db of ['one', 'sim']) {
    const c = db === 'sim' ? simClient() : client;
    // Two snapshots, so that the lifecycle has transitions.
    const runner = createJobRunner({ clickhouse: c, config: { ...config, CLICKHOUSE_DATABASE: db }, log });
    for (const asOf of [AS_OF - 30 * 86_400_000, AS_OF]) await runner.run('all', asOf);
  }
  const tables = [...new Set(JOB_NAMES.map((j) => JOBS[j].table))].concat('churn_summaries', 'lifecycle_transitions', 'kpi_cohorts', 'product_affinities');
  for (const t of tables) {
    const one = await rowsOf(client, `SELECT * FROM one.${t}`);
    expect(one.length, t).toBeGreaterThan(0);
    expect(await rowsOf(client, `SELECT * FROM sim.${t}`), t).toEqual(one);
  }
  const runs = `SELECT job, as_of, status, rows FROM {db:Identifier}.job_runs FINAL WHERE status = 'succeeded'`;
  expect(await rowsOf(client, runs, { db: 'sim' })).toEqual(await rowsOf(client, runs, { db: 'one' }));
});

test('a segment of each condition type has the same members over two shards as on one node', async () => {
  const conditions: Condition[] = [
    { type: 'trait', trait: 'plan', op: 'eq', value: 'gold' },
    { type: 'event', call: 'track', event: 'Order Completed', count: { op: 'gte', value: 3 }, window: { within_days: 200 } },
    { type: 'event', call: 'page', name: 'Home' },
    { type: 'no_event', call: 'track', event: 'Order Completed', window: { within_days: 60 } },
    { type: 'rfm', r: { gte: 3 } },
    { type: 'churn', flag: 'either' },
    { type: 'clv', gte: 50 },
    { type: 'computed_trait', trait: 'spend', op: 'gt', value: 300 },
    { type: 'lifecycle', stage: ['active', 'at_risk'] },
    { type: 'value_tier', tier: ['high_value', 'potential'] },
    { type: 'consent', category: 'marketing', granted: true },
    { type: 'not', condition: { type: 'trait', trait: 'plan', op: 'eq', value: 'silver' } },
  ];
  for (const c of conditions) {
    const members = async (database: string) => {
      const compiled = compileConditions(c, { database });
      return rowsOf(client, compiled.sql, queryParams(compiled, chTime(AS_OF), 'UTC'));
    };
    const one = await members('one');
    expect(one.length, JSON.stringify(c)).toBeGreaterThan(0);
    expect(await members('sim'), JSON.stringify(c)).toEqual(one);
  }
});
