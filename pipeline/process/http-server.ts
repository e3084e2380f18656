import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Enqueuer } from '../../ingest/enqueue.js';
import type { KeyStore } from '../auth/key-store.js';
import { keyRoutes } from '../auth/key-routes.js';
import { routeScopes } from '../auth/route-scopes.js';
import { useRouteSchemas } from '../core/route-schemas.js';
import { trackingRoutes } from '../../ingest/tracking-routes.js';
import { longTrackingUrl } from '../../ingest/short-paths.js';
import { snippetRoutes } from '../../ingest/snippet-routes.js';
import { trackingLimits } from '../../ingest/tracking-limits.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { SqlRunner } from '../clickhouse/sql-runner.js';
import { profileRoutes } from '../../identity/profile-routes.js';
import type { ProfileStore } from '../../identity/profile-store.js';
import { identityAdminRoutes } from '../../identity/identity-admin-routes.js';
import { identityRules } from '../../identity/identity-rules.js';
import type { RebuildSummary } from '../../identity/rebuild.js';
import type { JobRunner } from '../../segments/jobs/job-runner.js';
import { jobRoutes } from '../../segments/jobs/job-routes.js';
import { audienceExportRoute } from '../../segments/audience/audience-export-route.js';
import { audienceRoutes } from '../../segments/audience/audience-routes.js';
import type { AudienceStore } from '../../segments/audience/audience-store.js';
import { destinationRoutes } from '../../segments/destinations/destination-routes.js';
import type { DestinationStore } from '../../segments/destinations/destination-store.js';
import type { WebhookDelivery } from '../../segments/destinations/webhook-dispatcher.js';
import { segmentRoutes, type SegmentRouteDeps } from '../../segments/segment-routes.js';
import type { DashboardReader } from '../dashboard/reader.js';
import { dashboardRoutes } from '../dashboard/dashboard-routes.js';
import { apiDocs } from './api-docs.js';
import { errorReply } from './error-handler.js';
import { healthRoutes, type HealthDeps } from './health-routes.js';
import { sqlRoute } from '../dashboard/sql-console-route.js';

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
  /** Segment definitions and runs; present when this process holds ClickHouse. */
  segments?: SegmentRouteDeps;
  /** Dashboard reads (their own ClickHouse connection); present when this process can reach ClickHouse. */
  dashboardReader?: DashboardReader;
  /** Segment audiences (members, changes, export); present when this process holds ClickHouse. */
  audience?: AudienceStore;
  destinations: DestinationStore;
  webhooks?: WebhookDelivery;
  checks: Record<string, () => Promise<unknown>>;
  vitals: HealthDeps['vitals'];
}

/** The HTTP face of a process: tracking routes for the api role; health, metrics and SQL for every role. */
export async function buildHttpServer(deps: HttpServerDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !config.LOG_REQUESTS }),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // X-Forwarded-For names the client only when it comes from a proxy we trust (TRUST_PROXY): from
    // anyone else it is whatever the client chose to write there.
    trustProxy: config.TRUST_PROXY,
    bodyLimit: config.INGEST_MAX_BATCH_BYTES,
    // Graceful shutdown: requests arriving while closing get 503, in-flight ones finish.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Segment's one-letter tracking paths (/v1/t, /v1/b, ...) are routed as the long ones.
    rewriteUrl: (req) => longTrackingUrl(req.url ?? '/'),
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // The routes' conventions, before any route: zod schemas, the one error handler, each route's key scope,
  // and the API reference (it collects the routes as they are added).
  useRouteSchemas(app);
  app.setErrorHandler(errorReply);
  app.addHook('onRoute', routeScopes(deps.keys));
  await app.register(apiDocs);

  await app.register(healthRoutes, { metrics: deps.metrics, checks: deps.checks, vitals: deps.vitals });
  await app.register(sqlRoute, { keys: deps.keys, sql: deps.sql });
  await app.register(profileRoutes, { keys: deps.keys, profiles: deps.profiles });
  await app.register(identityAdminRoutes, { keys: deps.keys, rebuild: deps.rebuildIdentity });
  await app.register(jobRoutes, { keys: deps.keys, jobs: deps.jobs });
  if (deps.segments) await app.register(segmentRoutes, deps.segments);
  const audience = { keys: deps.keys, audience: deps.audience, hashedTraitKeys: { emailKeys: config.IDENTITY_EMAIL_KEYS, phoneKeys: config.IDENTITY_PHONE_KEYS } };
  await app.register(audienceRoutes, audience);
  await app.register(audienceExportRoute, audience);
  await app.register(destinationRoutes, { keys: deps.keys, destinations: deps.destinations, audience: deps.audience, webhooks: deps.webhooks });
  await app.register(keyRoutes, { keys: deps.keys });
  await app.register(dashboardRoutes, { keys: deps.keys, metrics: deps.metrics, database: config.CLICKHOUSE_DATABASE, read: deps.dashboardReader, profiles: deps.profiles });
  if (deps.enqueuer) {
    await app.register(snippetRoutes);
    await app.register(trackingRoutes, {
      keys: deps.keys,
      enqueuer: deps.enqueuer,
      metrics: deps.metrics,
      retryAfterSeconds: config.INGEST_RETRY_AFTER_SECONDS,
      limits: trackingLimits(config),
    });
  }
  return app;
}
