import type { FastifyInstance } from 'fastify';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { identityRules } from '../../identity/identity-rules.js';
import { installationHasher } from '../../identity/installation-hasher.js';
import { createProfileStore, type ProfileStore } from '../../identity/profile-store.js';
import { identityRebuilder } from '../../identity/rebuild.js';
import { createResolver } from '../../identity/resolver.js';
import type { SuppressionHasher } from '../../identity/suppression-hash.js';
import { migrateSuppression } from '../../identity/suppression-migration.js';
import { createEnqueuer, type Enqueuer } from '../../ingest/enqueue.js';
import { followKeyChanges } from '../auth/key-changes.js';
import { createKeyStore, type KeyStore } from '../auth/key-store.js';
import { createJobRunner, type JobRunner } from '../../segments/jobs/job-runner.js';
import { startJobScheduler } from '../../segments/jobs/job-scheduler.js';
import { createAudienceStore, type AudienceStore } from '../../segments/audience/audience-store.js';
import { createDestinationStore } from '../../segments/destinations/destination-store.js';
import { startWebhookDelivery, type WebhookDelivery } from '../../segments/destinations/webhook-dispatcher.js';
import { createMembershipRunner, type MembershipRunner } from '../../segments/membership/membership-runner.js';
import { createSegmentSchedules, startMembershipWorker } from '../../segments/membership/membership-scheduler.js';
import type { SegmentRouteDeps } from '../../segments/segment-routes.js';
import { createSegmentStore } from '../../segments/segment-store.js';
import { isEmbedded, type ClickHouseClient } from '../clickhouse/client.js';
import type { Config, Role } from '../core/config.js';
import { createDashboardReader, type DashboardReader } from '../dashboard/reader.js';
import { buildHttpServer } from './http-server.js';
import { createLoadQueue, type LoadQueue } from '../redis/load-queue.js';
import { startLoadWorker } from '../load/load-worker.js';
import { createLoader, type Loader } from '../load/loader.js';
import type { Logger } from '../core/logger.js';
import { createMessageDedupe } from '../load/message-dedupe.js';
import { createMetrics, type Metrics } from '../core/metrics.js';
import { migrate } from '../clickhouse/migrations.js';
import { ensurePrivateDir } from '../core/private-dir.js';
import { closeRedis, redisFor, resolveRedis, type RedisTarget } from '../redis/connection.js';
import { localAdminKey } from '../auth/local-admin-key.js';
import { openClickHouse } from '../clickhouse/open-clickhouse.js';
import { removeServerInfo, writeServerInfo } from '../core/server-info.js';
import { createSqlRunner, type SqlRunner } from '../clickhouse/sql-runner.js';

export interface Product {
  config: Config;
  roles: Role[];
  app: FastifyInstance;
  /** Base URL of the HTTP server. */
  url: string;
  metrics: Metrics;
  keys: KeyStore;
  redis: RedisTarget;
  queue?: LoadQueue;
  /** Segment membership runs, where this process holds ClickHouse. */
  membership?: MembershipRunner;
  /** Webhook destinations' deliveries, where this process holds ClickHouse (the worker runs with the scheduler role). */
  webhooks?: WebhookDelivery;
  /** Graceful stop: stop accepting, finish in-flight requests and batches, close connections. */
  stop(): Promise<void>;
}

function waitReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Redis did not become ready within 15 s')), 15000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Starts the roles of one process. `api`: the tracking API (needs Redis only). `workers`: loaders from the
 * queue into ClickHouse. `scheduler`: the scheduled SQL jobs (orders, RFM, churn). Every process serves
 * /health, /ready and /metrics. With embedded ClickHouse only one process may hold the data folder, so an
 * api-only process does not open it.
 */
export async function startProduct(config: Config, roles: Role[], log: Logger): Promise<Product> {
  ensurePrivateDir(config.dataDir, log);
  const metrics = createMetrics();
  const redis = await resolveRedis(config, log, { onRestart: (result) => metrics.privateRedisRestarts.inc({ result }) });
  // `redisGone`: Redis cannot be reached, so a closer must not wait on it (nothing there can be finalised).
  const closers: ((redisGone: boolean) => Promise<unknown>)[] = [];
  let redisReachable = () => true;
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      try {
        await close(!redisReachable());
      } catch (err) {
        log.warn({ err }, 'error while closing');
      }
    }
  };
  if (redis.local?.owned) closers.push(() => redis.local!.stop());

  try {
    const usesClickHouse = roles.includes('workers') || roles.includes('scheduler') || !isEmbedded(config);
    let admin: ClickHouseClient | undefined;
    let sql: SqlRunner | undefined;
    if (usesClickHouse) {
      admin = await openClickHouse(config);
      closers.push(() => admin!.close());
      await migrate(admin, config.CLICKHOUSE_DATABASE, log);
      sql = await createSqlRunner(config);
      closers.push(() => sql!.close());
    }

    const appRedis = redisFor(redis, 'producer', log);
    closers.push(() => closeRedis(appRedis));
    // What /health reports; while any of it is wrong, closing does not wait on Redis.
    const vitals: Record<string, () => string | undefined> = {
      redis: () => (appRedis.status === 'ready' ? undefined : `no connection to Redis (${appRedis.status})`),
    };
    const local = redis.local;
    if (local?.owned) {
      vitals.privateRedis = () => (local.state === 'running' ? undefined : `the private redis-server is ${local.state} (restarts so far: ${local.restarts})`);
    }
    redisReachable = () => Object.values(vitals).every((vital) => vital() === undefined);
    await waitReady(appRedis);
    const keys = createKeyStore(appRedis, config);
    await keys.registerLocalCli(localAdminKey(config.dataDir));
    const keyChanges = await followKeyChanges(redisFor(redis, 'worker', log), keys.forgetCached, log);
    closers.push(() => keyChanges.close());
    // Deleted customers' identifiers are kept as hashes keyed with the installation secret; where this
    // process resolves or deletes, entries of the earlier unkeyed form are converted before any load.
    let hasher: SuppressionHasher | undefined;
    if (admin) {
      hasher = await installationHasher(config, appRedis);
      await migrateSuppression({ clickhouse: admin, redis: appRedis, database: config.CLICKHOUSE_DATABASE, prefix: config.QUEUE_PREFIX, hasher, log });
    }

    let queue: LoadQueue | undefined;
    let enqueuer: Enqueuer | undefined;
    if (roles.includes('api')) {
      queue = createLoadQueue(appRedis, config);
      queue.on('error', (err) => log.warn({ err: err.message }, 'queue error'));
      closers.push(() => queue!.close());
      enqueuer = createEnqueuer(queue, metrics, {
        maxGroupEvents: config.INGEST_GROUP_MAX_EVENTS,
        timeoutMs: config.INGEST_ENQUEUE_TIMEOUT_MS,
        maxQueueDepth: config.INGEST_MAX_QUEUE_DEPTH,
      });
    }

    let worker: Worker | undefined;
    let loader: Loader | undefined;
    if (roles.includes('workers')) {
      const loaderClickHouse = await openClickHouse(config);
      closers.push(() => loaderClickHouse.close());
      const workerRedis = redisFor(redis, 'worker', log);
      closers.push(() => closeRedis(workerRedis));
      loader = createLoader({
        clickhouse: loaderClickHouse,
        database: config.CLICKHOUSE_DATABASE,
        dedupe: createMessageDedupe(workerRedis, config.QUEUE_PREFIX, config.DEDUPE_WINDOW_SECONDS),
        // A workers process always holds ClickHouse, so its hasher is there.
        resolver: createResolver(workerRedis, config.QUEUE_PREFIX, config.IDENTITY_LIMITS, hasher!),
        identityRules: identityRules(config),
        metrics,
        log: log.child({ role: 'workers' }),
        maxRows: config.LOAD_BATCH_MAX_ROWS,
        maxWaitMs: config.LOAD_BATCH_MAX_WAIT_MS,
        maxJobs: config.WORKER_CONCURRENCY,
        failpoints: config.failpoints,
      });
      worker = startLoadWorker(workerRedis, config, loader, log.child({ role: 'workers' }));
    }
    // Job runs get a connection of their own: a long job must not hold up health checks or the profile API.
    let jobs: JobRunner | undefined;
    let jobsClickHouse: ClickHouseClient | undefined;
    if (admin) {
      jobsClickHouse = await openClickHouse(config);
      closers.push(() => jobsClickHouse!.close());
      jobs = createJobRunner({ clickhouse: jobsClickHouse, config, log: log.child({ role: 'jobs' }), metrics });
    }
    // The audience API and webhook deliveries read on a connection of their own: an export reads page after
    // page and must not hold up health checks or profile reads.
    const destinations = createDestinationStore(appRedis, config.QUEUE_PREFIX);
    let audience: AudienceStore | undefined;
    let webhooks: WebhookDelivery | undefined;
    if (admin) {
      const audienceClickHouse = await openClickHouse(config);
      closers.push(() => audienceClickHouse.close());
      audience = createAudienceStore(audienceClickHouse, config.CLICKHOUSE_DATABASE);
      let workerConnection: Redis | undefined;
      if (roles.includes('scheduler')) {
        workerConnection = redisFor(redis, 'worker', log);
        closers.push(() => closeRedis(workerConnection!));
      }
      const delivery = startWebhookDelivery({ connection: appRedis, workerConnection, clickhouse: audienceClickHouse, destinations, config, log: log.child({ role: 'webhooks' }), metrics });
      closers.push((redisGone) => delivery.close(redisGone));
      webhooks = delivery;
    }
    let segments: SegmentRouteDeps | undefined;
    let membership: MembershipRunner | undefined;
    if (admin && jobsClickHouse && sql) {
      const analystSql = await createSqlRunner(config, {
        maxExecutionSeconds: config.SEGMENT_SQL_MAX_EXECUTION_SECONDS,
        maxMemoryBytes: config.SEGMENT_SQL_MAX_MEMORY_BYTES,
        maxResultRows: config.SEGMENT_SQL_MAX_ROWS,
      });
      closers.push(() => analystSql.close());
      const store = createSegmentStore({ clickhouse: admin, database: config.CLICKHOUSE_DATABASE, analystSql });
      membership = createMembershipRunner({
        clickhouse: jobsClickHouse,
        analystSql,
        store,
        config,
        log: log.child({ role: 'segments' }),
        metrics,
        // The deliveries exist before the scheduler below can commit a run, so no run goes unannounced.
        onSegmentRun: webhooks?.onSegmentRun,
      });
      const schedules = createSegmentSchedules(appRedis, config);
      closers.push(() => schedules.close());
      segments = { keys, config, store, runner: membership, schedules, clickhouse: admin, sql, analystSql };
    }
    if (roles.includes('scheduler') && jobs) {
      const schedulerRedis = redisFor(redis, 'worker', log);
      closers.push(() => closeRedis(schedulerRedis));
      const scheduler = await startJobScheduler(schedulerRedis, config, jobs, log.child({ role: 'scheduler' }));
      closers.push((redisGone) => scheduler.close(redisGone));
      if (segments && membership) {
        await segments.schedules.reconcile(await segments.store.list());
        const membershipWorker = startMembershipWorker(schedulerRedis, config, membership, segments.schedules, log.child({ role: 'scheduler' }));
        closers.push((redisGone) => membershipWorker.close(redisGone));
      }
    }

    const checks: Record<string, () => Promise<unknown>> = { redis: () => appRedis.ping() };
    if (admin) checks.clickhouse = () => admin!.query({ query: 'SELECT 1' });
    let profiles: ProfileStore | undefined;
    if (admin && hasher) {
      // A deletion clears the customer's events from load jobs not yet loaded, through a queue of its own
      // where this process does not run the api role.
      let deletionQueue = queue;
      if (!deletionQueue) {
        const own = createLoadQueue(appRedis, config);
        own.on('error', (err) => log.warn({ err: err.message }, 'queue error'));
        closers.push(() => own.close());
        deletionQueue = own;
      }
      profiles = createProfileStore(admin, appRedis, config.CLICKHOUSE_DATABASE, config.QUEUE_PREFIX, {
        hasher,
        rules: identityRules(config),
        queue: deletionQueue,
        // A dead worker's job is given up after its lock ran out and the next stalled check.
        activeWaitMs: config.WORKER_LOCK_DURATION_MS + config.WORKER_STALLED_INTERVAL_MS,
        log: log.child({ role: 'profiles' }),
      });
    }
    const rebuildIdentity = admin && hasher ? identityRebuilder(config, admin, appRedis, queue, hasher) : undefined;
    // The dashboard reads on a connection of its own: a page load must not hold up health checks or profile reads.
    let dashboardReader: DashboardReader | undefined;
    if (admin) {
      const dashboardClickHouse = await openClickHouse(config);
      closers.push(() => dashboardClickHouse.close());
      dashboardReader = createDashboardReader(dashboardClickHouse);
    }
    const app = await buildHttpServer({ config, log, metrics, keys, enqueuer, sql, profiles, rebuildIdentity, jobs, segments, checks, dashboardReader, audience, destinations, webhooks, vitals });
    const address = await app.listen({ port: config.PORT, host: config.HOST });
    const url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
    // The CLI finds the process that can answer its queries here (in split mode, the one holding ClickHouse).
    if (sql) writeServerInfo(config.dataDir, { pid: process.pid, url });
    log.info({ url, roles, redis: redis.local ? `private (${redis.local.socket})` : 'REDIS_URL', clickhouse: isEmbedded(config) ? 'embedded (chDB)' : 'CLICKHOUSE_URL' }, 'cdp started');

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
        await enqueuer?.close();
        if (worker) {
          const closing = worker.close(!redisReachable());
          await loader!.drain();
          await closing;
        }
        if (sql) removeServerInfo(config.dataDir);
        await closeAll();
        log.info('stopped');
      })());
    return { config, roles, app, url, metrics, keys, redis, queue, membership, webhooks, stop };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
