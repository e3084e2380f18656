import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { clusterMutation, type Cluster } from '../../pipeline/clickhouse/cluster-ddl.js';
import { ClusterDdlError } from '../../pipeline/clickhouse/errors/cluster-ddl-error.js';
import { migrationPlan } from '../../pipeline/clickhouse/migrations.js';

// A migration written tomorrow, for one node as always: its cluster form is derived from what it says.

const cluster: Cluster = { name: 'c', shardingKey: 'cityHash64(profile_id)' };
const dir = mkdtempSync(path.join(tmpdir(), 'cdp-cluster-ddl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function plan(sql: string) {
  writeFileSync(path.join(dir, '0001_new.sql'), sql);
  return migrationPlan('cdp', cluster, dir);
}

test('a new table with profile_id is sharded, a definitions table is on every node, a view reads the Distributed table', () => {
  const p = plan(`-- a ledger (comments with 'quotes', commas, and (parentheses) are fine)
CREATE TABLE IF NOT EXISTS {{database}}.loyalty_ledger
(
    profile_id  String,   -- whose
    points      Int64,
    at          DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (profile_id, at)
SETTINGS non_replicated_deduplication_window = 100;

CREATE TABLE IF NOT EXISTS {{database}}.loyalty_levels
(
    level_id  String,
    version   UInt32
)
ENGINE = ReplacingMergeTree(version)
ORDER BY level_id;

CREATE TABLE IF NOT EXISTS {{database}}.loyalty_balances
(
    level_id    String,
    profile_id  String,
    points      SimpleAggregateFunction(sum, Int64)
)
ENGINE = AggregatingMergeTree
ORDER BY level_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.loyalty_balances_mv TO {{database}}.loyalty_balances AS
SELECT '' AS level_id, profile_id, sum(points) AS points FROM {{database}}.loyalty_ledger GROUP BY profile_id;

CREATE VIEW IF NOT EXISTS {{database}}.loyalty_current AS SELECT profile_id, sum(points) AS points FROM {{database}}.loyalty_ledger GROUP BY profile_id;

ALTER TABLE {{database}}.loyalty_ledger ADD COLUMN IF NOT EXISTS reason String;`);
  expect([...p.sharded].sort()).toEqual(['cdp.loyalty_ledger']);
  const s = p.migrations[0]!.statements;
  expect(s[0]).toMatch(/^CREATE TABLE IF NOT EXISTS cdp\.loyalty_ledger_local ON CLUSTER c\n/);
  expect(s[0]).toContain("ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/cdp.loyalty_ledger_local', '{replica}')");
  expect(s[0]).toContain('SETTINGS replicated_deduplication_window = 100');
  expect(s[1]).toBe("CREATE TABLE IF NOT EXISTS cdp.loyalty_ledger ON CLUSTER c AS cdp.loyalty_ledger_local\nENGINE = Distributed('c', 'cdp', 'loyalty_ledger_local', cityHash64(profile_id))");
  expect(s[2]).toContain("ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/noshard/cdp.loyalty_levels', '{shard}-{replica}', version)");
  // profile_id not in its sort key: the rows it folds could be on two shards, so it is on every node.
  expect(s[3]).toContain("ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/noshard/cdp.loyalty_balances', '{shard}-{replica}')");
  // From a sharded source into an unsharded target: the local source, the target as it is.
  expect(s[4]).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS cdp\.loyalty_balances_mv ON CLUSTER c TO cdp\.loyalty_balances AS\n.*FROM cdp\.loyalty_ledger_local GROUP BY/);
  expect(s[5]).toMatch(/^CREATE VIEW IF NOT EXISTS cdp\.loyalty_current ON CLUSTER c AS .* FROM cdp\.loyalty_ledger GROUP BY/);
  expect(s.slice(6)).toEqual([
    'ALTER TABLE cdp.loyalty_ledger_local ON CLUSTER c ADD COLUMN IF NOT EXISTS reason String',
    'ALTER TABLE cdp.loyalty_ledger ON CLUSTER c ADD COLUMN IF NOT EXISTS reason String',
  ]);
  // Without a cluster, the statements as written.
  expect(migrationPlan('cdp', undefined, dir).migrations[0]!.statements[0]).toMatch(/^CREATE TABLE IF NOT EXISTS cdp\.loyalty_ledger\n/);
});

test('a statement of a form it does not know is refused, naming it', () => {
  expect(() => plan('DROP TABLE IF EXISTS {{database}}.old;')).toThrow(ClusterDdlError);
  expect(() => plan('RENAME TABLE {{database}}.a TO {{database}}.b;')).toThrow(/RENAME TABLE cdp\.a/);
});

test('mutations of sharded tables go to their local tables on the cluster; others are left as they are', () => {
  const sharded = new Set(['cdp.events']);
  expect(clusterMutation("DELETE FROM cdp.events WHERE as_of = {as_of:DateTime64(3, 'UTC')}", cluster, sharded)).toBe("DELETE FROM cdp.events_local ON CLUSTER c WHERE as_of = {as_of:DateTime64(3, 'UTC')}");
  expect(clusterMutation('ALTER TABLE cdp.`events` DELETE WHERE profile_id IN {p:Array(String)}', cluster, sharded)).toBe('ALTER TABLE cdp.events_local ON CLUSTER c DELETE WHERE profile_id IN {p:Array(String)}');
  expect(clusterMutation('ALTER TABLE cdp.job_runs DELETE WHERE 1', cluster, sharded)).toBe('ALTER TABLE cdp.job_runs DELETE WHERE 1');
  expect(clusterMutation('INSERT INTO cdp.events SELECT 1', cluster, sharded)).toBe('INSERT INTO cdp.events SELECT 1');
});
