import type { Config } from '../../core/config.js';
import { keyInput } from '../../auth/key-input.js';
import { createKeyStore, KEY_ID_PATTERN, type Scope } from '../../auth/key-store.js';
import { UsageError } from '../../core/errors/usage-error.js';
import { formatRows, type Format } from '../format-rows.js';
import { withRedis } from './with-redis.js';

// The CLI works on Redis directly, like the API: a revocation made here reaches the running processes through
// the same key-change announcement.

const FLAGS: Record<string, string> = { scope: '--scope', name: '--source', segments: '--segments' };

/**
 * `cdp keys create --source NAME --scope write|audience|read|admin [--segments a,b]`: prints the new key (shown
 * only this once). `--segments` limits an audience key to those segments.
 */
export async function keysCreateCommand(config: Config, scope: Scope, name: string, segments?: string[]): Promise<string> {
  const input = keyInput.safeParse({ scope, name, segments });
  if (!input.success) throw new UsageError(input.error.issues.map((i) => `${FLAGS[String(i.path[0])] ?? String(i.path[0])} ${i.message}`).join('; '));
  const { key, info } = await withRedis(config, (redis) => createKeyStore(redis, config).issue(input.data));
  if (scope === 'write') return `${key}\n(write key ${info.id} for source "${info.name}": use it as the Segment write key)`;
  const reach = scope === 'audience' ? ` for the audience API of ${info.segments ? `segments ${info.segments.join(', ')}` : 'every segment'}` : '';
  return `${key}\n(${scope} key ${info.id} "${info.name}"${reach}: send it as "Authorization: Bearer <key>"; it is stored hashed and cannot be shown again)`;
}

/** `cdp keys list [--format table|json|csv]`: every key but the keys themselves. */
export async function keysListCommand(config: Config, format: Format): Promise<string> {
  const keys = await withRedis(config, (redis) => createKeyStore(redis, config).list());
  // JSON keeps segments a list; the table and CSV show it as the comma list --segments takes.
  return formatRows(keys.map((k) => ({ ...k, segments: format === 'json' ? k.segments : (k.segments?.join(',') ?? null) })), format);
}

/** `cdp keys revoke <id> [--force]`: every process stops taking the key within seconds. */
export async function keysRevokeCommand(config: Config, id: string | undefined, force: boolean): Promise<string> {
  if (!id || !KEY_ID_PATTERN.test(id)) throw new UsageError(`usage: cdp keys revoke <id> [--force], the id as cdp keys list shows it (key_ and 12 hex digits)${id ? `; got "${id}"` : ''}`);
  const result = await withRedis(config, (redis) => createKeyStore(redis, config).revoke(id, { force }));
  if (!result.ok) throw new UsageError(result.code === 'local_cli_key' ? `${result.message} (--force)` : result.message);
  return `revoked ${result.key.id} (${result.key.scope} key "${result.key.name}")`;
}
