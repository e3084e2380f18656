import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Config } from '../../pipeline/core/config.js';
import type { Logger } from '../../pipeline/core/logger.js';
import { QUEUE_NAMES, queuePrefix } from '../../pipeline/redis/key-names.js';
import { SegmentNotFoundError } from '../errors/segment-not-found-error.js';
import type { Segment } from '../segment-store.js';
import type { MembershipRunner } from './membership-runner.js';
import { boundedWorkerClose } from '../../pipeline/redis/worker-close.js';

const schedulerId = (segmentId: string) => `segment:${segmentId}`;

export interface SegmentSchedules {
  /** Creates or moves the segment's schedule (every_minutes, else SEGMENTS_EVERY_MINUTES). */
  upsert(segment: Segment): Promise<void>;
  remove(segmentId: string): Promise<void>;
  /** Makes the schedules match the stored segments (after a restore, or edits made while Redis was away). */
  reconcile(segments: Segment[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * One BullMQ Job Scheduler per segment on the `segments` queue. Upserting is idempotent, so every process
 * that saves segments may do it; the worker that runs them lives in the scheduler role.
 */
export function createSegmentSchedules(connection: ConnectionOptions, config: Config): SegmentSchedules {
  const queue = new Queue(QUEUE_NAMES.segments, { connection, prefix: queuePrefix(config.QUEUE_PREFIX, QUEUE_NAMES.segments) });
  const upsert = async (segment: Segment) => {
    await queue.upsertJobScheduler(
      schedulerId(segment.id),
      { every: (segment.every_minutes ?? config.SEGMENTS_EVERY_MINUTES) * 60_000 },
      { name: 'membership', data: { segmentId: segment.id }, opts: { removeOnComplete: 100, removeOnFail: 1000 } },
    );
  };
  const remove = async (segmentId: string) => {
    await queue.removeJobScheduler(schedulerId(segmentId));
  };
  return {
    upsert,
    remove,
    async reconcile(segments) {
      const wanted = new Set(segments.map((s) => schedulerId(s.id)));
      for (const s of segments) await upsert(s);
      for (const existing of await queue.getJobSchedulers()) {
        if (existing.key && !wanted.has(existing.key) && existing.key.startsWith('segment:')) await queue.removeJobScheduler(existing.key);
      }
    },
    close: () => queue.close(),
  };
}

/** The worker running scheduled membership jobs, one at a time, as of the moment each starts. */
export function startMembershipWorker(connection: ConnectionOptions, config: Config, runner: MembershipRunner, schedules: SegmentSchedules, log: Logger) {
  const worker = new Worker(
    QUEUE_NAMES.segments,
    async (job) => {
      const { segmentId } = job.data as { segmentId: string };
      try {
        return await runner.run(segmentId, Date.now());
      } catch (err) {
        // A segment deleted elsewhere leaves its schedule behind until reconciled; drop it now.
        if (err instanceof SegmentNotFoundError) {
          await schedules.remove(segmentId);
          return { removed: segmentId };
        }
        throw err;
      }
    },
    { connection, prefix: queuePrefix(config.QUEUE_PREFIX, QUEUE_NAMES.segments), concurrency: 1, lockDuration: 10 * 60 * 1000 },
  );
  worker.on('failed', (job, err) => log.error({ jobId: job?.id, err: err.message }, 'segment membership run failed'));
  // `force`: Redis is gone, so do not wait for the running job (its lock expires and it runs again).
  return { close: boundedWorkerClose(worker, log) };
}
