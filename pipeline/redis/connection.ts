import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { provisionLocalRedis, type LocalRedis, type LocalRedisOptions } from './local-redis.js';

/** A connection of the product: to one Redis, or to a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  /** Options of a connection to one node (with REDIS_CLUSTER_NODES: to each node of the cluster). */
  options: RedisOptions;
  /** The cluster's seed nodes, when REDIS_CLUSTER_NODES is set. */
  clusterNodes?: { host: string; port: number }[];
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
 * REDIS_CLUSTER_NODES when set (REDIS_URL's user, password and TLS applying to each node); else REDIS_URL when
 * set; otherwise the private redis-server in CDP_DATA_DIR (started if not running), restarted
 * whenever it dies when `supervise` is given (a running product).
 */
export async function resolveRedis(
  config: Pick<Config, 'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'REDIS_SERVER_BIN' | 'REDIS_MAXMEMORY' | 'REDIS_APPENDFSYNC' | 'dataDir'>,
  log?: Logger,
  supervise?: LocalRedisOptions['supervise'],
): Promise<RedisTarget> {
  let lettingGo = false;
  // ioredis's duplicate() copies the options, this function with them: one switch reaches every connection.
  const retryStrategy = (times: number) => (lettingGo ? null : Math.min(times * 200, 2000));
  const letGo = () => {
    lettingGo = true;
  };
  const url = config.REDIS_URL ? new URL(config.REDIS_URL) : undefined;
  const credentials: RedisOptions = url
    ? { username: url.username || undefined, password: url.password ? decodeURIComponent(url.password) : undefined, tls: url.protocol === 'rediss:' ? {} : undefined }
    : {};
  if (config.REDIS_CLUSTER_NODES.length > 0) {
    return { options: { ...credentials, retryStrategy }, clusterNodes: config.REDIS_CLUSTER_NODES, letGo };
  }
  if (url) {
    return {
      options: {
        ...credentials,
        host: url.hostname,
        port: Number(url.port || 6379),
        db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
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
export function redisFor(target: RedisTarget, use: 'worker' | 'producer', log?: Logger): RedisClient {
  const perUse = { maxRetriesPerRequest: use === 'worker' ? null : 1, enableOfflineQueue: use === 'worker' };
  const redis = target.clusterNodes ? clusterFor(target, target.clusterNodes, perUse) : new Redis({ ...target.options, ...perUse });
  // ioredis reconnects by itself; without a listener each failed attempt would be an unhandled 'error'.
  redis.on('error', (err: Error) => log?.warn({ err: err.message, use }, 'Redis connection error; reconnecting'));
  return redis;
}

function clusterFor(target: RedisTarget, nodes: { host: string; port: number }[], perUse: { maxRetriesPerRequest: number | null; enableOfflineQueue: boolean }): Cluster {
  const { retryStrategy, ...nodeOptions } = target.options;
  return new Cluster(nodes, {
    redisOptions: { ...nodeOptions, maxRetriesPerRequest: perUse.maxRetriesPerRequest },
    enableOfflineQueue: perUse.enableOfflineQueue,
    clusterRetryStrategy: retryStrategy ? (times) => retryStrategy(times) : undefined,
    // A master that restarts leaves its slots unserved (CLUSTERDOWN) for as long as it is away: a worker waits
    // it out (its commands are retried every 200 ms), the API fails fast and answers 503.
    retryDelayOnClusterDown: 200,
    maxRedirections: perUse.maxRetriesPerRequest === null ? 1000 : 16,
  });
}

/** The masters of a cluster, or the one node: a SCAN of every key must be made on each of them. */
export function everyMaster(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/** QUIT when connected (pending replies arrive first); otherwise drop the connection: there is no one to say goodbye to. */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') await redis.quit();
  else redis.disconnect();
}
