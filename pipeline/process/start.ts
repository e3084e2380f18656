import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { KeyStore } from '../auth/key-store.js';
import { routeScopes } from '../auth/route-scopes.js';
import { isEmbedded } from '../clickhouse/client.js';
import type { Config, Role } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { createMetrics, type Metrics } from '../core/metrics.js';
import { ensurePrivateDir } from '../core/private-dir.js';
import { removeServerInfo, writeServerInfo } from '../core/server-info.js';
import { dashboardPageRoutes } from '../dashboard/dashboard-page-routes.js';
import { redactDestinationQueues } from '../destinations/destination-redaction.js';
import { closeRedis, resolveRedis, type RedisTarget } from '../redis/connection.js';
import { redisKeyNames } from '../redis/key-names.js';
import { ensureTagPerOwner } from '../redis/key-layout-migration.js';
import { createLoadQueue, type LoadQueue } from '../redis/load-queue.js';
import type { PlanCache } from '../../ingest/tracking-plans/plan-cache.js';
import type { MembershipRunner } from '../../segments/membership/membership-runner.js';
import type { WebhookDelivery } from '../../segments/destinations/webhook-dispatcher.js';
import type { AlertEvaluator } from '../../segments/alerts/alert-evaluator.js';
import { forgetFrequencyCounts } from '../../journeys/messages/frequency-cap.js';
import type { MessageSender } from '../../journeys/messages/message-sender.js';
import { readSurvivor } from '../../identity/surviving-profile.js';
import type { LoadedEvent } from '../load/load-batch.js';
import { startAlerts } from './capabilities/alerts.js';
import { startAudienceAndWebhooks } from './capabilities/audience-webhooks.js';
import type { Base, Closer } from './capabilities/base.js';
import { holdClickHouse } from './capabilities/clickhouse-held.js';
import { startComputedTraits } from './capabilities/computed-traits.js';
import { startCustomerModel } from './capabilities/customer-model.js';
import { startKpis } from './capabilities/kpis.js';
import { startMessageLinks } from './capabilities/message-links.js';
import { startMessages } from './capabilities/messages.js';
import { startDashboard } from './capabilities/dashboard.js';
import { startEventDestinations } from './capabilities/event-destinations.js';
import { startJobs } from './capabilities/jobs.js';
import { openJourneys, startJourneys } from './capabilities/journeys.js';
import { startKeys } from './capabilities/keys.js';
import { startLoadWorkers } from './capabilities/load-workers.js';
import { startProfiles } from './capabilities/profiles.js';
import { startLoyalty } from './capabilities/loyalty.js';
import { startRecommendations } from './capabilities/recommendations.js';
import { startSegments } from './capabilities/segments.js';
import { openSharedRedis, waitReady } from './capabilities/shared-redis.js';
import { startTrackingApi } from './capabilities/tracking-api.js';
import { startTrackingPlanReports } from './capabilities/tracking-plan-reports.js';
import { startTrackingPlans } from './capabilities/tracking-plans.js';
import { apiDocs } from './api-docs.js';
import { healthRoutes } from './health-routes.js';
import { createHttpServer } from './http-server.js';
import { noClickHouseFallback } from './no-clickhouse-fallback.js';
import { processPlan } from './process-plan.js';

export interface Product {
  config: Config;
  roles: Role[];
  app: FastifyInstance;
  /** Base URL of the HTTP server. */
  url: string;
  metrics: Metrics;
  keys: KeyStore;
  redis: RedisTarget;
  /** The load queue (tracking writes to it, workers read it, deletions clear events from it). */
  queue: LoadQueue;
  /** Segment membership runs, where this process holds ClickHouse. */
  membership?: MembershipRunner;
  /** The tracking plans as this process's tracking API applies them, where it runs the tracking API. */
  trackingPlans?: PlanCache;
  /** Webhook destinations' deliveries, where this process holds ClickHouse (the worker runs with the scheduler role). */
  webhooks?: WebhookDelivery;
  /** The alerts' evaluation of a minute, where this process holds ClickHouse (run every minute with the scheduler role). */
  alerts?: AlertEvaluator;
  /** What journeys send messages through, where this process holds ClickHouse. */
  messages?: MessageSender;
  /** Graceful stop: stop accepting, finish in-flight requests and batches, close connections. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** What sends the journeys' messages; the product's own (journeys/messages/) unless a test hands another. */
  messageSender?: MessageSender;
}

/**
 * Starts the roles of one process: the capabilities process-plan.ts chooses for them, each bringing its routes
 * and handing its clean-up to the HTTP server's close. Fastify closes in reverse order: first it stops
 * accepting and lets in-flight requests finish, then the capabilities close from the last started to the
 * first. They are started so that this order drains: the tracking API's group commits reach the queue, then
 * the load workers finish their batch, then the rest, the shared Redis connection and the private Redis last.
 * A failure during start-up closes, the same way, whatever was opened.
 */
export async function startProduct(config: Config, roles: Role[], log: Logger, opts: StartOptions = {}): Promise<Product> {
  ensurePrivateDir(config.dataDir, log);
  const metrics = createMetrics();
  const redis = await resolveRedis(config, log, { onRestart: (result) => metrics.privateRedisRestarts.inc({ result }) });
  const plan = processPlan(roles, config);
  const app = createHttpServer(config, log);
  // Until the shared connection is open there is nothing that could wait on Redis.
  let redisReachable = () => true;
  const onClose = (close: Closer) => {
    app.addHook('onClose', async () => {
      try {
        await close(!redisReachable());
      } catch (err) {
        log.warn({ err }, 'error while closing');
      }
    });
  };
  const local = redis.local;
  if (local?.owned) onClose(() => local.stop());
  let serverInfoWritten = false;

  try {
    const shared = openSharedRedis(redis, log);
    onClose(() => closeRedis(shared.appRedis));
    redisReachable = shared.reachable;
    await waitReady(shared.appRedis);
    // Before anything reads or writes a key: keys named before each owner had its hash tag are moved.
    await ensureTagPerOwner(shared.appRedis, config.QUEUE_PREFIX, log);
    const base: Base = { config, log, metrics, redis, appRedis: shared.appRedis, redisKeys: redisKeyNames(config.QUEUE_PREFIX), onClose };
    const checks: Record<string, () => Promise<unknown>> = { redis: () => shared.appRedis.ping() };
    const routes: FastifyPluginAsync[] = [dashboardPageRoutes];

    const { keys, routes: keyRoutes } = await startKeys(base);
    routes.push(keyRoutes);
    const queue = createLoadQueue(shared.appRedis, config);
    queue.on('error', (err) => log.warn({ err: err.message }, 'queue error'));
    onClose(() => queue.close());

    // In this order for the close (see above): the load workers after the rest, the tracking API last.
    let membership: MembershipRunner | undefined;
    let webhooks: WebhookDelivery | undefined;
    let alerts: AlertEvaluator | undefined;
    let messages: MessageSender | undefined;
    let survivorOf: ((profileId: string) => Promise<string>) | undefined;
    // Links in messages start with PUBLIC_URL, or else this process's own address, known once it listens.
    let listening = '';
    const publicUrl = () => config.PUBLIC_URL ?? listening;
    if (plan.clickhouse) {
      const { scheduling, loadWorkers } = plan.clickhouse;
      const held = await holdClickHouse(base);
      checks.clickhouse = () => held.admin.query({ query: 'SELECT 1' });
      // Written once listening (below), so that the CLI finds the process that can answer its queries.
      onClose(async () => {
        if (serverInfoWritten) removeServerInfo(config.dataDir);
      });
      // The journeys' hooks first: jobs, segments and the loader hand their committed runs and loaded events to them.
      const journeyHooks = openJourneys(base);
      const jobs = await startJobs(base, { scheduling, onJobRun: journeyHooks.onJobRun });
      const audience = await startAudienceAndWebhooks(base, { scheduling });
      const destinations = await startEventDestinations(base, { destinations: audience.destinations, audience: audience.audience, webhooks: audience.webhooks, loadWorkers });
      const segments = await startSegments(base, { held, jobsClickHouse: jobs.clickhouse, webhooks: audience.webhooks, scheduling, onSegmentRun: journeyHooks.onSegmentRun });
      const computedTraits = startComputedTraits(base, { held });
      // The journeys start last, after the messages they send through; a deletion reaches them through this.
      let forgetJourneys: ((profiles: string[]) => Promise<number>) | undefined;
      const profiles = startProfiles(base, {
        held,
        queue,
        outgoing: (ids) => redactDestinationQueues(destinations.events, destinations.queues, ids),
        journeys: async (ids) => (forgetJourneys ? forgetJourneys(ids) : 0),
        forget: (ids) => forgetFrequencyCounts(base.appRedis, base.redisKeys.messages, ids),
      });
      const dashboard = await startDashboard(base, { held, profiles: profiles.profiles, events: destinations.events, queues: destinations.queues });
      const trackingPlans = await startTrackingPlans(base, { held });
      const planReports = await startTrackingPlanReports(base);
      const customerModel = await startCustomerModel(base);
      const kpis = await startKpis(base);
      const alerting = await startAlerts(base, { queue, scheduling, destinations });
      const recommendations = startRecommendations(base, { held });
      const loyalty = startLoyalty(base, { held, queue });
      const messaging = await startMessages(base, { profiles: profiles.profiles, events: destinations.events, queues: destinations.queues, publicUrl });
      const journeys = await startJourneys(base, {
        hooks: journeyHooks,
        held,
        sender: opts.messageSender ?? messaging.sender,
        segmentExists: async (id) => (await segments.store.get(id)) !== undefined,
        destinations: destinations.events,
        loadWorkers,
      });
      forgetJourneys = journeys.forget;
      routes.push(jobs.routes, audience.routes, destinations.routes, segments.routes, journeys.routes, computedTraits.routes, profiles.routes, dashboard.routes, trackingPlans.routes, planReports.routes, customerModel.routes, kpis.routes, alerting.routes, recommendations.routes, loyalty.routes, messaging.routes);
      ({ membership } = segments);
      ({ alerts } = alerting);
      ({ webhooks } = audience);
      messages = messaging.sender;
      survivorOf = (profileId) => readSurvivor(held.admin, config.CLICKHOUSE_DATABASE, profileId);
      // The loaded events go to the event destinations, then to the journeys.
      const fanOut = async (events: LoadedEvent[]) => {
        await destinations.fanOut?.(events);
        await journeyHooks.fanOut(events);
      };
      if (loadWorkers) await startLoadWorkers(base, { hasher: held.hasher, fanOut });
    } else {
      routes.push(async (instance) => {
        await instance.register(noClickHouseFallback);
      });
    }
    routes.push(startMessageLinks(base, { queue, publicUrl, survivorOf }).routes);
    let trackingPlans: PlanCache | undefined;
    if (plan.trackingApi) {
      const tracking = await startTrackingApi(base, { keys, queue });
      routes.push(tracking.routes);
      trackingPlans = tracking.plans;
    }
    routes.push(async (instance) => {
      await instance.register(healthRoutes, { metrics, checks, vitals: shared.vitals });
    });

    // Before any route: each route's key scope (one rule, pipeline/auth/route-scopes.ts), and the API reference,
    // which collects the routes as they are added.
    app.addHook('onRoute', routeScopes(keys));
    await app.register(apiDocs);
    for (const plugin of routes) await app.register(plugin);
    const address = await app.listen({ port: config.PORT, host: config.HOST });
    const url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
    listening = url;
    if (plan.clickhouse) {
      writeServerInfo(config.dataDir, { pid: process.pid, url });
      serverInfoWritten = true;
    }
    log.info({ url, roles, redis: redis.local ? `private (${redis.local.socket})` : redis.clusterNodes ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL', clickhouse: isEmbedded(config) ? 'embedded (chDB)' : 'CLICKHOUSE_URL' }, 'cdp started');

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        log.info('shutting down: no new requests; finishing in-flight requests and batches');
        // From here on a Redis that dies is not restarted and a lost connection is not re-established: what
        // waits on Redis fails at once (its jobs are taken up again on the next start) instead of holding
        // up the stop until SHUTDOWN_TIMEOUT_MS.
        await redis.local?.endSupervision();
        redis.letGo();
        await app.close();
        log.info('stopped');
      })());
    return { config, roles, app, url, metrics, keys, redis, queue, membership, trackingPlans, webhooks, alerts, messages, stop };
  } catch (err) {
    await app.close();
    throw err;
  }
}
