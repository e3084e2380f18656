import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { provisionLocalRedis, type LocalRedis } from './local-redis.js';

export interface RedisTarget {
  options: RedisOptions;
  /** The private server, when this process provisioned or adopted one. */
  local?: LocalRedis;
}

/** REDIS_URL when set; otherwise the private redis-server in CDP_DATA_DIR (started if not running). */
export async function resolveRedis(config: Pick<Config, 'REDIS_URL' | 'REDIS_SERVER_BIN' | 'REDIS_MAXMEMORY' | 'dataDir'>, log?: Logger): Promise<RedisTarget> {
  if (config.REDIS_URL) {
    const url = new URL(config.REDIS_URL);
    return {
      options: {
        host: url.hostname,
        port: Number(url.port || 6379),
        username: url.username || undefined,
        password: url.password ? decodeURIComponent(url.password) : undefined,
        db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
        tls: url.protocol === 'rediss:' ? {} : undefined,
      },
    };
  }
  const local = await provisionLocalRedis({ dataDir: config.dataDir, bin: config.REDIS_SERVER_BIN, maxmemory: config.REDIS_MAXMEMORY, log });
  return { options: { path: local.socket }, local };
}

/**
 * Workers block on Redis and must wait through an outage (maxRetriesPerRequest null, as BullMQ requires);
 * the API must instead fail fast so that a client gets its 503 at once (no offline queue).
 */
export function redisFor(target: RedisTarget, use: 'worker' | 'producer', log?: Logger): Redis {
  const redis = new Redis({
    ...target.options,
    maxRetriesPerRequest: use === 'worker' ? null : 1,
    enableOfflineQueue: use === 'worker',
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // ioredis reconnects by itself; without a listener each failed attempt would be an unhandled 'error'.
  redis.on('error', (err: Error) => log?.warn({ err: err.message, use }, 'Redis connection error; reconnecting'));
  return redis;
}
