import type { AudienceStore } from '../../../segments/audience/audience-store.js';
import type { DestinationStore } from '../../../segments/destinations/destination-store.js';
import type { WebhookDelivery } from '../../../segments/destinations/webhook-dispatcher.js';
import { deliveryRecords } from '../../destinations/delivery-records.js';
import { destinationMetrics } from '../../destinations/destination-metrics.js';
import { destinationRoutes } from '../../destinations/destination-routes.js';
import { startEventDelivery } from '../../destinations/event-delivery.js';
import { createEventDestinationStore, type EventDestinationStore } from '../../destinations/event-destination-store.js';
import { eventQueues, type EventQueues } from '../../destinations/event-queues.js';
import { createFanOut } from '../../destinations/fan-out.js';
import type { LoadedEvent } from '../../load/load-batch.js';
import { ownClickHouse, ownRedis, type Base, type Served } from './base.js';

export interface EventDestinations extends Served {
  events: EventDestinationStore;
  queues: EventQueues;
  /** The loader's fan-out, where this process loads (the workers role). */
  fanOut?: (events: LoadedEvent[]) => Promise<void>;
}

/**
 * The destinations' routes (both types) wherever ClickHouse is held, and, with the workers role, the event
 * destinations' fan-out from the loader and their delivery loops.
 */
export async function startEventDestinations(
  base: Base,
  deps: { destinations: DestinationStore; audience: AudienceStore; webhooks: WebhookDelivery; loadWorkers: boolean },
): Promise<EventDestinations> {
  const { config, appRedis } = base;
  const log = base.log.child({ role: 'destinations' });
  const events = createEventDestinationStore(appRedis, base.redisKeys.destinations);
  const queues = eventQueues(appRedis, config.QUEUE_PREFIX, log);
  base.onClose(() => queues.close());
  let fanOut: EventDestinations['fanOut'];
  if (deps.loadWorkers) {
    const clickhouse = await ownClickHouse(base);
    const metrics = destinationMetrics(base.metrics);
    const records = deliveryRecords(clickhouse, config.CLICKHOUSE_DATABASE, log);
    base.onClose(() => records.close());
    fanOut = createFanOut({ destinations: events, queueOf: queues.of, clickhouse, database: config.CLICKHOUSE_DATABASE, metrics, log });
    const delivery = startEventDelivery({
      workerConnection: ownRedis(base, 'worker'),
      destinations: events,
      queues,
      keys: base.redisKeys.destinations,
      config,
      metrics: base.metrics,
      destinationMetrics: metrics,
      records,
      log,
    });
    base.onClose((redisGone) => delivery.close(redisGone));
  }
  return {
    events,
    queues,
    fanOut,
    routes: async (app) => {
      await app.register(destinationRoutes, { ...deps, events, queues, allowPrivate: config.DESTINATIONS_ALLOW_PRIVATE });
    },
  };
}
