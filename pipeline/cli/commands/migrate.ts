import type { Config } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { migrate } from '../../clickhouse/migrations.js';
import { runningServer } from '../../core/server-info.js';
import { openClickHouse } from '../../clickhouse/open-clickhouse.js';
import { isEmbedded } from '../../clickhouse/client.js';

/** `cdp migrate`: applies sql/migrations/ (also done by `cdp start`). */
export async function migrateCommand(config: Config): Promise<string> {
  if (isEmbedded(config) && runningServer(config.dataDir)) {
    return 'a cdp server holds this data folder and applied the migrations when it started; nothing to do';
  }
  const client = await openClickHouse(config);
  try {
    const applied = await migrate(client, config.CLICKHOUSE_DATABASE, createLogger(config));
    return applied.length === 0 ? 'schema is up to date' : `applied: ${applied.join(', ')}`;
  } finally {
    await client.close();
  }
}
