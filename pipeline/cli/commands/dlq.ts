import type { Config } from '../../core/config.js';
import { createLoadQueue } from '../../redis/load-queue.js';
import { withRedis } from './with-redis.js';

/** `cdp dlq list`: the load jobs that used up their retries, with why they failed. */
export async function dlqListCommand(config: Config): Promise<string> {
  return withRedis(config, async (redis) => {
    const queue = createLoadQueue(redis, config);
    try {
      const jobs = await queue.getFailed(0, -1);
      const rows = jobs.map((job) => ({
        id: job.id,
        events: job.data.events.length,
        rejected: job.data.rejected.length,
        attempts: job.attemptsMade,
        failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
        reason: job.failedReason,
      }));
      return JSON.stringify({ count: rows.length, jobs: rows }, null, 2);
    } finally {
      await queue.close();
    }
  });
}

/**
 * `cdp dlq replay [--id ID]`: puts dead-lettered jobs back in the queue with fresh attempts. Their attempt
 * history is kept, so the loader checks their rows against ClickHouse and loads each event once.
 */
export async function dlqReplayCommand(config: Config, id?: string): Promise<string> {
  return withRedis(config, async (redis) => {
    const queue = createLoadQueue(redis, config);
    try {
      const jobs = id ? [await queue.getJob(id)].filter((j) => j !== undefined) : await queue.getFailed(0, -1);
      if (id && jobs.length === 0) throw new Error(`no job with id ${id}`);
      let replayed = 0;
      for (const job of jobs) {
        if ((await job.getState()) !== 'failed') continue;
        await job.retry('failed', { resetAttemptsMade: true });
        replayed++;
      }
      return JSON.stringify({ replayed });
    } finally {
      await queue.close();
    }
  });
}
