import path from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
// First: it sets the allocator's options, which chDB reads when it loads (embedded-allocator.ts).
import './embedded-allocator.js';
import { createChdbConnection } from 'chdb/connection';
import type { Config } from '../core/config.js';
import { ensurePrivateDir } from '../core/private-dir.js';
import { ingestDir, sweepIngestFiles } from './ingest-files.js';
import { clusterMutation, clusterOf, type Cluster } from './cluster-ddl.js';
import { migrationPlan } from './migrations.js';

export type { ClickHouseClient };

/** How an embedded client inserts (insert-rows.ts): chDB's raw insert of a payload, and the folder of its insert files. */
export interface EmbeddedInsert {
  /** chDB's own insert of a payload handed over as bytes with the statement (chdb/connection's `.chdb.rawInsert`). */
  raw(params: { table: string; values: Buffer; format: 'JSONEachRow'; settings?: Record<string, string | number> }): Promise<unknown>;
  /** Where its inserts write their files (ingest-files.ts). */
  ingestDir: string;
}

// By client: only createClickHouse makes embedded clients.
const embeddedInserts = new WeakMap<ClickHouseClient, EmbeddedInsert>();

/** How an embedded client inserts; undefined for a server's client. */
export function embeddedInsertOf(client: ClickHouseClient): EmbeddedInsert | undefined {
  return embeddedInserts.get(client);
}

export type ClickHouseTarget = Pick<
  Config,
  'CLICKHOUSE_URL' | 'CLICKHOUSE_USER' | 'CLICKHOUSE_PASSWORD' | 'CLICKHOUSE_DATABASE' | 'CLICKHOUSE_CLUSTER' | 'CLICKHOUSE_SHARDING_KEY' | 'dataDir'
>;

export function embeddedClickHousePath(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'clickhouse');
}

/**
 * One client per use. With chDB a connection runs one query at a time, so the loader, the SQL API and
 * health checks each get their own connection (several connections on one path run in parallel).
 * The SQL is the same against a ClickHouse server (CLICKHOUSE_URL). `database` sets the default database
 * of a server connection; product code names its tables in full, so only analyst SQL uses it.
 */
export function createClickHouse(config: ClickHouseTarget, opts: { database?: string } = {}): ClickHouseClient {
  if (config.CLICKHOUSE_URL) {
    const cluster = clusterOf(config);
    const client = createClient({
      url: config.CLICKHOUSE_URL,
      database: opts.database,
      username: config.CLICKHOUSE_USER,
      password: config.CLICKHOUSE_PASSWORD,
      request_timeout: 120_000,
      // An insert into a Distributed table returns once every shard has its rows, not when they are queued
      // on this node: the loader's already-inserted check and the jobs' next statement must see them.
      ...(cluster ? { clickhouse_settings: { distributed_foreground_insert: 1 } } : {}),
    });
    return cluster ? withClusterMutations(client, cluster, migrationPlan(config.CLICKHOUSE_DATABASE, cluster).sharded) : client;
  }
  const dir = embeddedClickHousePath(config);
  // Owner-only, as the data folder it may create on the way (`cdp migrate` before any start).
  ensurePrivateDir(dir);
  // chdb's types come from its own copy of @clickhouse/client-common; the runtime contract is the same.
  const chdb = createChdbConnection({ path: dir });
  const connection = chdb as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const client = createClient({ connection });
  const ingest = ingestDir(config.dataDir);
  ensurePrivateDir(ingest);
  sweepIngestFiles(ingest);
  embeddedInserts.set(client, { raw: (params) => chdb.chdb.rawInsert(params), ingestDir: ingest });
  return client;
}

/**
 * A client whose mutations (DELETE FROM, ALTER TABLE ... DELETE/UPDATE) on a sharded table go to its local
 * tables ON CLUSTER, since a Distributed table takes none: the product's SQL stays the same for one node and
 * for a cluster.
 */
function withClusterMutations(client: ClickHouseClient, cluster: Cluster, sharded: ReadonlySet<string>): ClickHouseClient {
  const command = client.command.bind(client);
  client.command = (params) => command({ ...params, query: clusterMutation(params.query, cluster, sharded) });
  return client;
}

export function isEmbedded(config: Pick<Config, 'CLICKHOUSE_URL'>): boolean {
  return !config.CLICKHOUSE_URL;
}
