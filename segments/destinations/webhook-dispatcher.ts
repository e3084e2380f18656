import { Worker } from 'bullmq';
import { Counter } from 'prom-client';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import type { Config } from '../../pipeline/core/config.js';
import type { Logger } from '../../pipeline/core/logger.js';
import type { Metrics } from '../../pipeline/core/metrics.js';
import { QUEUE_NAMES, queuePrefix } from '../../pipeline/redis/key-names.js';
import type { DestinationStore } from './destination-store.js';
import { DestinationGoneError } from './errors/destination-gone-error.js';
import { committedRunsSql } from '../membership/committed-run.js';
import type { SegmentRunCommitted } from '../membership/membership-runner.js';
import { listDeadLetters, replayDeadLetters, type DeadLetter } from './webhook-dead-letters.js';
import { deliverWebhook } from './webhook-delivery.js';
import { createWebhookQueue, deliveryId, type WebhookJobData } from './webhook-queue.js';
import type { RedisClient } from '../../pipeline/redis/connection.js';
import { boundedWorkerClose } from '../../pipeline/redis/worker-close.js';

export interface WebhookDelivery {
  /**
   * Queues the deliveries of every committed run of the segment that a destination has not had queued yet,
   * up to `run.seq` (so a call that failed, or was never made, is caught up by the next one). Idempotent.
   */
  onSegmentRun(run: SegmentRunCommitted): Promise<void>;
  deadLetters(destinationId?: string): Promise<DeadLetter[]>;
  replay(filter: { destinationId?: string; deliveryId?: string }): Promise<{ replayed: number; skipped: number }>;
  /** `force`: Redis is gone, so do not wait for deliveries in flight (their locks expire and they are retried). */
  close(force?: boolean): Promise<void>;
}

export type WebhookConfig = Pick<
  Config,
  'QUEUE_PREFIX' | 'CLICKHOUSE_DATABASE' | 'WEBHOOK_ATTEMPTS' | 'WEBHOOK_BACKOFF_MS' | 'WEBHOOK_BATCH_SIZE' | 'WEBHOOK_TIMEOUT_MS' | 'WEBHOOK_CONCURRENCY' | 'DESTINATIONS_ALLOW_PRIVATE'
>;

export interface WebhookDeliveryDeps {
  /** Queue writes (a producer connection). */
  connection: RedisClient;
  /** Set in processes that deliver (the scheduler role): the worker's blocking connection. */
  workerConnection?: RedisClient;
  clickhouse: ClickHouseClient;
  destinations: DestinationStore;
  config: WebhookConfig;
  log: Logger;
  metrics: Metrics;
}

const ADD_CHUNK = 1000;

/**
 * Webhook destinations' delivery: one BullMQ job per batch of a run's changes per destination, with the
 * delivery id as job id. The enqueue side works in any process that reaches ClickHouse; the worker runs
 * only where `workerConnection` is given.
 */
export function startWebhookDelivery(deps: WebhookDeliveryDeps): WebhookDelivery {
  const { config, log } = deps;
  const db = config.CLICKHOUSE_DATABASE;
  const queue = createWebhookQueue(deps.connection, config);
  queue.on('error', (err) => log.warn({ err: err.message }, 'webhook queue error'));
  const outcomes = new Counter({
    name: 'cdp_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered, retried, dead_lettered, gone (410, destination disabled), skipped (destination deleted or disabled)',
    labelNames: ['outcome'] as const,
    registers: [deps.metrics.registry],
  });

  let closeWorker: ((force?: boolean) => Promise<void>) | undefined;
  if (deps.workerConnection) {
    const deliveryDeps = { clickhouse: deps.clickhouse, database: db, destinations: deps.destinations, timeoutMs: config.WEBHOOK_TIMEOUT_MS, allowPrivate: config.DESTINATIONS_ALLOW_PRIVATE, outcomes, log };
    const worker = new Worker<WebhookJobData>(QUEUE_NAMES.webhooks, (job) => deliverWebhook(job, deliveryDeps), {
      connection: deps.workerConnection,
      prefix: queuePrefix(config.QUEUE_PREFIX, QUEUE_NAMES.webhooks),
      concurrency: config.WEBHOOK_CONCURRENCY,
      // The lock must outlive the slowest request, or a live delivery would be taken for a stalled one.
      lockDuration: Math.max(30_000, 3 * config.WEBHOOK_TIMEOUT_MS),
    });
    worker.on('failed', (job, err) => {
      if (!job || err instanceof DestinationGoneError) return;
      const last = job.attemptsMade >= (job.opts.attempts ?? 1);
      outcomes.inc({ outcome: last ? 'dead_lettered' : 'retried' });
      log[last ? 'error' : 'warn']({ deliveryId: job.id, attemptsMade: job.attemptsMade, err: err.message }, last ? 'webhook delivery dead-lettered' : 'webhook delivery failed; will retry');
    });
    worker.on('error', (err) => log.error({ err }, 'webhook worker error'));
    closeWorker = boundedWorkerClose(worker, log);
  }

  /** Committed runs of the segment in (from, to] that have changes. */
  async function runsWithChanges(segmentId: string, from: number, to: number) {
    const result = await deps.clickhouse.query({
      query: `SELECT r.seq AS seq, toUnixTimestamp64Milli(r.as_of) AS as_of_ms
              FROM (${committedRunsSql(db, '{segment:String}', 'seq > {from:UInt64} AND seq <= {to:UInt64}')}) AS r
              INNER JOIN (SELECT seq, count() AS n FROM ${db}.segment_changes
                    WHERE segment_id = {segment:String} AND seq > {from:UInt64} AND seq <= {to:UInt64} GROUP BY seq) AS c ON c.seq = r.seq
              ORDER BY seq`,
      query_params: { segment: segmentId, from, to },
      format: 'JSONEachRow',
    });
    return (await result.json<{ seq: string; as_of_ms: string }>()).map((r) => ({ seq: Number(r.seq), asOf: Number(r.as_of_ms) }));
  }

  /**
   * A run's delivery batches, read once when the run is queued: how many, and the last profile id of each full
   * one (changes go out in profile id order).
   */
  async function batchBounds(segmentId: string, seq: number, size: number): Promise<{ count: number; ends: string[] }> {
    const result = await deps.clickhouse.query({
      query: `SELECT profile_id, n, total FROM (
                SELECT profile_id, row_number() OVER (ORDER BY profile_id) AS n, count() OVER () AS total FROM ${db}.segment_changes
                WHERE segment_id = {segment:String} AND seq = {seq:UInt64})
              WHERE n % {size:UInt32} = 0 OR n = total ORDER BY n`,
      query_params: { segment: segmentId, seq, size },
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ profile_id: string; n: string; total: string }>();
    const total = Number(rows[0]?.total ?? 0);
    return { count: Math.ceil(total / size), ends: rows.filter((r) => Number(r.n) % size === 0).map((r) => r.profile_id) };
  }

  return {
    async onSegmentRun(run) {
      const destinations = (await deps.destinations.forSegment(run.segmentId)).filter((d) => d.enqueued_seq < run.seq);
      if (destinations.length === 0) return;
      const runs = await runsWithChanges(run.segmentId, Math.min(...destinations.map((d) => d.enqueued_seq)), run.seq);
      const batchSize = config.WEBHOOK_BATCH_SIZE;
      for (const destination of destinations) {
        const jobs: { name: string; data: WebhookJobData; opts: { jobId: string } }[] = [];
        for (const r of runs.filter((r) => r.seq > destination.enqueued_seq)) {
          const { count, ends } = await batchBounds(run.segmentId, r.seq, batchSize);
          for (let batch = 0; batch < count; batch++) {
            const id = deliveryId(destination.id, r.seq, batch);
            const bounds = { after: batch === 0 ? '' : ends[batch - 1]!, ...(ends[batch] === undefined ? {} : { upto: ends[batch] }) };
            jobs.push({ name: 'deliver', data: { destination_id: destination.id, segment_id: run.segmentId, seq: r.seq, as_of: r.asOf, batch, batch_size: batchSize, ...bounds }, opts: { jobId: id } });
          }
        }
        // An existing job id is left as it is, so adding a run twice never delivers it twice.
        for (let i = 0; i < jobs.length; i += ADD_CHUNK) await queue.addBulk(jobs.slice(i, i + ADD_CHUNK));
        await deps.destinations.markEnqueued(destination.id, run.seq);
        log.info({ destinationId: destination.id, segmentId: run.segmentId, seq: run.seq, deliveries: jobs.length }, 'webhook deliveries queued');
      }
    },
    deadLetters: (destinationId) => listDeadLetters(queue, destinationId),
    replay: (filter) => replayDeadLetters(queue, deps.destinations, filter),
    async close(force = false) {
      await closeWorker?.(force);
      await queue.close();
    },
  };
}
