import { customerModelRoutes } from '../../../segments/customer-model/customer-model-routes.js';
import { createReportReader } from '../../../segments/customer-model/report-reader.js';
import { ownClickHouse, type Base, type Served } from './base.js';

/** The customer model's read-outs: `/v1/lifecycle`, `/v1/lifecycle/transitions`, `/v1/value-tiers`. */
export async function startCustomerModel(base: Base): Promise<Served> {
  // A connection of its own: a report reads whole snapshots and must not hold up profile reads or health checks.
  const read = createReportReader(await ownClickHouse(base));
  const deps = { read, database: base.config.CLICKHOUSE_DATABASE, timeZone: base.config.SEGMENTS_TIME_ZONE };
  return {
    routes: async (app) => {
      await app.register(customerModelRoutes, deps);
    },
  };
}
