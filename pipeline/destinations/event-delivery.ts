import { Gauge } from 'prom-client';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { DestinationKeys } from '../redis/key-names.js';
import { loadLuaScript } from '../redis/lua-script.js';
import { startDeliveryLoop, type DeliveryConfig, type DeliveryLoop } from './delivery-loop.js';
import type { DeliveryRecords } from './delivery-records.js';
import type { DestinationMetrics } from './destination-metrics.js';
import type { EventDestinationStore } from './event-destination-store.js';
import type { EventQueues } from './event-queues.js';
import type { RedisClient } from '../redis/connection.js';

export interface EventDeliveryDeps {
  workerConnection: RedisClient;
  destinations: EventDestinationStore;
  queues: EventQueues;
  keys: DestinationKeys;
  config: DeliveryConfig;
  metrics: Metrics;
  destinationMetrics: DestinationMetrics;
  records: DeliveryRecords;
  log: Logger;
}

const WATCH_MS = 1000;
const LEASE_SCRIPT = { file: 'pipeline/destinations/lua/hold-lease.lua', keys: 1 };
const RELEASE_SCRIPT = { file: 'pipeline/destinations/lua/release-lease.lua', keys: 1 };

/**
 * The delivery side of the workers role: one delivery loop per event destination (started within a second of
 * its creation, stopped at its deletion), and the backlog gauge. Several processes may run it: each
 * destination's lease lets one of them deliver it at a time.
 */
export function startEventDelivery(deps: EventDeliveryDeps): { close(redisGone?: boolean): Promise<void> } {
  const loops = new Map<string, DeliveryLoop>();
  const holdLease = loadLuaScript<number>(deps.workerConnection, LEASE_SCRIPT);
  const releaseLease = loadLuaScript<number>(deps.workerConnection, RELEASE_SCRIPT);
  const log = deps.log;

  // Sampled with each look at the destinations, not when /metrics is read: a scrape must answer even while
  // Redis is down (the private Redis being restarted), and a Redis call there would wait for it.
  const backlog = new Gauge({
    name: 'cdp_destination_backlog_jobs',
    help: 'Jobs (each up to a batch of events) waiting or being delivered per event destination; dead letters not counted',
    labelNames: ['destination'] as const,
    registers: [deps.metrics.registry],
  });

  async function sync(): Promise<void> {
    const destinations = await deps.destinations.list();
    const ids = new Set(destinations.map((d) => d.id));
    const counts = await Promise.all(destinations.map(async (d) => [d.id, await deps.queues.of(d.id).getJobCounts('wait', 'active', 'delayed', 'prioritized')] as const));
    backlog.reset();
    for (const [id, c] of counts) backlog.set({ destination: id }, Object.values(c).reduce((a, b) => a + b, 0));
    for (const id of ids) {
      if (loops.has(id)) continue;
      loops.set(id, startDeliveryLoop({ destinationId: id, workerConnection: deps.workerConnection, destinations: deps.destinations, queue: deps.queues.of(id), keys: deps.keys, holdLease, releaseLease, config: deps.config, metrics: deps.destinationMetrics, records: deps.records, log }));
    }
    for (const [id, loop] of loops) {
      if (ids.has(id)) continue;
      loops.delete(id);
      await loop.stop();
    }
  }

  let closed = false;
  let syncing = sync().catch((err) => log.warn({ err: (err as Error).message }, 'event destinations not read'));
  const timer = setInterval(() => {
    syncing = syncing.then(() => (closed ? undefined : sync())).catch((err) => log.warn({ err: (err as Error).message }, 'event destinations not read'));
  }, WATCH_MS);
  return {
    async close(redisGone = false) {
      closed = true;
      clearInterval(timer);
      if (!redisGone) await syncing;
      await Promise.all([...loops.values()].map((l) => l.stop(redisGone)));
      loops.clear();
    },
  };
}
