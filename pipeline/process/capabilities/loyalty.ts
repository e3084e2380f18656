import { createLoyaltyReader } from '../../../segments/loyalty/loyalty-reader.js';
import { loyaltyRoutes } from '../../../segments/loyalty/loyalty-routes.js';
import type { LoadQueue } from '../../redis/load-queue.js';
import type { Base, Served } from './base.js';
import type { HeldClickHouse } from './clickhouse-held.js';

/** Loyalty: `GET /v1/profiles/:profileId/loyalty` and the admin's adjustments, recorded through the load queue. */
export function startLoyalty(base: Base, deps: { held: HeldClickHouse; queue: LoadQueue }): Served {
  const read = createLoyaltyReader(deps.held.admin, base.config.CLICKHOUSE_DATABASE, base.config);
  const events = { redis: base.appRedis, graph: base.redisKeys.identity, queue: deps.queue, config: base.config };
  return {
    routes: async (app) => {
      await app.register(loyaltyRoutes, { read, events });
    },
  };
}
