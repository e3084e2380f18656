import { LOAD_JOB_NAME, type LoadJobData } from '../pipeline/core/load-job.js';
import type { LoadQueue } from '../pipeline/redis/load-queue.js';
import type { Metrics } from '../pipeline/core/metrics.js';
import { QueueUnavailableError } from './errors/queue-unavailable-error.js';
import { UnserializableEventsError } from './errors/unserializable-events-error.js';
import { createGroupCommit, type GroupCommit } from './group-commit.js';

/**
 * A failed queue write caused by the data rather than by Redis: JSON.stringify throws RangeError (too deep,
 * too long) or TypeError (cycles, BigInt); Redis and its connection fail with other errors.
 */
const isSerializationError = (err: unknown) => err instanceof RangeError || err instanceof TypeError;

// Job states that are work the loader can progress now. Delayed jobs (failed attempts backing off) and the
// dead letters are not: were they counted, a few poisoned requests could hold ingestion at 503 for hours.
const PROGRESSING_STATES = ['waiting', 'prioritized'] as const;

export interface Enqueuer {
  /** Resolves once the events and rejections are in Redis; rejects with QueueUnavailableError or UnserializableEventsError. */
  enqueue(part: LoadJobData): Promise<void>;
  /** True while the queue is deeper than its bound (sampled, not per request). */
  readonly overloaded: boolean;
  /**
   * True while a queue write has waited longer than `shedAfterMs` for Redis to confirm it: the process (or its
   * Redis) is behind, and a request read now would most likely be answered 503 after the timeout anyway.
   */
  readonly shedding: boolean;
  close(): Promise<void>;
}

export interface EnqueuerOptions {
  maxGroupEvents: number;
  timeoutMs: number;
  maxQueueDepth: number;
  /** See Enqueuer.shedding; 0: never. */
  shedAfterMs: number;
  depthSampleMs?: number;
}

/**
 * The API's only write path: group commit into one BullMQ job per group. The 200 a client gets means
 * the job is in Redis (AOF), so nothing acknowledged can be lost by a crash of this process.
 */
export function createEnqueuer(queue: LoadQueue, metrics: Metrics, opts: EnqueuerOptions): Enqueuer {
  const group: GroupCommit<LoadJobData> = createGroupCommit<LoadJobData>({
    weight: (part) => part.events.length + part.rejected.length,
    maxWeight: opts.maxGroupEvents,
    maxInFlight: 4,
    isItemFault: isSerializationError,
    async write(parts) {
      const data: LoadJobData = parts.length === 1 ? parts[0]! : { events: parts.flatMap((p) => p.events), rejected: parts.flatMap((p) => p.rejected) };
      await queue.add(LOAD_JOB_NAME, data);
      metrics.groupCommitEvents.observe(data.events.length + data.rejected.length);
    },
  });

  let overloaded = false;
  const sample = async () => {
    try {
      const counts = await queue.getJobCounts(...PROGRESSING_STATES, 'active', 'delayed', 'failed');
      for (const [state, n] of Object.entries(counts)) metrics.queueJobs.set({ state }, n);
      overloaded = PROGRESSING_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0) > opts.maxQueueDepth;
    } catch {
      // Redis unreachable: writes fail on their own and answer 503; nothing to decide here.
    }
  };
  const timer = setInterval(sample, opts.depthSampleMs ?? 1000);
  timer.unref();
  void sample();

  return {
    get overloaded() {
      return overloaded;
    },
    get shedding() {
      return opts.shedAfterMs > 0 && group.oldestWaitMs() > opts.shedAfterMs;
    },
    enqueue(part) {
      let timeout: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timeout = setTimeout(() => reject(new QueueUnavailableError(`the queue did not confirm the write within ${opts.timeoutMs} ms`, 'timeout')), opts.timeoutMs);
      });
      const written = group.submit(part).catch((err: unknown) => {
        if (isSerializationError(err)) throw new UnserializableEventsError({ cause: err });
        throw new QueueUnavailableError(`the queue is unreachable: ${(err as Error).message}`, 'unreachable', { cause: err });
      });
      return Promise.race([written, timedOut]).finally(() => clearTimeout(timeout));
    },
    async close() {
      clearInterval(timer);
      await group.drain();
    },
  };
}
