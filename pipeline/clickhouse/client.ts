import path from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { Config } from '../core/config.js';
import { ensurePrivateDir } from '../core/private-dir.js';

export type { ClickHouseClient };

/** chDB's own insert of a payload handed over as bytes (chdb/connection's `.chdb.rawInsert`). */
export type RawInsert = (params: { table: string; values: Buffer; format: 'JSONEachRow'; settings?: Record<string, string | number> }) => Promise<unknown>;

// The embedded engine's raw insert, by client: only createClickHouse makes embedded clients.
const rawInserts = new WeakMap<ClickHouseClient, RawInsert>();

/** The raw insert of an embedded client; undefined for a server's client. */
export function rawInsertOf(client: ClickHouseClient): RawInsert | undefined {
  return rawInserts.get(client);
}

export type ClickHouseTarget = Pick<
  Config,
  'CLICKHOUSE_URL' | 'CLICKHOUSE_USER' | 'CLICKHOUSE_PASSWORD' | 'CLICKHOUSE_DATABASE' | 'dataDir'
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
    return createClient({
      url: config.CLICKHOUSE_URL,
      database: opts.database,
      username: config.CLICKHOUSE_USER,
      password: config.CLICKHOUSE_PASSWORD,
      request_timeout: 120_000,
    });
  }
  const dir = embeddedClickHousePath(config);
  // Owner-only, as the data folder it may create on the way (`cdp migrate` before any start).
  ensurePrivateDir(dir);
  // chdb's types come from its own copy of @clickhouse/client-common; the runtime contract is the same.
  const chdb = createChdbConnection({ path: dir });
  const connection = chdb as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const client = createClient({ connection });
  rawInserts.set(client, (params) => chdb.chdb.rawInsert(params));
  return client;
}

export function isEmbedded(config: Pick<Config, 'CLICKHOUSE_URL'>): boolean {
  return !config.CLICKHOUSE_URL;
}
