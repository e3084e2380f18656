import type { AlertKeys } from '../../pipeline/redis/key-names.js';
import type { RedisClient } from '../../pipeline/redis/connection.js';

/** How long a metric's value per minute is kept: the 4 weeks of an anomaly's baseline, and a day. */
export const HISTORY_DAYS = 29;

/** A recorded value: a number, null (the minute had none), or undefined (nothing recorded for the minute). */
export type Recorded = number | null | undefined;

const encode = (value: number | null) => (value === null ? '' : String(value));
const decode = (raw: string | null): Recorded => (raw === null ? undefined : raw === '' ? null : Number(raw));

/**
 * Each metric's value per minute as the evaluations recorded it, in Redis (one key per metric and minute,
 * expiring after HISTORY_DAYS): every evaluator reads the same history, a minute's value is written once
 * (the first writer wins, so two evaluators agree on it), and keeping it costs no ClickHouse part per
 * minute. Alerts on the same metric share it.
 */
export function createMetricHistory(redis: RedisClient, keys: AlertKeys) {
  return {
    async read(metric: string, minutes: number[]): Promise<Recorded[]> {
      if (minutes.length === 0) return [];
      return (await redis.mget(minutes.map((m) => keys.metricValue(metric, m)))).map(decode);
    },
    /** Records the minute's value unless one is recorded already; answers the recorded one. */
    async record(metric: string, minute: number, value: number | null): Promise<number | null> {
      const key = keys.metricValue(metric, minute);
      const set = await redis.set(key, encode(value), 'EX', HISTORY_DAYS * 86_400, 'NX');
      if (set === 'OK') return value;
      return decode(await redis.get(key)) ?? null;
    },
  };
}

export type MetricHistory = ReturnType<typeof createMetricHistory>;
