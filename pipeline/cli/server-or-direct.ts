import type { ClickHouseClient } from '../clickhouse/client.js';
import { clusterOf } from '../clickhouse/cluster-ddl.js';
import { migrate } from '../clickhouse/migrations.js';
import type { Config } from '../core/config.js';
import { ServerError } from '../core/errors/server-error.js';
import { UsageError } from '../core/errors/usage-error.js';
import type { Logger } from '../core/logger.js';
import { localAdminKey } from '../auth/local-admin-key.js';
import { openClickHouse } from '../clickhouse/open-clickhouse.js';
import { runningServer } from '../core/server-info.js';

// How a CLI command reaches the product's data, one rule for every command: while a product runs on this
// data folder, through its HTTP API with the local CLI key; otherwise by opening the data directly. The
// running product is used whatever the ClickHouse: embedded, it is the only process that may open the
// folder; with a ClickHouse server, it is where the scheduler runs the same jobs one at a time and where
// loading is paused for an identity rebuild, so a second writer beside it would not be safe either.

/** The product running on the data folder, as the CLI talks to it. */
export interface LocalServer {
  url: string;
  /** A JSON request with the local CLI admin key; a refusal (not 2xx, or `success: false`) is thrown as a ServerError. */
  call<T = Record<string, unknown>>(method: string, route: string, body?: unknown): Promise<T>;
}

/** The data opened directly: the admin client, its schema brought up to date (the migrations applied now named). */
export interface DirectData {
  clickhouse: ClickHouseClient;
  applied: string[];
}

export interface Ways<T> {
  server: (server: LocalServer) => Promise<T>;
  /** Without it, the command needs a running product (it refuses with how to start one). */
  direct?: (data: DirectData) => Promise<T>;
  /** Where the migrations applied on the direct way are logged. */
  log?: Logger;
}

function localServer(config: Config): LocalServer | undefined {
  const info = runningServer(config.dataDir);
  if (!info) return undefined;
  const key = localAdminKey(config.dataDir);
  return {
    url: info.url,
    async call<T>(method: string, route: string, body?: unknown) {
      const res = await fetch(`${info.url}${route}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const parsed = (await res.json()) as { success?: boolean; message?: unknown };
      if (!res.ok || parsed.success === false) throw new ServerError(typeof parsed.message === 'string' ? parsed.message : `the server answered ${res.status}`, res.status, parsed);
      return parsed as T;
    },
  };
}

/**
 * Runs a command the one way that applies: `ways.server` while a product runs on the data folder, else
 * `ways.direct` on the data opened for it (and closed after), with the schema migrated first as `cdp start`
 * does, so a folder never started can be read and written.
 */
export async function serverOrDirect<T>(config: Config, ways: Ways<T>): Promise<T> {
  const server = localServer(config);
  if (server) return ways.server(server);
  if (!ways.direct) throw new UsageError(`no product is running on ${config.dataDir}; start it first (npx cdp start)`);
  return openedDirectly(config, ways.direct, ways.log);
}

/** The direct way alone: the data opened (and closed after), its schema migrated first. */
export async function openedDirectly<T>(config: Config, direct: (data: DirectData) => Promise<T>, log?: Logger): Promise<T> {
  const clickhouse = await openClickHouse(config);
  try {
    const applied = await migrate(clickhouse, config.CLICKHOUSE_DATABASE, log, clusterOf(config));
    return await direct({ clickhouse, applied });
  } finally {
    await clickhouse.close();
  }
}
