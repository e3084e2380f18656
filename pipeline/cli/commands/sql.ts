import type { Config } from '../../core/config.js';
import { runCheckedSelect } from '../../clickhouse/sql-guard.js';
import { createSqlRunner } from '../../clickhouse/sql-runner.js';
import { formatRows, type Format } from '../format-rows.js';
import { serverOrDirect } from '../server-or-direct.js';

/**
 * `cdp sql "<query>"`: one SELECT of the product database's tables, checked by sql-guard.ts either way:
 * through the running product's `POST /v1/sql`, or on a read-only connection of its own.
 */
export async function sqlCommand(config: Config, query: string, format: Format): Promise<string> {
  const rows = await serverOrDirect(config, {
    server: async (server) => (await server.call<{ rows?: Record<string, unknown>[] }>('POST', '/v1/sql', { query })).rows ?? [],
    direct: async () => {
      const runner = await createSqlRunner(config);
      try {
        return await runCheckedSelect(runner, query);
      } finally {
        await runner.close();
      }
    },
  });
  return formatRows(rows, format);
}
