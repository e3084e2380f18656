import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker, type Job } from 'bullmq';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { provisionLocalRedis, type LocalRedis } from '../../pipeline/redis/local-redis.js';
import { boundedWorkerClose } from '../../pipeline/redis/worker-close.js';
import { tempDir } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// The stop's close of a BullMQ worker (pipeline/redis/worker-close.ts), against a real redis-server: it waits for
// the jobs in flight as worker.close() does, and once none is in flight it does not wait longer than its limit for
// a close that never settles (the worker whose blocking connection did not come back from a cluster failover).

const dataDir = tempDir('cdp-worker-close-');
let server: LocalRedis;

beforeAll(async () => {
  server = await provisionLocalRedis({ dataDir, bin: process.env.REDIS_SERVER_BIN ?? 'redis-server', maxmemory: '64mb', appendfsync: 'everysec' });
});

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function logged() {
  const lines: { msg: string; queue?: string }[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

test('a job in flight finishes before the close returns, however long it takes beside the limit', async () => {
  const connection = { path: server.socket };
  const queue = new Queue('close-in-flight', { connection });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const worker = new Worker('close-in-flight', async (job: Job) => {
    await gate;
    return `done ${job.id}`;
  }, { connection });
  const { log, lines } = logged();
  const close = boundedWorkerClose(worker, log, 100);
  try {
    const job = await queue.add('slow', {}, { jobId: 'slow-1' });
    await waitFor('the job is active', async () => (await queue.getActiveCount()) === 1, 10_000);
    let returned = false;
    const closing = close().then(() => {
      returned = true;
    });
    // Many times the limit, so that a close bounded while a job is in flight would have returned by now.
    await sleep(1_000);
    release();
    await closing;
    expect(returned).toBe(true);
    expect(await job.getState()).toBe('completed');
    expect((await queue.getJob('slow-1'))?.returnvalue).toBe('done slow-1');
    expect(lines.filter((l) => /did not let go/.test(l.msg))).toEqual([]);
  } finally {
    release();
    await queue.close();
  }
});

test('an idle worker whose close never settles is let go after the limit, its connections dropped', async () => {
  const connection = { path: server.socket };
  const worker = new Worker('close-stuck', async () => 'never', { connection });
  await worker.waitUntilReady();
  // The close of a worker whose blocking fetch never returns (what the cluster failover leaves behind).
  const realClose = worker.close.bind(worker);
  worker.close = () => new Promise<void>(() => {});
  let disconnected = false;
  const realDisconnect = worker.disconnect.bind(worker);
  worker.disconnect = async () => {
    disconnected = true;
    await realDisconnect();
  };
  const { log, lines } = logged();
  try {
    await boundedWorkerClose(worker, log, 50)();
    expect(disconnected).toBe(true);
    expect(lines.filter((l) => /did not let go/.test(l.msg)).map((l) => l.queue)).toEqual(['close-stuck']);
  } finally {
    await realClose(true);
  }
});

test('a close that settles returns at once, with nothing logged', async () => {
  const connection = { path: server.socket };
  const worker = new Worker('close-plain', async () => 'ok', { connection });
  await worker.waitUntilReady();
  const { log, lines } = logged();
  await boundedWorkerClose(worker, log, 60_000)();
  expect(worker.closing).toBeDefined();
  expect(await worker.isRunning()).toBe(false);
  expect(lines).toEqual([]);
});
