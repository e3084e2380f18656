
import type { RedisClient } from '../redis/connection.js';
/** How an event destination's deliveries go now, as its delivery loop last said (times in epoch ms). */
export interface DeliveryState {
  /** Set while a delivery keeps failing and is being retried. */
  failing_since: number | null;
  last_error: string | null;
  last_error_at: number | null;
  last_delivered_at: number | null;
}

const ERROR_MAX = 500;

/** What the delivery loop tells the dashboard, in the destination's state hash (key-names.ts). */
export function deliveryStateWriter(redis: RedisClient, key: string) {
  return {
    async failed(error: string, retrying: boolean): Promise<void> {
      const now = String(Date.now());
      const multi = redis.multi().hset(key, 'last_error', error.slice(0, ERROR_MAX), 'last_error_at', now);
      if (retrying) multi.hsetnx(key, 'failing_since', now);
      else multi.hdel(key, 'failing_since');
      await multi.exec();
    },
    async delivered(): Promise<void> {
      await redis.multi().hset(key, 'last_delivered_at', String(Date.now())).hdel(key, 'failing_since').exec();
    },
  };
}

export async function readDeliveryState(redis: RedisClient, key: string): Promise<DeliveryState> {
  const h = await redis.hgetall(key);
  const time = (v: string | undefined) => (v ? Number(v) : null);
  return { failing_since: time(h.failing_since), last_error: h.last_error ?? null, last_error_at: time(h.last_error_at), last_delivered_at: time(h.last_delivered_at) };
}
