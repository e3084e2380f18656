import type { Config } from '../core/config.js';
import { DataDirLockedError } from '../core/errors/data-dir-locked-error.js';
import { runningServer } from '../core/server-info.js';
import { createClickHouse, type ClickHouseClient } from './client.js';

/** Opens a ClickHouse client and checks it answers, turning chDB's "Cannot lock file" into an error that says what to do. */
export async function openClickHouse(config: Config): Promise<ClickHouseClient> {
  try {
    const client = createClickHouse(config);
    await client.query({ query: 'SELECT 1' });
    return client;
  } catch (err) {
    // chDB prints "Cannot lock file" to stderr but throws a bare ChdbConnectionError; a live server.json in the
    // folder says who holds it.
    const locked = /Cannot lock file/i.test((err as Error).message) || ((err as Error).name === 'ChdbConnectionError' && runningServer(config.dataDir) !== undefined);
    if (locked) throw new DataDirLockedError(config.dataDir, { cause: err });
    throw err;
  }
}
