import { rmSync } from 'node:fs';
import { Job, Queue, Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest';
import { WorkerWithoutPrefetch } from '../../pipeline/load/worker-without-prefetch.js';
import { provisionLocalRedis, type LocalRedis } from '../../pipeline/redis/local-redis.js';
import { tempDir } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// The load worker completes a job without taking the next one in the same call (pipeline/load/worker-without-prefetch.ts),
// and still works through the whole queue, against a real redis-server. A plain BullMQ Worker, beside it, does
// take the next job on completion: what the class turns off.

const dataDir = tempDir('cdp-prefetch-');
let server: LocalRedis;

beforeAll(async () => {
  server = await provisionLocalRedis({ dataDir, bin: process.env.REDIS_SERVER_BIN ?? 'redis-server', maxmemory: '64mb', appendfsync: 'everysec' });
});

afterEach(() => vi.restoreAllMocks());

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function drain(kind: 'without prefetch' | 'plain', name: string): Promise<{ processed: string[]; fetchNext: boolean[] }> {
  const connection = { path: server.socket };
  const queue = new Queue(name, { connection });
  const jobs = Array.from({ length: 12 }, (_, i) => ({ name: 'load', data: { i, events: 'x'.repeat(1000) } }));
  await queue.addBulk(jobs);
  const fetchNext: boolean[] = [];
  const moveToCompleted = Job.prototype.moveToCompleted;
  vi.spyOn(Job.prototype, 'moveToCompleted').mockImplementation(function (this: Job, returnValue, token, next) {
    fetchNext.push(next ?? true);
    return moveToCompleted.call(this, returnValue, token, next);
  });
  const processed: string[] = [];
  const processor = async (job: Job) => {
    processed.push(String(job.data.i));
  };
  const worker = kind === 'plain' ? new Worker(name, processor, { connection, concurrency: 2 }) : new WorkerWithoutPrefetch(name, processor, { connection, concurrency: 2 });
  try {
    await waitFor(`${jobs.length} jobs completed`, async () => (await queue.getCompletedCount()) === jobs.length, 20_000);
  } finally {
    await worker.close();
    await queue.close();
  }
  return { processed: processed.sort((a, b) => Number(a) - Number(b)), fetchNext };
}

test('every job is processed once, and none is completed with the next one fetched in the same call', async () => {
  const { processed, fetchNext } = await drain('without prefetch', 'prefetch-off');
  expect(processed).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
  expect(fetchNext).toHaveLength(12);
  expect(fetchNext.every((next) => next === false)).toBe(true);
});

test('a plain BullMQ Worker fetches the next job as it completes one (the cost the class avoids)', async () => {
  const { processed, fetchNext } = await drain('plain', 'prefetch-on');
  expect(processed).toHaveLength(12);
  expect(fetchNext.some((next) => next === true)).toBe(true);
});
