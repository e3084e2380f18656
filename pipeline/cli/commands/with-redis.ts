import type { Config } from '../../core/config.js';
import { redisFor, resolveRedis } from '../../redis/connection.js';
import type { RedisClient } from '../../redis/connection.js';

/** Runs a CLI action against the product's Redis, starting the private one for the action if needed. */
export async function withRedis<T>(config: Config, action: (redis: RedisClient) => Promise<T>): Promise<T> {
  const target = await resolveRedis(config);
  const redis = redisFor(target, 'worker');
  try {
    return await action(redis);
  } finally {
    await redis.quit();
    if (target.local?.owned) await target.local.stop();
  }
}
