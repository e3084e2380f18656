import type { Config } from '../../core/config.js';
import { installationHasher } from '../../../identity/installation-hasher.js';
import { identityRebuilder } from '../../../identity/rebuild.js';
import { serverOrDirect } from '../server-or-direct.js';
import { withRedis } from './with-redis.js';

/**
 * `cdp identity rebuild`: rebuilds the Redis identity graph from identity_edges in ClickHouse, through the
 * running product's `POST /v1/identity/rebuild` or directly. Prints a JSON summary.
 */
export async function identityRebuildCommand(config: Config): Promise<string> {
  return serverOrDirect(config, {
    server: async (server) => JSON.stringify(await server.call('POST', '/v1/identity/rebuild')),
    direct: async ({ clickhouse }) =>
      JSON.stringify({ success: true, ...(await withRedis(config, async (redis) => identityRebuilder(config, clickhouse, redis, undefined, await installationHasher(config, redis))())) }),
  });
}
