import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { provisionLocalRedis, type LocalRedis, type LocalRedisOptions } from './local-redis.js';

export interface RedisTarget {
  options: RedisOptions;
  /** The private server, when this process provisioned or adopted one. */
  local?: LocalRedis;
  /**
   * From now on a lost connection is not re-established, so whatever waits on it fails at once instead of
   * waiting for a Redis that may never come back (shutdown). Applies to every connection made from this
   * target, BullMQ's duplicates included.
   */
  letGo(): void;
}

/**
 * REDIS_URL when set; otherwise the private redis-server in CDP_DATA_DIR (started if not running), restarted
 * whenever it dies when `supervise` is given (a running product).
 */
export async function resolveRedis(
  config: Pick<Config, 'REDIS_URL' | 'REDIS_SERVER_BIN' | 'REDIS_MAXMEMORY' | 'REDIS_APPENDFSYNC' | 'dataDir'>,
  log?: Logger,
  supervise?: LocalRedisOptions['supervise'],
): Promise<RedisTarget> {
  let lettingGo = false;
  // ioredis's duplicate() copies the options, this function with them: one switch reaches every connection.
  const retryStrategy = (times: number) => (lettingGo ? null : Math.min(times * 200, 2000));
  const letGo = () => {
    lettingGo = true;
  };
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
        retryStrategy,
      },
      letGo,
    };
  }
  const local = await provisionLocalRedis({
    dataDir: config.dataDir,
    bin: config.REDIS_SERVER_BIN,
    maxmemory: config.REDIS_MAXMEMORY,
    appendfsync: config.REDIS_APPENDFSYNC,
    log,
    supervise,
  });
  return { options: { path: local.socket, retryStrategy }, local, letGo };
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
  });
  // ioredis reconnects by itself; without a listener each failed attempt would be an unhandled 'error'.
  redis.on('error', (err: Error) => log?.warn({ err: err.message, use }, 'Redis connection error; reconnecting'));
  return redis;
}

/** QUIT when connected (pending replies arrive first); otherwise drop the connection: there is no one to say goodbye to. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit();
  else redis.disconnect();
}
