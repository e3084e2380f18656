import type { Config } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { serverOrDirect } from '../server-or-direct.js';

/** `cdp migrate`: applies sql/migrations/ (also done by `cdp start`, and by every command that opens the data). */
export async function migrateCommand(config: Config): Promise<string> {
  return serverOrDirect(config, {
    server: async () => 'a cdp server holds this data folder and applied the migrations when it started; nothing to do',
    direct: async ({ applied }) => (applied.length === 0 ? 'schema is up to date' : `applied: ${applied.join(', ')}`),
    log: createLogger(config),
  });
}
