import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Enqueuer } from '../../ingest/enqueue.js';
import type { KeyStore } from '../../ingest/key-store.js';
import { trackingRoutes } from '../../ingest/tracking-routes.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { SqlRunner } from '../sql-runner.js';
import { profileRoutes } from '../../identity/profile-routes.js';
import type { ProfileStore } from '../../identity/profile-store.js';
import { identityAdminRoutes } from '../../identity/identity-admin-routes.js';
import type { RebuildSummary } from '../../identity/rebuild.js';
import type { JobRunner } from '../../segments/jobs/job-runner.js';
import { jobRoutes } from '../../segments/jobs/job-routes.js';
import type { DashboardReader } from '../dashboard/reader.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { healthRoutes } from './health-routes.js';
import { sqlRoute } from './sql-route.js';

export interface HttpServerDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  keys: KeyStore;
  /** Present when this process runs the api role. */
  enqueuer?: Enqueuer;
  /** Present when this process can reach ClickHouse. */
  sql?: SqlRunner;
  profiles?: ProfileStore;
  rebuildIdentity?: () => Promise<RebuildSummary>;
  jobs?: JobRunner;
  /** Dashboard reads (their own ClickHouse connection); present when this process can reach ClickHouse. */
  dashboardReader?: DashboardReader;
  checks: Record<string, () => Promise<unknown>>;
}

/** The HTTP face of a process: tracking routes for the api role; health, metrics and SQL for every role. */
export async function buildHttpServer(deps: HttpServerDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !config.LOG_REQUESTS }),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Behind a load balancer the client address is in X-Forwarded-For; context.ip is taken from it.
    trustProxy: true,
    bodyLimit: config.INGEST_MAX_BATCH_BYTES,
    // Graceful shutdown: requests arriving while closing get 503, in-flight ones finish.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  await app.register(healthRoutes, { metrics: deps.metrics, checks: deps.checks });
  await app.register(sqlRoute, { keys: deps.keys, sql: deps.sql });
  await app.register(profileRoutes, { keys: deps.keys, profiles: deps.profiles });
  await app.register(identityAdminRoutes, { keys: deps.keys, rebuild: deps.rebuildIdentity });
  await app.register(jobRoutes, { keys: deps.keys, jobs: deps.jobs });
  await app.register(dashboardRoutes, { keys: deps.keys, metrics: deps.metrics, database: config.CLICKHOUSE_DATABASE, read: deps.dashboardReader, profiles: deps.profiles });
  if (deps.enqueuer) {
    await app.register(trackingRoutes, {
      keys: deps.keys,
      enqueuer: deps.enqueuer,
      metrics: deps.metrics,
      retryAfterSeconds: config.INGEST_RETRY_AFTER_SECONDS,
      limits: {
        maxEventBytes: config.INGEST_MAX_EVENT_BYTES,
        maxBatchBytes: config.INGEST_MAX_BATCH_BYTES,
        maxBatchEvents: config.INGEST_MAX_BATCH_EVENTS,
        maxCorrectionMs: config.CLOCK_SKEW_MAX_CORRECTION_MS,
      },
    });
  }
  return app;
}
