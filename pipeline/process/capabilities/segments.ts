import type { ClickHouseClient } from '../../clickhouse/client.js';
import { createSqlRunner } from '../../clickhouse/sql-runner.js';
import type { WebhookDelivery } from '../../../segments/destinations/webhook-dispatcher.js';
import { createMembershipRunner, type MembershipRunner } from '../../../segments/membership/membership-runner.js';
import { createSegmentSchedules, startMembershipWorker } from '../../../segments/membership/membership-scheduler.js';
import { segmentRoutes } from '../../../segments/segment-routes.js';
import { createSegmentStore, type SegmentStore } from '../../../segments/segment-store.js';
import type { SegmentRunCommitted } from '../../../segments/membership/membership-runner.js';
import { ownRedis, type Base, type Served } from './base.js';
import type { HeldClickHouse } from './clickhouse-held.js';

/**
 * Segments and their membership: definitions (`/v1/segments`), runs on demand, and with `scheduling` the
 * worker that runs each segment on its schedule. A committed run is announced to the webhook deliveries and
 * to `onSegmentRun` (the journeys' segment entries).
 */
export async function startSegments(
  base: Base,
  deps: { held: HeldClickHouse; jobsClickHouse: ClickHouseClient; webhooks: WebhookDelivery; scheduling: boolean; onSegmentRun?: (run: SegmentRunCommitted) => Promise<void> },
): Promise<Served & { membership: MembershipRunner; store: SegmentStore }> {
  const { config, log } = base;
  // Analyst SQL segments run read-only (readonly = 1) within limits of their own.
  const analystSql = await createSqlRunner(config, {
    maxExecutionSeconds: config.SEGMENT_SQL_MAX_EXECUTION_SECONDS,
    maxMemoryBytes: config.SEGMENT_SQL_MAX_MEMORY_BYTES,
    maxResultRows: config.SEGMENT_SQL_MAX_ROWS,
  });
  base.onClose(() => analystSql.close());
  const store = createSegmentStore({ clickhouse: deps.held.admin, database: config.CLICKHOUSE_DATABASE, analystSql });
  const membership = createMembershipRunner({
    clickhouse: deps.jobsClickHouse,
    analystSql,
    store,
    config,
    log: log.child({ role: 'segments' }),
    metrics: base.metrics,
    // Each told on its own: a failure to hand the run to one does not keep it from the other.
    onSegmentRun: async (run) => {
      const told = await Promise.allSettled([deps.webhooks.onSegmentRun(run), deps.onSegmentRun?.(run)]);
      const failed = told.find((t): t is PromiseRejectedResult => t.status === 'rejected');
      if (failed) throw failed.reason;
    },
  });
  const schedules = createSegmentSchedules(base.appRedis, config);
  base.onClose(() => schedules.close());
  if (deps.scheduling) {
    await schedules.reconcile(await store.list());
    const worker = startMembershipWorker(ownRedis(base, 'worker'), config, membership, schedules, log.child({ role: 'scheduler' }));
    base.onClose((redisGone) => worker.close(redisGone));
  }
  const routeDeps = { config, store, runner: membership, schedules, clickhouse: deps.held.admin, sql: deps.held.sql, analystSql };
  return {
    membership,
    store,
    routes: async (app) => {
      await app.register(segmentRoutes, routeDeps);
    },
  };
}
