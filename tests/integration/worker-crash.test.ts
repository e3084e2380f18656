import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterEach, expect, test } from 'vitest';
import { seededRandom } from '../../bench/seeded-random.js';
import type { LoadQueue } from '../../pipeline/redis/load-queue.js';
import { startTestProduct, tempDir, testEnv, type TestProduct } from '../helpers/test-product.js';
import { spawnCdp, type CdpProcess } from '../helpers/cdp-process.js';

// Workers are killed with SIGKILL; every event the API acknowledged must end up in ClickHouse exactly once.
// The API runs in this process (it needs Redis only); the workers run as real `cdp start --roles workers`
// processes on the same data folder, so they can be killed at any instant. The moments of the random kills
// come from a seed, printed in the test's name: CRASH_SEED replays a run's kill times.

const SEED = Number(process.env.CRASH_SEED ?? 20261202);

let api: TestProduct | undefined;
let workers: CdpProcess[] = [];

afterEach(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  workers = [];
  await api?.destroy();
  api = undefined;
});

function setup(extra: Record<string, string> = {}) {
  const dataDir = tempDir();
  const env = testEnv(dataDir, {
    // Short locks so that the jobs of a killed worker are taken up again within seconds.
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    LOAD_RETRY_BASE_DELAY_MS: '100',
    LOAD_RETRY_MAX_DELAY_MS: '500',
    ...extra,
  });
  return { dataDir, env };
}

async function postBatches(product: TestProduct, runId: string, batches: number, size: number): Promise<string[]> {
  const ids: string[] = [];
  for (let b = 0; b < batches; b++) {
    const batch = Array.from({ length: size }, (_, i) => {
      const messageId = `${runId}-${b}-${i}`;
      ids.push(messageId);
      // Each states consent: its profile_consent row must be loaded exactly once too.
      return { type: 'track', userId: `user-${i % 17}`, messageId, event: 'Crash Test', properties: { run: runId }, context: { consent: { categoryPreferences: { marketing: i % 2 === 0 } } } };
    });
    const res = await product.post('/v1/batch', { batch });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  return ids;
}

/**
 * The load jobs queued so far that have not completed, read from the queue's BullMQ event stream: each job
 * is `added` once and `completed` once (completed jobs are removed, so a completed job never runs again).
 */
async function unfinishedJobs(redis: Redis, queue: LoadQueue): Promise<{ added: number; unfinished: string[] }> {
  const added = new Set<string>();
  const completed = new Set<string>();
  for (const [, fields] of await redis.xrange(queue.keys.events!, '-', '+')) {
    const entry: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) entry[fields[i]!] = fields[i + 1]!;
    if (entry.event === 'added') added.add(entry.jobId!);
    if (entry.event === 'completed') completed.add(entry.jobId!);
  }
  return { added: added.size, unfinished: [...added].filter((id) => !completed.has(id)) };
}

/**
 * Waits until every acknowledged event is in and every job the API queued has completed: nothing is left
 * that could insert a row again, so what is counted afterwards is final.
 */
async function waitUntilLoaded(product: TestProduct, worker: CdpProcess, runId: string, expected: number) {
  const until = Date.now() + 90_000;
  const redis = new Redis(product.redis.options);
  let last: Record<string, unknown> | undefined;
  try {
    while (Date.now() < until) {
      const counts = await product.queue!.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
      const jobs = await unfinishedJobs(redis, product.queue!);
      const [rows] = await worker.sql<Record<string, string>>(
        `SELECT count() AS rows, uniqExact(message_id) AS ids FROM events WHERE JSONExtractString(properties, 'run') = '${runId}'`,
      );
      last = { ...rows, counts, jobs: { added: jobs.added, unfinished: jobs.unfinished.length } };
      if (Object.values(counts).every((n) => n === 0) && jobs.added > 0 && jobs.unfinished.length === 0 && Number(rows?.ids) === expected) return rows!;
      await sleep(200);
    }
  } finally {
    redis.disconnect();
  }
  throw new Error(`not loaded in time: ${JSON.stringify(last)}`);
}

test('a worker killed between insert and job completion: the retried jobs do not duplicate rows', async () => {
  const { dataDir, env } = setup();
  api = await startTestProduct({ roles: ['api'], dataDir, env: { QUEUE_PREFIX: env.QUEUE_PREFIX! } });
  const runId = randomUUID();

  // This worker inserts its first group and then kills itself before completing the jobs.
  const doomed = await spawnCdp({ ...env, CDP_FAILPOINTS: 'crash-after-insert' });
  workers.push(doomed);
  const ids = await postBatches(api, runId, 5, 200);
  expect(await doomed.exited).toBe(null);
  expect(doomed.child.signalCode).toBe('SIGKILL');

  const survivor = await spawnCdp(env);
  workers.push(survivor);
  const result = await waitUntilLoaded(api, survivor, runId, ids.length);
  expect(Number(result.rows)).toBe(ids.length);
  // Every queued job has completed (waitUntilLoaded): the count read again is final.
  const [again] = await survivor.sql<{ rows: string }>(`SELECT count() AS rows FROM events WHERE JSONExtractString(properties, 'run') = '${runId}'`);
  expect(Number(again!.rows)).toBe(ids.length);
  // The per-profile counts kept by a materialised view over the inserts saw each row once too.
  const [activity] = await survivor.sql<{ counted: string; events: string }>(
    `SELECT (SELECT sum(event_count) FROM profile_activity) AS counted, (SELECT count() FROM events WHERE profile_id != '') AS events`,
  );
  expect(Number(activity!.counted)).toBe(Number(activity!.events));
  const [consent] = await survivor.sql<{ rows: string; ids: string }>(`SELECT count() AS rows, uniqExact(message_id) AS ids FROM profile_consent WHERE startsWith(message_id, '${runId}')`);
  expect(consent).toEqual({ rows: String(ids.length), ids: String(ids.length) });
});

test(`workers killed at random moments (seed ${SEED}) while events stream in: every acknowledged event exactly once`, async () => {
  const random = seededRandom(SEED);
  const { dataDir, env } = setup({ LOAD_BATCH_MAX_WAIT_MS: '20', WORKER_CONCURRENCY: '8' });
  api = await startTestProduct({ roles: ['api'], dataDir, env: { QUEUE_PREFIX: env.QUEUE_PREFIX! } });
  const runId = randomUUID();

  let worker = await spawnCdp(env);
  workers.push(worker);
  const posting = postBatches(api, runId, 40, 100);
  for (let kill = 0; kill < 4; kill++) {
    await sleep(150 + Math.floor(random() * 300));
    worker.child.kill('SIGKILL');
    await worker.exited;
    worker = await spawnCdp(env);
    workers.push(worker);
  }
  const ids = await posting;
  const result = await waitUntilLoaded(api, worker, runId, ids.length);
  expect(Number(result.rows)).toBe(ids.length);
});
