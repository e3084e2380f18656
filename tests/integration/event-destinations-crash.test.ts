import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, test } from 'vitest';
import { seededRandom } from '../../bench/seeded-random.js';
import { spawnCdp, type CdpProcess } from '../helpers/cdp-process.js';
import { startReceiver, type HttpReceiver } from '../helpers/http-receiver.js';
import { ADMIN_KEY, startTestProduct, tempDir, testEnv, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// Event destinations across worker processes killed with SIGKILL: the API runs in this process, the workers
// (load, fan-out and delivery) as real `cdp start --roles workers` processes on one data folder. Every event
// the API acknowledged reaches the receiver, and an event that arrives twice (at-least-once) arrives under
// the same delivery id.

const SEED = Number(process.env.CRASH_SEED ?? 20261203);
const SECRET = `whsec_${randomUUID()}${randomUUID()}`;
let api: TestProduct | undefined;
let receiver: HttpReceiver | undefined;
let workers: CdpProcess[] = [];

afterEach(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  workers = [];
  await api?.destroy();
  await receiver?.close();
  api = undefined;
});

async function setup(extra: Record<string, string> = {}) {
  receiver = await startReceiver();
  const dataDir = tempDir();
  const env = testEnv(dataDir, {
    // Short locks and leases: a killed worker's jobs and destinations are taken up again within seconds.
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    LOAD_RETRY_BASE_DELAY_MS: '100',
    LOAD_RETRY_MAX_DELAY_MS: '500',
    DESTINATION_TIMEOUT_MS: '500',
    DESTINATION_RETRY_BASE_MS: '50',
    DESTINATIONS_ALLOW_PRIVATE: 'true',
    ...extra,
  });
  api = await startTestProduct({ roles: ['api'], dataDir, env: { QUEUE_PREFIX: env.QUEUE_PREFIX! } });
  return env;
}

async function createDestination(worker: CdpProcess, path: string): Promise<void> {
  const res = await fetch(`${worker.url}/v1/destinations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ type: 'events', name: 'crash', format: 'webhook', url: `${receiver!.url}${path}`, secret: SECRET, batch_size: 50, max_wait_ms: 100 }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

async function postBatches(runId: string, batches: number, size: number): Promise<string[]> {
  const ids: string[] = [];
  for (let b = 0; b < batches; b++) {
    const batch = Array.from({ length: size }, (_, i) => {
      const messageId = `${runId}-${b}-${i}`;
      ids.push(messageId);
      return { type: 'track', userId: `user-${i % 17}`, messageId, event: 'Crash Test' };
    });
    expect((await api!.post('/v1/batch', { batch })).status).toBe(200);
  }
  return ids;
}

/** messageId → the delivery ids it arrived under. */
function arrivals(path: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of receiver!.accepted(path)) {
    for (const e of r.body.events) {
      const set = out.get(e.messageId) ?? new Set<string>();
      set.add(r.body.delivery_id);
      out.set(e.messageId, set);
    }
  }
  return out;
}

test('a worker killed between the insert and the fan-out: the retried load still sends the events it finds loaded', async () => {
  const env = await setup();
  const path = '/after-crash';
  const doomed = await spawnCdp({ ...env, CDP_FAILPOINTS: 'crash-after-insert' });
  workers.push(doomed);
  await createDestination(doomed, path);
  const ids = await postBatches(randomUUID(), 3, 100);
  expect(await doomed.exited).toBe(null);
  expect(doomed.child.signalCode).toBe('SIGKILL');
  expect(receiver!.accepted(path)).toEqual([]);

  const survivor = await spawnCdp(env);
  workers.push(survivor);
  await waitFor('every event at the receiver', () => ids.every((id) => arrivals(path).has(id)), 90_000);
  const got = arrivals(path);
  expect([...got.keys()].sort()).toEqual([...ids].sort());
  expect([...got.values()].every((deliveries) => deliveries.size === 1)).toBe(true);
  expect(receiver!.accepted(path).flatMap((r) => r.body.events)).toHaveLength(ids.length);
});

test(`workers killed at random moments (seed ${SEED}) while events stream out: every event arrives, a repeat only under its delivery id`, async () => {
  const random = seededRandom(SEED);
  const env = await setup({ LOAD_BATCH_MAX_WAIT_MS: '20', WORKER_CONCURRENCY: '8' });
  const path = '/random-kills';
  let worker = await spawnCdp(env);
  workers.push(worker);
  await createDestination(worker, path);
  const posting = postBatches(randomUUID(), 30, 50);
  for (let kill = 0; kill < 3; kill++) {
    await sleep(200 + Math.floor(random() * 400));
    worker.child.kill('SIGKILL');
    await worker.exited;
    worker = await spawnCdp(env);
    workers.push(worker);
  }
  const ids = await posting;
  await waitFor('every event at the receiver', () => ids.every((id) => arrivals(path).has(id)), 120_000);
  const got = arrivals(path);
  expect(got.size).toBe(ids.length);
  expect([...got.values()].filter((deliveries) => deliveries.size > 1)).toEqual([]);
});
