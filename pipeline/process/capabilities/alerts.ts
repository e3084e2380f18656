import { listEventDeadLetters } from '../../destinations/event-dead-letters.js';
import type { LoadQueue } from '../../redis/load-queue.js';
import { createAlertDeliveryQueue } from '../../../segments/alerts/alert-delivery-queue.js';
import { startAlertDeliveries } from '../../../segments/alerts/alert-delivery.js';
import { createAlertEvaluator, type AlertEvaluator } from '../../../segments/alerts/alert-evaluator.js';
import { alertRoutes } from '../../../segments/alerts/alert-routes.js';
import { startAlertScheduler } from '../../../segments/alerts/alert-scheduler.js';
import { createAlertStates } from '../../../segments/alerts/alert-states.js';
import { createAlertStore } from '../../../segments/alerts/alert-store.js';
import { createMetricHistory } from '../../../segments/alerts/metric-history.js';
import { createWebhookQueue } from '../../../segments/destinations/webhook-queue.js';
import { ownClickHouse, ownRedis, type Base, type Served } from './base.js';
import type { EventDestinations } from './event-destinations.js';

/**
 * Alerts: their routes (`/v1/alerts`), and with `scheduling` the minute-by-minute evaluation and the delivery
 * of state changes to their webhooks.
 */
export async function startAlerts(base: Base, deps: { queue: LoadQueue; scheduling: boolean; destinations: EventDestinations }): Promise<Served & { alerts: AlertEvaluator }> {
  const { config, appRedis, log } = base;
  // A connection of its own: a minute's metrics must not wait behind a job or a page, nor hold them up.
  const clickhouse = await ownClickHouse(base);
  const database = config.CLICKHOUSE_DATABASE;
  const keys = base.redisKeys.alerts;
  const store = createAlertStore({ clickhouse, database, redis: appRedis, keys });
  const states = createAlertStates(appRedis, keys);
  const deliveries = createAlertDeliveryQueue(appRedis, config);
  const webhookQueue = createWebhookQueue(appRedis, config);
  base.onClose(async () => {
    await deliveries.close();
    await webhookQueue.close();
  });
  const alerts = createAlertEvaluator({
    store,
    states,
    history: createMetricHistory(appRedis, keys),
    metrics: {
      clickhouse,
      database,
      timeZone: config.KPI_TIME_ZONE ?? config.SEGMENTS_TIME_ZONE,
      shopCurrency: config.SHOP_CURRENCY ?? '',
      loadQueue: deps.queue,
      deadLetterCounts: [
        () => webhookQueue.getFailedCount(),
        () => deliveries.getFailedCount(),
        // An event destination's dead letter is a delivery, whose events may be several jobs.
        async () => (await Promise.all((await deps.destinations.events.list()).map(async (d) => (await listEventDeadLetters(deps.destinations.queues.of(d.id))).length))).reduce((a, b) => a + b, 0),
      ],
    },
    deliveries,
    clickhouse,
    database,
    log: log.child({ role: 'alerts' }),
  });
  if (deps.scheduling) {
    const sender = startAlertDeliveries(ownRedis(base, 'worker'), config, store, log.child({ role: 'alerts' }));
    base.onClose((redisGone) => sender.close(redisGone));
    const scheduler = await startAlertScheduler(ownRedis(base, 'worker'), config, alerts, log.child({ role: 'scheduler' }));
    base.onClose((redisGone) => scheduler.close(redisGone));
  }
  return {
    alerts,
    routes: async (app) => {
      await app.register(alertRoutes, { store, states, deliveries, clickhouse, database, allowPrivate: config.DESTINATIONS_ALLOW_PRIVATE });
    },
  };
}
