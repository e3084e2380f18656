import type { Config } from '../../core/config.js';
import { ServerError } from '../../core/errors/server-error.js';
import { isEmbedded } from '../../clickhouse/client.js';
import { migrate } from '../../clickhouse/migrations.js';
import { localAdminKey } from '../../auth/local-admin-key.js';
import { runningServer } from '../../core/server-info.js';
import { openClickHouse } from '../../clickhouse/open-clickhouse.js';
import { installationHasher } from '../../../identity/installation-hasher.js';
import { identityRebuilder } from '../../../identity/rebuild.js';
import { withRedis } from './with-redis.js';

/**
 * `cdp identity rebuild`: rebuilds the Redis identity graph from identity_edges in ClickHouse, through the
 * running server when one holds the data folder, otherwise directly. Prints a JSON summary.
 */
export async function identityRebuildCommand(config: Config): Promise<string> {
  const server = isEmbedded(config) ? runningServer(config.dataDir) : undefined;
  if (server) {
    const res = await fetch(`${server.url}/v1/identity/rebuild`, { method: 'POST', headers: { authorization: `Bearer ${localAdminKey(config.dataDir)}` } });
    const body = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new ServerError(String(body.message ?? `the server answered ${res.status}`), res.status);
    return JSON.stringify(body);
  }
  const clickhouse = await openClickHouse(config);
  try {
    await migrate(clickhouse, config.CLICKHOUSE_DATABASE);
    return JSON.stringify({ success: true, ...(await withRedis(config, async (redis) => identityRebuilder(config, clickhouse, redis, undefined, await installationHasher(config, redis))())) });
  } finally {
    await clickhouse.close();
  }
}
