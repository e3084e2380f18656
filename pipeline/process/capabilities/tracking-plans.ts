import { createTrackingPlanStore } from '../../../ingest/tracking-plans/plan-store.js';
import { trackingPlanRoutes } from '../../../ingest/tracking-plans/plan-routes.js';
import type { Base, Served } from './base.js';
import type { HeldClickHouse } from './clickhouse-held.js';

/**
 * Tracking plans' definitions (`/v1/tracking-plans`), where ClickHouse is held: stored there, and published in
 * Redis for every tracking API. At start Redis is made to hold what ClickHouse holds (a Redis emptied or
 * replaced since is filled again).
 */
export async function startTrackingPlans(base: Base, deps: { held: HeldClickHouse }): Promise<Served> {
  const store = createTrackingPlanStore({ clickhouse: deps.held.admin, database: base.config.CLICKHOUSE_DATABASE, redis: base.appRedis, keys: base.redisKeys.trackingPlans });
  await store.publishAll();
  return {
    routes: async (app) => {
      await app.register(trackingPlanRoutes, { store });
    },
  };
}
