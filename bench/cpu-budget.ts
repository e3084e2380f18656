import { availableParallelism } from 'node:os';
import { Redis } from 'ioredis';
import { localRedisSocket } from '../pipeline/redis/local-redis.js';
import { round } from './figures.js';

// Where the CPU of a latency bench went, per event: the product child (all its threads: API, workers, the
// embedded engine), its private Redis, and this process (the load generator and the poller). Summed and
// multiplied by the offered rate, it says how many cores that rate needs on this machine, which is what bounds
// the rate a machine of `cores` can hold (each figure is measured, not estimated).

export interface CpuReading {
  productSeconds: number;
  redisSeconds: number;
  benchSeconds: number;
}

export interface CpuBudget {
  /**
   * CPU microseconds per event, by process, over everything the product took in during the reading. `polls`: the
   * part of the product's that answered the bench's own polling (estimated), which `total` leaves out: the
   * traffic's cost, not the observer's.
   */
  usPerEvent: { product: number; polls: number; redis: number; bench: number; total: number };
  /** Cores the offered rate needs at these costs: total µs per event × events/s. */
  coresAtOfferedRate: number;
  /** Cores this machine has. */
  cores: number;
}

/** The product's CPU from its own /metrics (prom-client's process counter), Redis's from INFO, this process's from Node. */
export async function readCpu(productUrl: string, dataDir: string): Promise<CpuReading> {
  const res = await fetch(`${productUrl}/metrics`);
  const text = await res.text();
  const line = text.split('\n').find((l) => l.startsWith('cdp_process_process_cpu_seconds_total '));
  if (!line) throw new Error('the product\'s /metrics has no cdp_process_process_cpu_seconds_total');
  const redis = new Redis({ path: localRedisSocket(dataDir), lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info('cpu');
    const field = (name: string) => {
      const value = Number(info.match(new RegExp(`^${name}:(\\S+)`, 'm'))?.[1]);
      if (!Number.isFinite(value)) throw new Error(`Redis INFO cpu has no ${name}`);
      return value;
    };
    const own = process.cpuUsage();
    return { productSeconds: Number(line.split(' ')[1]), redisSeconds: field('used_cpu_user') + field('used_cpu_sys'), benchSeconds: (own.user + own.system) / 1e6 };
  } finally {
    redis.disconnect();
  }
}

/** `pollSeconds`: the product's CPU spent answering the bench's polls during the reading (0: none). */
export function cpuBudget(before: CpuReading, after: CpuReading, events: number, offeredPerSec: number, pollSeconds = 0): CpuBudget {
  const us = (s: number) => (events > 0 ? (s * 1e6) / events : 0);
  const product = us(after.productSeconds - before.productSeconds);
  const polls = Math.min(product, us(pollSeconds));
  const redis = us(after.redisSeconds - before.redisSeconds);
  const bench = us(after.benchSeconds - before.benchSeconds);
  const total = product - polls + redis + bench;
  return {
    usPerEvent: { product: round(product, 1), polls: round(polls, 1), redis: round(redis, 1), bench: round(bench, 1), total: round(total, 1) },
    coresAtOfferedRate: round((total * offeredPerSec) / 1e6, 2),
    cores: availableParallelism(),
  };
}
