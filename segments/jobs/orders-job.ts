import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { runJobSql } from './job-sql.js';
import type { JobDefinition } from './jobs.js';

/** sql/jobs/orders.sql: orders minus refunds, per order, under the surviving profile. */
export const ordersJob: JobDefinition = {
  dependsOn: [],
  table: 'orders',
  async run({ clickhouse, database }, asOf) {
    await runJobSql(clickhouse, 'orders', database, { as_of: chTime(asOf) });
    return {};
  },
};
