import { planInferenceRoutes } from '../../../ingest/tracking-plans/plan-inference-routes.js';
import { violationRoutes } from '../../../ingest/tracking-plans/violation-routes.js';
import { ownClickHouse, type Base, type Served } from './base.js';

/**
 * What is read about tracking plans from ClickHouse: their violations (`/v1/tracking-plans/:id/violations`)
 * and drafts inferred from the events seen (`/v1/tracking-plans/infer`).
 */
export async function startTrackingPlanReports(base: Base): Promise<Served> {
  // A connection of its own: an inference samples up to 10,000 events per rule and must not hold up the rest.
  const deps = { clickhouse: await ownClickHouse(base), database: base.config.CLICKHOUSE_DATABASE };
  return {
    routes: async (app) => {
      await app.register(planInferenceRoutes, deps);
      await app.register(violationRoutes, deps);
    },
  };
}
