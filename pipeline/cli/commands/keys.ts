import type { Config } from '../../config.js';
import { createKeyStore, type Scope } from '../../../ingest/key-store.js';
import { UsageError } from '../../errors/usage-error.js';
import { withRedis } from './with-redis.js';

/**
 * `cdp keys create --source NAME --scope write|audience|read|admin [--segments a,b]`: prints the new key (shown
 * only this once). `--segments` limits an audience key to those segments.
 */
export async function keysCreateCommand(config: Config, scope: Scope, name: string, segments?: string[]): Promise<string> {
  if (segments && scope !== 'audience') throw new UsageError('--segments applies to audience keys only (--scope audience)');
  const key = await withRedis(config, (redis) => createKeyStore(redis, { writeKeys: [] }).create(scope, name, { segments }));
  if (scope === 'write') return `${key}\n(write key for source "${name}": use it as the Segment write key)`;
  const reach = scope === 'audience' ? ` for the audience API of ${segments ? `segments ${segments.join(', ')}` : 'every segment'}` : '';
  return `${key}\n(${scope} key "${name}"${reach}: send it as "Authorization: Bearer <key>"; it is stored hashed and cannot be shown again)`;
}
