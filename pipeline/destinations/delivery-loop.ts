import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { postOutbound, type OutboundAnswer } from '../../segments/destinations/outbound-post.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { eventDestinationQueue, queuePrefix, type DestinationKeys } from '../redis/key-names.js';
import type { LuaScript } from '../redis/lua-script.js';
import type { DeliveryRecords } from './delivery-records.js';
import { deliveryRequest } from './delivery-request.js';
import { deliveryStateWriter } from './delivery-state.js';
import type { DestinationMetrics } from './destination-metrics.js';
import type { EventDestinationWithSecret } from './event-destination.js';
import type { EventDestinationStore } from './event-destination-store.js';
import type { EventJobData, EventQueue } from './event-queue.js';
import { retryAfterMs, retryDelay, verdictOf } from './retry-policy.js';
import type { RedisClient } from '../redis/connection.js';

export type DeliveryConfig = Pick<
  Config,
  'QUEUE_PREFIX' | 'WORKER_LOCK_DURATION_MS' | 'WORKER_STALLED_INTERVAL_MS' | 'DESTINATIONS_ALLOW_PRIVATE' | 'DESTINATION_TIMEOUT_MS' | 'DESTINATION_RETRY_BASE_MS' | 'DESTINATION_RETRY_MAX_DELAY_MS' | 'DESTINATION_RETRY_FOR_MS'
>;

export interface DeliveryLoopDeps {
  destinationId: string;
  /** The worker's blocking connection. */
  workerConnection: RedisClient;
  destinations: EventDestinationStore;
  /** The destination's queue: jobs are read again before each attempt (a deletion may have edited them). */
  queue: EventQueue;
  keys: DestinationKeys;
  holdLease: LuaScript<number>;
  releaseLease: LuaScript<number>;
  config: DeliveryConfig;
  metrics: DestinationMetrics;
  records: DeliveryRecords;
  log: Logger;
}

export interface DeliveryLoop {
  /**
   * Stops after the request in flight: the jobs it holds go back to the front of the queue, in order, and the
   * lease is given up, so the next process delivers them at once. (A process that dies leaves them to the
   * stalled-job check and the lease to its expiry, as does a stop with Redis gone: `redisGone` waits on nothing.)
   */
  stop(redisGone?: boolean): Promise<void>;
}

type EventJob = Job<EventJobData>;

const IDLE_MS = 250;

/**
 * Delivers one event destination's queue in order, one batch in flight: it holds the destination's lease (one
 * process at a time), takes jobs in queue order into a batch of at most batch_size events, waiting up to
 * max_wait_ms from the first job's queuing for more, and sends the batch until the receiver accepts it, retrying
 * with backoff for DESTINATION_RETRY_FOR_MS. Nothing behind it goes out meanwhile: the destination's order holds.
 */
export function startDeliveryLoop(deps: DeliveryLoopDeps): DeliveryLoop {
  const { destinationId: id, config, metrics, log } = deps;
  const token = randomUUID();
  const state = deliveryStateWriter(deps.workerConnection, deps.keys.deliveryState(id));
  // The dashboard's account of the deliveries: never a reason for one to fail.
  const tell = (update: Promise<void>) => void update.catch((err: Error) => log.warn({ destinationId: id, err: err.message }, 'destination state not written'));
  // As the load workers' locks (a dead process's jobs are taken up again after about as long), but longer than
  // a request can take, or a live delivery would be taken for a stalled one.
  const lockMs = Math.max(config.WORKER_LOCK_DURATION_MS, 3 * config.DESTINATION_TIMEOUT_MS);
  // The lease lasts as long: a process that died hands its destinations over once its jobs come back.
  const leaseMs = lockMs;
  const worker = new Worker<EventJobData>(eventDestinationQueue(id), null, {
    connection: deps.workerConnection,
    prefix: queuePrefix(config.QUEUE_PREFIX, eventDestinationQueue(id)),
    lockDuration: lockMs,
    stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
    // A job whose holder died goes back to wait however often that happens; it is never dead-lettered for it.
    maxStalledCount: 1_000_000,
    drainDelay: 1,
  });
  worker.on('error', (err) => log.warn({ destinationId: id, err: err.message }, 'destination worker error'));
  const stopping = new AbortController();
  /** Jobs taken from the queue and not yet delivered or dead-lettered, in order. */
  let held: EventJob[] = [];
  let stalledCheck = false;

  const wait = (ms: number) => sleep(ms, undefined, { signal: stopping.signal }).catch(() => undefined);
  const keepLocks = setInterval(() => {
    for (const job of held) void job.extendLock(token, lockMs).catch(() => undefined);
    void deps.holdLease([deps.keys.deliveryLease(id)], [token, leaseMs]).catch(() => undefined);
  }, lockMs / 3);

  const take = async (block: boolean): Promise<EventJob | undefined> => (await worker.getNextJob(token, { block })) ?? undefined;

  /** The jobs of the next delivery, taken from `held` first, then from the queue. */
  async function nextBatch(d: EventDestinationWithSecret): Promise<EventJob[]> {
    if (held.length === 0) {
      const first = await take(true);
      if (!first) return [];
      held.push(first);
    }
    const first = held[0]!;
    const batch = [first];
    const size = (jobs: EventJob[]) => jobs.reduce((n, j) => n + j.data.events.length, 0);
    // A delivery attempted before (taken up again after a stop, or replayed) keeps its jobs and its id.
    const recorded = first.data.delivery_id;
    const deadline = first.timestamp + d.max_wait_ms;
    for (let i = 1; ; i++) {
      if (recorded !== undefined && batch.length >= (first.data.delivery_jobs ?? 1)) break;
      let next = held[i];
      if (!next) {
        next = await take(false);
        if (next) held.push(next);
      }
      if (next) {
        if (recorded !== undefined ? next.data.delivery_id !== recorded : next.data.delivery_id !== undefined || size(batch) + next.data.events.length > d.batch_size) break;
        batch.push(next);
        if (recorded === undefined && size(batch) >= d.batch_size) break;
        continue;
      }
      if (recorded !== undefined || Date.now() >= deadline || stopping.signal.aborted) break;
      await wait(Math.min(50, deadline - Date.now()));
      i--;
    }
    return batch;
  }

  const release = (jobs: EventJob[]) => {
    held = held.filter((j) => !jobs.includes(j));
  };

  async function deadLetter(d: EventDestinationWithSecret, jobs: EventJob[], deliveryId: string, reason: string): Promise<void> {
    for (const job of jobs) {
      await job.updateData({ ...job.data, delivery_id: deliveryId, ...(job === jobs[0] ? { delivery_jobs: jobs.length } : {}) });
      await job.moveToFailed(new UnrecoverableError(reason), token, false);
    }
    release(jobs);
    metrics.events.inc({ destination: d.id, outcome: 'dead_letter' }, jobs.reduce((n, j) => n + j.data.events.length, 0));
  }

  /** Sends one batch until it is delivered, dead-lettered or the destination goes away. */
  async function deliver(jobs: EventJob[]): Promise<void> {
    const first = jobs[0]!;
    const deliveryId = first.data.delivery_id ?? `${id}.${first.id}`;
    if (first.data.delivery_id === undefined) await first.updateData({ ...first.data, delivery_id: deliveryId, delivery_jobs: jobs.length });
    let events = jobs.flatMap((j) => j.data.events);
    const firstAttempt = Date.now();
    let attempts = 0;
    const record = (status: 'delivered' | 'dead_letter' | 'gone', httpStatus: number, error: string) =>
      deps.records.add({ delivery_id: deliveryId, destination_id: id, events: events.length, status, http_status: httpStatus, attempts, first_attempt_at: firstAttempt, delivered_at: status === 'delivered' ? Date.now() : null, error });
    for (;;) {
      const d = await deps.destinations.get(id);
      // Deleted: its queue goes with it.
      if (!d || stopping.signal.aborted) return;
      if (d.paused || d.disabled_at !== null) {
        await wait(IDLE_MS);
        continue;
      }
      if (attempts > 0) {
        // A customer deleted while this delivery waited is taken out of it (pipeline/destinations/destination-redaction.ts).
        events = (await Promise.all(jobs.map((j) => deps.queue.getJob(j.id!)))).flatMap((j) => j?.data.events ?? []);
      }
      if (events.length === 0) {
        for (const job of jobs) await job.moveToCompleted('nothing left to deliver', token, false).catch(() => undefined);
        release(jobs);
        return;
      }
      attempts++;
      const request = deliveryRequest(d, deliveryId, events.map((e) => e.body));
      let answer: OutboundAnswer | undefined;
      let failure = '';
      try {
        answer = await postOutbound(request.url, { headers: request.headers, body: request.body, timeoutMs: config.DESTINATION_TIMEOUT_MS, guarded: d.guarded && !config.DESTINATIONS_ALLOW_PRIVATE });
      } catch (err) {
        failure = (err as Error).message;
      }
      const status = answer?.status;
      const verdict = verdictOf(status);
      const why = answer ? `HTTP ${status}: ${answer.bodyStart.slice(0, 300)}` : failure;
      if (verdict === 'delivered') {
        for (const job of jobs) await job.moveToCompleted('delivered', token, false);
        release(jobs);
        metrics.events.inc({ destination: id, outcome: 'delivered' }, events.length);
        const now = Date.now();
        for (const e of events) metrics.latency.observe({ destination: id }, (now - e.r) / 1000);
        record('delivered', status!, '');
        tell(state.delivered());
        return;
      }
      if (verdict === 'gone') {
        await deps.destinations.disable(id, `delivery ${deliveryId} answered 410 Gone`);
        log.warn({ destinationId: id, deliveryId }, 'event destination answered 410 Gone; disabled');
        await deadLetter(d, jobs, deliveryId, why);
        record('gone', 410, why);
        tell(state.failed(why, false));
        return;
      }
      if (verdict === 'retry' && Date.now() - firstAttempt < config.DESTINATION_RETRY_FOR_MS) {
        metrics.events.inc({ destination: id, outcome: 'retried' }, events.length);
        tell(state.failed(why, true));
        const delay = retryDelay(attempts, config.DESTINATION_RETRY_BASE_MS, config.DESTINATION_RETRY_MAX_DELAY_MS, retryAfterMs(answer?.retryAfter));
        log.warn({ destinationId: id, deliveryId, attempts, delayMs: delay, err: why }, 'event delivery failed; will retry');
        await wait(delay);
        continue;
      }
      log.error({ destinationId: id, deliveryId, attempts, err: why }, 'event delivery dead-lettered');
      await deadLetter(d, jobs, deliveryId, why);
      record('dead_letter', status ?? 0, why);
      tell(state.failed(why, false));
      return;
    }
  }

  const running = (async () => {
    while (!stopping.signal.aborted) {
      try {
        if ((await deps.holdLease([deps.keys.deliveryLease(id)], [token, leaseMs])) !== 1) {
          await wait(1000);
          continue;
        }
        if (!stalledCheck) {
          stalledCheck = true;
          void worker.startStalledCheckTimer();
        }
        const d = await deps.destinations.get(id);
        if (!d) return;
        if (d.paused || d.disabled_at !== null) {
          await wait(IDLE_MS);
          continue;
        }
        const batch = await nextBatch(d);
        if (batch.length > 0) await deliver(batch);
      } catch (err) {
        if (stopping.signal.aborted) return;
        log.error({ destinationId: id, err: (err as Error).message }, 'destination delivery loop error');
        await wait(1000);
      }
    }
  })();

  return {
    async stop(redisGone = false) {
      stopping.abort();
      if (redisGone) {
        clearInterval(keepLocks);
        await worker.close(true).catch(() => undefined);
        return;
      }
      await running;
      clearInterval(keepLocks);
      // Pushed to the front one by one from the last, so the first held is taken first again.
      for (const job of [...held].reverse()) await job.moveToWait(token).catch((err: Error) => log.warn({ destinationId: id, jobId: job.id, err: err.message }, 'held job not put back; the stalled check will'));
      held = [];
      await deps.releaseLease([deps.keys.deliveryLease(id)], [token]).catch(() => undefined);
      await worker.close(true);
    },
  };
}
