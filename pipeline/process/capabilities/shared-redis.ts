import type { Logger } from '../../core/logger.js';
import { redisFor, type RedisTarget } from '../../redis/connection.js';
import type { RedisClient } from '../../redis/connection.js';

// The Redis connection every capability of a process shares, and what the process knows of Redis without
// asking it: /health reports it, and while it is wrong the clean-ups do not wait on Redis.

export interface SharedRedis {
  /** The process's shared connection (`producer`: fails fast). */
  appRedis: RedisClient;
  /** What /health reports of Redis, answered from state this process holds: undefined when fine, or what is wrong. */
  vitals: Record<string, () => string | undefined>;
  /** Whether Redis can be reached now, by those vitals; while it cannot, clean-ups do not wait on it. */
  reachable(): boolean;
}

/** Opens the process's shared Redis connection (not waiting for it: see waitReady). */
export function openSharedRedis(redis: RedisTarget, log: Logger): SharedRedis {
  const appRedis = redisFor(redis, 'producer', log);
  const vitals: SharedRedis['vitals'] = {
    redis: () => (appRedis.status === 'ready' ? undefined : `no connection to Redis (${appRedis.status})`),
  };
  const local = redis.local;
  if (local?.owned) {
    vitals.privateRedis = () => (local.state === 'running' ? undefined : `the private redis-server is ${local.state} (restarts so far: ${local.restarts})`);
  }
  return { appRedis, vitals, reachable: () => Object.values(vitals).every((vital) => vital() === undefined) };
}

export function waitReady(redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Redis did not become ready within 15 s')), 15000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
