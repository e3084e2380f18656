import type { RedisClient } from '../../pipeline/redis/connection.js';
import { everyInstallationKey } from '../../pipeline/redis/key-names.js';

/** Every key of the installation (QUEUE_PREFIX `prefix`) with its value, as text: to search Redis as a whole for what must not be there. */
export async function redisDump(redis: RedisClient, prefix: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await redis.keys(everyInstallationKey(prefix))) {
    const type = await redis.type(key);
    const value =
      type === 'hash' ? await redis.hgetall(key)
      : type === 'set' ? await redis.smembers(key)
      : type === 'list' ? await redis.lrange(key, 0, -1)
      : type === 'zset' ? await redis.zrange(key, '0', '-1')
      : type === 'string' ? await redis.get(key)
      : type === 'stream' ? await redis.xrange(key, '-', '+')
      : `(${type})`;
    out[key] = JSON.stringify(value);
  }
  return out;
}
