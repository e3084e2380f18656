import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from '../pipeline/core/logger.js';
import { QUEUE_NAMES, queuePrefix } from '../pipeline/redis/key-names.js';
import type { JourneyJobs, StepJob } from './journey-queue.js';
import { boundedWorkerClose } from '../pipeline/redis/worker-close.js';

/** What the engine's worker does with each job of the journeys queue. */
export interface JourneyJobHandlers {
  step(job: Job<StepJob>): Promise<void>;
  timeout(job: Job<StepJob>): Promise<void>;
  events(job: Job<JourneyJobs['events']>): Promise<void>;
  segment(job: Job<JourneyJobs['segment']>): Promise<void>;
  lifecycle(job: Job<JourneyJobs['lifecycle']>): Promise<void>;
  date(job: Job<JourneyJobs['date']>): Promise<void>;
}

/** The worker of the journeys queue. */
export function startJourneyWorker(connection: ConnectionOptions, prefix: string, concurrency: number, handlers: JourneyJobHandlers, log: Logger) {
  const worker = new Worker(
    QUEUE_NAMES.journeys,
    async (job) => {
      const handle = handlers[job.name as keyof JourneyJobHandlers] as ((job: Job) => Promise<void>) | undefined;
      if (!handle) throw new Error(`unknown journeys job ${job.name}`);
      await handle(job);
    },
    { connection, prefix: queuePrefix(prefix, QUEUE_NAMES.journeys), concurrency },
  );
  worker.on('failed', (job, err) => log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'journey job failed'));
  worker.on('error', (err) => log.warn({ err: err.message }, 'journeys worker error'));
  return { close: boundedWorkerClose(worker, log) };
}
