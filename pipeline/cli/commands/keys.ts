import type { Config } from '../../config.js';
import { createKeyStore, type Scope } from '../../../ingest/key-store.js';
import { withRedis } from './with-redis.js';

/** `cdp keys create --source NAME --scope write|read|admin`: prints the new key (shown only this once). */
export async function keysCreateCommand(config: Config, scope: Scope, name: string): Promise<string> {
  const key = await withRedis(config, (redis) => createKeyStore(redis, { writeKeys: [] }).create(scope, name));
  return scope === 'write'
    ? `${key}\n(write key for source "${name}": use it as the Segment write key)`
    : `${key}\n(${scope} key "${name}": send it as "Authorization: Bearer <key>"; it is stored hashed and cannot be shown again)`;
}
