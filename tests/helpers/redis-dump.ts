import type { RedisClient } from '../../pipeline/redis/connection.js';
import { everyInstallationKey } from '../../pipeline/redis/key-names.js';

/** One key's value as text, whatever its type; the same value reads the same (hash fields and set members sorted). */
export async function keyValue(redis: RedisClient, key: string): Promise<string> {
  const type = await redis.type(key);
  const value =
    type === 'hash' ? Object.entries(await redis.hgetall(key)).sort(([a], [b]) => (a < b ? -1 : 1))
    : type === 'set' ? (await redis.smembers(key)).sort()
    : type === 'list' ? await redis.lrange(key, 0, -1)
    : type === 'zset' ? await redis.zrange(key, '0', '-1', 'WITHSCORES')
    : type === 'string' ? await redis.get(key)
    : type === 'stream' ? await redis.xrange(key, '-', '+')
    : `(${type})`;
  return JSON.stringify(value);
}

/** Every key of the installation (QUEUE_PREFIX `prefix`) with its value, as text: to search Redis as a whole for what must not be there. */
export async function redisDump(redis: RedisClient, prefix: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await redis.keys(everyInstallationKey(prefix))) out[key] = await keyValue(redis, key);
  return out;
}
