import type { FastifyPluginAsync } from 'fastify';
import type { ClickHouseClient } from '../../clickhouse/client.js';
import { openClickHouse } from '../../clickhouse/open-clickhouse.js';
import type { Config } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import { closeRedis, redisFor, type RedisTarget } from '../../redis/connection.js';
import type { RedisKeyNames } from '../../redis/key-names.js';
import type { RedisClient } from '../../redis/connection.js';

// What every capability of a process starts from, and the one way it hands back its clean-up.

/** A clean-up. `redisGone`: Redis cannot be reached now, so it must not wait on Redis (nothing there can be finalised). */
export type Closer = (redisGone: boolean) => Promise<unknown>;

export interface Base {
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** Where Redis is (the private server or REDIS_URL), for connections of a capability's own. */
  redis: RedisTarget;
  /** The process's shared connection (`producer`: fails fast) for stores, queues and health. */
  appRedis: RedisClient;
  /** Every Redis key name the product forms, from QUEUE_PREFIX. */
  redisKeys: RedisKeyNames;
  /**
   * Hands a clean-up to the HTTP server's close: it runs once in-flight requests have finished, after the
   * clean-ups handed over later (Fastify runs onClose hooks in reverse order), and an error in it is logged,
   * not thrown. Hand each resource over as soon as it is open, so that a failure later in start-up closes it.
   */
  onClose(close: Closer): void;
}

/** What a capability serves over HTTP; the start-up registers it once everything is open. */
export interface Served {
  routes: FastifyPluginAsync;
}

/** A Redis connection of the capability's own, closed on stop. */
export function ownRedis(base: Base, use: 'worker' | 'producer'): RedisClient {
  const redis = redisFor(base.redis, use, base.log);
  base.onClose(() => closeRedis(redis));
  return redis;
}

/**
 * A ClickHouse connection of the capability's own, closed on stop. With chDB a connection runs one query at a
 * time, so whatever must not wait behind another's long query (a job, an export, a page) gets its own.
 */
export async function ownClickHouse(base: Base): Promise<ClickHouseClient> {
  const clickhouse = await openClickHouse(base.config);
  base.onClose(() => clickhouse.close());
  return clickhouse;
}
