import { createEnqueuer } from '../../../ingest/enqueue.js';
import { snippetRoutes } from '../../../ingest/snippet-routes.js';
import { trackingLimits } from '../../../ingest/tracking-limits.js';
import { trackingRoutes } from '../../../ingest/tracking-routes.js';
import type { KeyStore } from '../../auth/key-store.js';
import type { LoadQueue } from '../../redis/load-queue.js';
import { followTrackingPlans, type PlanCache } from '../../../ingest/tracking-plans/plan-cache.js';
import { ownRedis, type Base, type Served } from './base.js';

// How often the tracking plans are read again besides their change announcements (a safety net).
const PLAN_REFRESH_MS = 30_000;

/**
 * The `api` role: the tracking routes and the browser snippet, answering 200 once events are in the load
 * queue; each event of a source with a tracking plan is checked against it (read from Redis, followed).
 */
export async function startTrackingApi(base: Base, deps: { keys: KeyStore; queue: LoadQueue }): Promise<Served & { plans: PlanCache }> {
  const { config, metrics } = base;
  const plans = await followTrackingPlans({
    redis: base.appRedis,
    subscriber: ownRedis(base, 'worker'),
    keys: base.redisKeys.trackingPlans,
    log: base.log.child({ role: 'tracking-plans' }),
    refreshMs: PLAN_REFRESH_MS,
  });
  // The subscribed connection is closed with the capability's other connections (ownRedis).
  base.onClose(async () => plans.close());
  const enqueuer = createEnqueuer(deps.queue, metrics, {
    maxGroupEvents: config.INGEST_GROUP_MAX_EVENTS,
    timeoutMs: config.INGEST_ENQUEUE_TIMEOUT_MS,
    maxQueueDepth: config.INGEST_MAX_QUEUE_DEPTH,
    shedAfterMs: config.INGEST_SHED_AFTER_MS,
  });
  // Once in-flight requests are done: the group commits still gathering are written to the queue.
  base.onClose(() => enqueuer.close());
  return {
    plans,
    routes: async (app) => {
      await app.register(snippetRoutes);
      await app.register(trackingRoutes, {
        keys: deps.keys,
        plans,
        enqueuer,
        metrics,
        retryAfterSeconds: config.INGEST_RETRY_AFTER_SECONDS,
        limits: trackingLimits(config),
      });
    },
  };
}
