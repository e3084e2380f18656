import { createEnqueuer } from '../../../ingest/enqueue.js';
import { snippetRoutes } from '../../../ingest/snippet-routes.js';
import { trackingLimits } from '../../../ingest/tracking-limits.js';
import { trackingRoutes } from '../../../ingest/tracking-routes.js';
import type { KeyStore } from '../../auth/key-store.js';
import type { LoadQueue } from '../../redis/load-queue.js';
import type { Base, Served } from './base.js';

/** The `api` role: the tracking routes and the browser snippet, answering 200 once events are in the load queue. */
export function startTrackingApi(base: Base, deps: { keys: KeyStore; queue: LoadQueue }): Served {
  const { config, metrics } = base;
  const enqueuer = createEnqueuer(deps.queue, metrics, {
    maxGroupEvents: config.INGEST_GROUP_MAX_EVENTS,
    timeoutMs: config.INGEST_ENQUEUE_TIMEOUT_MS,
    maxQueueDepth: config.INGEST_MAX_QUEUE_DEPTH,
  });
  // Once in-flight requests are done: the group commits still gathering are written to the queue.
  base.onClose(() => enqueuer.close());
  return {
    routes: async (app) => {
      await app.register(snippetRoutes);
      await app.register(trackingRoutes, {
        keys: deps.keys,
        enqueuer,
        metrics,
        retryAfterSeconds: config.INGEST_RETRY_AFTER_SECONDS,
        limits: trackingLimits(config),
      });
    },
  };
}
