import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { onThisNode, printedStatements, startClusterNode, TEST_CLUSTER, type ClusterNode } from '../helpers/cluster-chdb.js';
import { tempDir } from '../helpers/test-product.js';

// `cdp migrate --print` as a DBA runs it, and its cluster DDL created in a chDB engine that a config makes a
// node of a 2 × 2 cluster (macros, in-process keeper): the Replicated and Distributed tables are real, only ON
// CLUSTER (which needs the other nodes) is dropped.

const bin = path.join(projectRoot(), 'bin', 'cdp.js');
// Nothing listens there: --print must not need it.
const NOWHERE = 'http://127.0.0.1:9';

function printed(env: Record<string, string>): string[] {
  const res = spawnSync(process.execPath, [bin, 'migrate', '--print'], { env: { ...process.env, CDP_DATA_DIR: dir, ...env }, encoding: 'utf8', timeout: 60_000 });
  expect(res.stderr).toBe('');
  expect(res.status).toBe(0);
  return printedStatements(res.stdout);
}

const dir = tempDir('cdp-cluster-schema-');
let node: ClusterNode;
let single: string[];
let cluster: string[];

beforeAll(async () => {
  single = printed({});
  cluster = printed({ CLICKHOUSE_URL: NOWHERE, CLICKHOUSE_CLUSTER: TEST_CLUSTER });
  node = startClusterNode(dir);
});
afterAll(async () => {
  await node?.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function ok(query: string, params?: Record<string, unknown>) {
  const answer = await node.run(query, params);
  expect(answer.message, query.slice(0, 200)).toBeUndefined();
  return answer.rows!;
}

describe('cdp migrate --print', () => {
  test('prints every statement, without opening the data folder or connecting', () => {
    expect(single[0]).toBe('CREATE DATABASE IF NOT EXISTS cdp');
    expect(cluster[0]).toBe(`CREATE DATABASE IF NOT EXISTS cdp ON CLUSTER ${TEST_CLUSTER}`);
    // Every migration's record follows its statements, in order.
    const records = (list: string[]) => list.filter((s) => s.startsWith('INSERT INTO cdp.schema_migrations')).map((s) => /VALUES \((\d+),/.exec(s)![1]);
    expect(records(single)).toEqual(records(cluster));
    expect(records(single).map(Number)).toEqual([...records(single).map(Number)].sort((a, b) => a - b));
    expect(records(single).length).toBeGreaterThanOrEqual(19);
  });

  test('CLICKHOUSE_CLUSTER without a server is refused', () => {
    const res = spawnSync(process.execPath, [bin, 'migrate', '--print'], { env: { ...process.env, CDP_DATA_DIR: dir, CLICKHOUSE_CLUSTER: TEST_CLUSTER }, encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/CLICKHOUSE_CLUSTER.*needs CLICKHOUSE_URL/);
  });

  test('every printed statement parses (formatQuery), one node and cluster', async () => {
    for (const statement of [...single, ...cluster]) {
      const [row] = await ok('SELECT formatQuery({q:String}) AS f', { q: statement });
      expect(String(row!.f).length, statement.slice(0, 80)).toBeGreaterThan(0);
    }
  });

  test('a sharding key of your own is used for every Distributed table', () => {
    const own = printed({ CLICKHOUSE_URL: NOWHERE, CLICKHOUSE_CLUSTER: TEST_CLUSTER, CLICKHOUSE_SHARDING_KEY: 'sipHash64(profile_id)' });
    const distributed = own.filter((s) => s.includes('ENGINE = Distributed'));
    expect(distributed.length).toBeGreaterThan(5);
    for (const s of distributed) expect(s).toMatch(/sipHash64\(profile_id\)\)$/);
  });
});

describe('the cluster schema on a node', () => {
  beforeAll(async () => {
    // Only CREATEs: chDB's Replicated tables are read-only (no ALTER, no INSERT). The one-node schema is made
    // of the same statements beside it, in its own database, to compare with.
    const creates = (list: string[]) => list.filter((s) => s.startsWith('CREATE'));
    for (const s of creates(single)) await ok(s.replaceAll('cdp.', 'single.').replace('DATABASE IF NOT EXISTS cdp', 'DATABASE IF NOT EXISTS single'));
    for (const s of creates(cluster)) await ok(onThisNode(s));
  });

  test('every table and view keeps its name and columns; each big table is Distributed over a Replicated local table', async () => {
    const tables = async (db: string) =>
      new Map((await ok(`SELECT name, engine, engine_full FROM system.tables WHERE database = '${db}'`)).map((r) => [String(r.name), r as { engine: string; engine_full: string }]));
    const [one, many] = [await tables('single'), await tables('cdp')];
    const columns = async (db: string, table: string) =>
      (await ok(`SELECT name, type, default_expression FROM system.columns WHERE database = '${db}' AND table = '${table}' ORDER BY position`)).map((r) => `${r.name} ${r.type} ${r.default_expression}`);
    const sharded: string[] = [];
    for (const [name, t] of one) {
      const c = many.get(name);
      expect(c, name).toBeDefined();
      expect(await columns('cdp', name), name).toEqual(await columns('single', name));
      if (!t.engine.endsWith('MergeTree')) {
        expect(c!.engine, name).toBe(t.engine);
        continue;
      }
      if (c!.engine === 'Distributed') {
        sharded.push(name);
        expect(c!.engine_full).toContain(`Distributed('${TEST_CLUSTER}', 'cdp', '${name}_local', cityHash64(profile_id))`);
        expect(many.get(`${name}_local`)!.engine).toBe(`Replicated${t.engine}`);
        expect(many.get(`${name}_local`)!.engine_full).toContain(`'/clickhouse/tables/{shard}/cdp.${name}_local', '{replica}'`);
      } else {
        expect(c!.engine, name).toBe(`Replicated${t.engine}`);
        expect(c!.engine_full).toContain(`'/clickhouse/tables/noshard/cdp.${name}', '{shard}-{replica}'`);
      }
    }
    // The big tables, sharded; the small join-side ones (and identities, keyed by identifier), on every node.
    expect(sharded).toEqual(expect.arrayContaining(['events', 'identity_edges', 'orders', 'rfm_scores', 'churn_scores', 'segment_membership', 'profile_activity', 'computed_traits']));
    for (const small of ['profile_overrides', 'identities', 'suppressed_identifiers', 'segments', 'job_runs', 'schema_migrations', 'computed_trait_definitions']) expect(sharded, small).not.toContain(small);
  });

  test('materialised views read and write the local tables, with the replicated deduplication window', async () => {
    const views = await ok(`SELECT name, create_table_query AS q FROM system.tables WHERE database = 'cdp' AND engine = 'MaterializedView'`);
    expect(views.length).toBeGreaterThanOrEqual(3);
    for (const v of views) {
      expect(String(v.q), String(v.name)).toMatch(/ TO cdp\.\w+_local /);
      expect(String(v.q), String(v.name)).toMatch(/FROM cdp\.\w+_local\b/);
    }
    const [events] = await ok(`SELECT create_table_query AS q FROM system.tables WHERE database = 'cdp' AND name = 'events_local'`);
    expect(events!.q).toMatch(/replicated_deduplication_window = 1000/);
    expect(events!.q).not.toMatch(/non_replicated/);
  });

  test('ALTERs go to the local table of a sharded table, and to its Distributed table too when they change columns', async () => {
    const engines = new Map((await ok(`SELECT name, engine FROM system.tables WHERE database = 'cdp'`)).map((r) => [`cdp.${r.name}`, String(r.engine)]));
    const alters = cluster.filter((s) => s.startsWith('ALTER'));
    expect(alters).toContain(`ALTER TABLE cdp.events_local ON CLUSTER ${TEST_CLUSTER} ADD INDEX IF NOT EXISTS received_at_minmax received_at TYPE minmax GRANULARITY 1`);
    for (const alter of alters) {
      const table = /^ALTER TABLE (\S+) ON CLUSTER /.exec(alter)![1]!;
      const engine = engines.get(table);
      if (engine === 'Distributed') expect(alter).toMatch(/ COLUMN /);
      else expect(engine, alter).toMatch(/^Replicated/);
      if (engines.get(`${table}_local`) !== undefined) expect(alters, 'the local table changes first').toContain(alter.replace(`${table} `, `${table}_local `));
    }
  });

  test('a query over the Distributed tables tries the shards (279), a double-distributed join is refused (288)', async () => {
    expect((await node.run('SELECT count() FROM cdp.events')).code).toBe(279);
    expect((await node.run('EXPLAIN SELECT count() FROM cdp.events WHERE profile_id IN (SELECT profile_id FROM cdp.orders)')).code).toBe(288);
    expect((await node.run('EXPLAIN SELECT count() FROM cdp.events WHERE profile_id GLOBAL IN (SELECT profile_id FROM cdp.orders)')).code).toBe(279);
  });
});
