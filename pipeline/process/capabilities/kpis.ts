import { createReportReader } from '../../../segments/customer-model/report-reader.js';
import { kpiRoutes } from '../../../segments/kpis/kpi-routes.js';
import { ownClickHouse, type Base, type Served } from './base.js';

/** The decision board's read-outs: `/v1/kpis`. */
export async function startKpis(base: Base): Promise<Served> {
  // A connection of its own, as the customer model's: a report must not hold up profile reads or health checks.
  const deps = { read: createReportReader(await ownClickHouse(base)), database: base.config.CLICKHOUSE_DATABASE };
  return {
    routes: async (app) => {
      await app.register(kpiRoutes, deps);
    },
  };
}
