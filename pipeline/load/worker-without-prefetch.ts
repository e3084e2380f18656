import { Worker, type Job } from 'bullmq';

/**
 * A BullMQ Worker that does not take its next job in the call completing the last one; its main loop fetches
 * each job itself (moveToActive), one Redis call more per job.
 *
 * Why: BullMQ 6.7's RedisQueueBackend.moveToFinished tests its answer with `result < 0`, and when the answer
 * carries the next job that comparison turns the whole job, its data included, into one string. For a load
 * job of 500 events that is 2 to 4 ms of the main thread and a quarter-megabyte of garbage per job (measured
 * with --cpu-prof on the pipeline bench: a tenth of the loader's main thread).
 */
export class WorkerWithoutPrefetch<Data, Result = unknown, Name extends string = string> extends Worker<Data, Result, Name> {
  override processJob(job: Job<Data, Result, Name>, token: string): ReturnType<Worker<Data, Result, Name>['processJob']> {
    return super.processJob(job, token, () => false);
  }
}
