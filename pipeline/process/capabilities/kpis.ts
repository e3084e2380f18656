import { createReportReader } from '../../../segments/customer-model/report-reader.js';
import { campaignCostRoutes } from '../../../segments/kpis/campaign-cost-routes.js';
import { kpiRoutes } from '../../../segments/kpis/kpi-routes.js';
import { ownClickHouse, type Base, type Served } from './base.js';

/** The decision board: `/v1/kpis` and its read-outs, and the campaign costs they read. */
export async function startKpis(base: Base): Promise<Served> {
  // A connection of its own, as the customer model's: a report must not hold up profile reads or health checks.
  const clickhouse = await ownClickHouse(base);
  const database = base.config.CLICKHOUSE_DATABASE;
  return {
    routes: async (app) => {
      await app.register(kpiRoutes, { read: createReportReader(clickhouse), database });
      await app.register(campaignCostRoutes, { clickhouse, database });
    },
  };
}
