import type { Worker } from 'bullmq';
import type { Logger } from '../core/logger.js';

/** How long a stopping worker with no job in flight may take to let go of Redis before the stop moves on. */
export const IDLE_WORKER_CLOSE_LIMIT_MS = 5_000;

/**
 * The close of a BullMQ worker for the stop: graceful (the jobs in flight finish) unless Redis is gone, as
 * `worker.close(force)`; but once no job of this worker is in flight, bounded by `idleLimitMs`, after which the
 * worker's connections are dropped and the stop goes on.
 *
 * Why: after a Redis Cluster master is killed and restarted, BullMQ 6.7 resets a worker's blocking connection
 * (its fetch watchdog) and that reset on ioredis 6's Cluster can stay unsettled for good (seen in about 1 run in
 * 6 of the cluster test, on a different queue each time). Its close then waits for that fetch forever, and
 * behind it the closing of ClickHouse and Redis; a process would sit out SHUTDOWN_TIMEOUT_MS and exit without them.
 */
export function boundedWorkerClose(worker: Worker, log: Logger, idleLimitMs = IDLE_WORKER_CLOSE_LIMIT_MS): (force?: boolean) => Promise<void> {
  // By id, not a count: the stalled check also reports as failed jobs that another worker held.
  const inFlight = new Set<string>();
  let idleSince = Date.now();
  const done = (id: string | undefined) => {
    if (id !== undefined && inFlight.delete(id) && inFlight.size === 0) idleSince = Date.now();
  };
  worker.on('active', (job) => inFlight.add(job.id!));
  worker.on('completed', (job) => done(job.id));
  worker.on('failed', (job) => done(job?.id));
  return async (force = false) => {
    let closed = false;
    const closing = worker.close(force).finally(() => {
      closed = true;
    });
    // The limit counts from the moment the last job in flight finished (or the close began, if none was).
    for (let wait = idleLimitMs; ; ) {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, wait);
      });
      await Promise.race([closing.catch(() => undefined), waited]);
      clearTimeout(timer);
      if (closed) return closing;
      const idleFor = Date.now() - idleSince;
      if (inFlight.size === 0 && idleFor >= idleLimitMs) break;
      wait = inFlight.size === 0 ? idleLimitMs - idleFor : idleLimitMs;
    }
    log.warn({ queue: worker.name, waitedMs: idleLimitMs }, 'worker did not let go of Redis with no job in flight; dropping its connections');
    worker.disconnect().catch((err: Error) => log.warn({ queue: worker.name, err: err.message }, 'worker connections not dropped'));
  };
}
