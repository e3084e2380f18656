import type { Config } from '../../core/config.js';
import { ServerError } from '../../core/errors/server-error.js';
import { isEmbedded } from '../../clickhouse/client.js';
import { migrate } from '../../clickhouse/migrations.js';
import { localAdminKey } from '../../auth/local-admin-key.js';
import { runningServer } from '../../core/server-info.js';
import { runCheckedSelect } from '../../clickhouse/sql-guard.js';
import { createSqlRunner } from '../../clickhouse/sql-runner.js';
import { openClickHouse } from '../../clickhouse/open-clickhouse.js';
import { formatRows, type Format } from '../format-rows.js';

async function viaServer(url: string, key: string, query: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${url}/v1/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { success: boolean; rows?: Record<string, unknown>[]; message?: string };
  if (!res.ok || !body.success) throw new ServerError(body.message ?? `the server answered ${res.status}`, res.status);
  return body.rows ?? [];
}

/**
 * `cdp sql "<query>"`: one SELECT of the product database's tables, checked by sql-guard.ts either way. While
 * a server holds the data folder the query goes through its `POST /v1/sql` (with the local CLI key);
 * otherwise the data is opened directly.
 */
export async function sqlCommand(config: Config, query: string, format: Format): Promise<string> {
  const server = runningServer(config.dataDir);
  if (server) return formatRows(await viaServer(server.url, localAdminKey(config.dataDir), query), format);
  if (isEmbedded(config)) {
    // A data folder that was never started has no schema yet; create it so the tables can be queried.
    const admin = await openClickHouse(config);
    await migrate(admin, config.CLICKHOUSE_DATABASE);
    await admin.close();
  }
  const runner = await createSqlRunner(config);
  try {
    return formatRows(await runCheckedSelect(runner, query), format);
  } finally {
    await runner.close();
  }
}
