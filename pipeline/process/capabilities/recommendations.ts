import { createRecommendationReader } from '../../../segments/recommendations/recommendation-reader.js';
import { recommendationRoutes } from '../../../segments/recommendations/recommendation-routes.js';
import type { Base, Served } from './base.js';
import type { HeldClickHouse } from './clickhouse-held.js';

/** A customer's product recommendations: `GET /v1/profiles/:profileId/recommendations`. */
export function startRecommendations(base: Base, deps: { held: HeldClickHouse }): Served {
  const read = createRecommendationReader(deps.held.admin, base.config.CLICKHOUSE_DATABASE);
  return {
    routes: async (app) => {
      await app.register(recommendationRoutes, { read });
    },
  };
}
