import { readDeliveryState } from '../destinations/delivery-state.js';
import { listEventDeadLetters } from '../destinations/event-dead-letters.js';
import type { EventDestinationStore } from '../destinations/event-destination-store.js';
import type { EventQueues } from '../destinations/event-queues.js';
import type { DestinationKeys } from '../redis/key-names.js';
import type { DestinationHealth } from './dashboard-types.js';
import { num, type DashboardReader } from './reader.js';
import type { RedisClient } from '../redis/connection.js';

export interface DestinationHealthDeps {
  events: EventDestinationStore;
  queues: EventQueues;
  redis: RedisClient;
  keys: DestinationKeys;
}

/** Each event destination's state, backlog and dead letters (Redis), last error (its delivery loop) and events delivered in 24 hours (ClickHouse). */
export async function destinationHealth(read: DashboardReader, db: string, deps: DestinationHealthDeps, now: number): Promise<DestinationHealth[]> {
  const destinations = await deps.events.list();
  if (destinations.length === 0) return [];
  const delivered = await read<{ destination_id: string; events: string }>(
    `SELECT destination_id, sum(events) AS events FROM ${db}.destination_deliveries
     WHERE status = 'delivered' AND first_attempt_at >= fromUnixTimestamp64Milli({since:Int64}) AND destination_id IN {ids:Array(String)}
     GROUP BY destination_id`,
    { since: now - 24 * 3600 * 1000, ids: destinations.map((d) => d.id) },
  );
  const deliveredOf = new Map(delivered.map((r) => [r.destination_id, num(r.events)]));
  return Promise.all(
    destinations.map(async (d) => {
      const queue = deps.queues.of(d.id);
      const [counts, dead, state] = await Promise.all([queue.getJobCounts('wait', 'active', 'delayed', 'prioritized'), listEventDeadLetters(queue), readDeliveryState(deps.redis, deps.keys.deliveryState(d.id))]);
      const status: DestinationHealth['state'] = d.disabled_at !== null ? 'disabled' : d.paused ? 'paused' : state.failing_since !== null ? 'failing' : 'ok';
      return {
        id: d.id,
        name: d.name,
        format: d.format,
        state: status,
        delivered_24h: deliveredOf.get(d.id) ?? 0,
        backlog: Object.values(counts).reduce((a, b) => a + b, 0),
        dead_letters: dead.length,
        ...state,
      };
    }),
  );
}
