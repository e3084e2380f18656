import { isEmbedded } from '../../clickhouse/client.js';
import type { Config } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { openedDirectly, serverOrDirect, type DirectData } from '../server-or-direct.js';

const report = async ({ applied }: DirectData) => (applied.length === 0 ? 'schema is up to date' : `applied: ${applied.join(', ')}`);

/** `cdp migrate`: applies sql/migrations/ (also done by `cdp start`, and by every command that opens the data). */
export async function migrateCommand(config: Config): Promise<string> {
  const log = createLogger(config);
  // The one exception to the CLI's rule: with a ClickHouse server, `cdp migrate` is how an upgrade applies
  // its schema before its processes restart, while the old version still runs; migrations are idempotent and
  // the server takes a second client. Embedded, the running product holds the folder and migrated at start.
  if (!isEmbedded(config)) return openedDirectly(config, report, log);
  return serverOrDirect(config, {
    server: async () => 'a cdp server holds this data folder and applied the migrations when it started; nothing to do',
    direct: report,
    log,
  });
}
