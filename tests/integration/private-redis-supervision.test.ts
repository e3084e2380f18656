import { randomUUID } from 'node:crypto';
import { afterEach, expect, test } from 'vitest';
import { createClickHouse, type ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { spawnCdp, type CdpProcess } from '../helpers/cdp-process.js';
import { breakAofManifest, privateRedisPid } from '../helpers/private-redis.js';
import { startTestProduct, tempDir, testEnv, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// The private redis-server dies (SIGKILL): the product that runs it starts it again on the same folder (so
// it reloads its AOF), /health says so meanwhile, ingest answers 200 again without anyone stepping in, and
// every acknowledged event is loaded exactly once.

let product: TestProduct | undefined;
let admin: ClickHouseClient | undefined;
let orphanMaker: CdpProcess | undefined;

afterEach(async () => {
  await admin?.close();
  admin = undefined;
  await product?.destroy();
  product = undefined;
  if (orphanMaker && orphanMaker.child.exitCode === null && orphanMaker.child.signalCode === null) orphanMaker.child.kill('SIGKILL');
  orphanMaker = undefined;
});

const ENV = { LOAD_RETRY_BASE_DELAY_MS: '100', LOAD_RETRY_MAX_DELAY_MS: '400', WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' };

async function postBatches(p: TestProduct, runId: string, batches: number, size: number, tag = 'before'): Promise<number> {
  for (let b = 0; b < batches; b++) {
    const batch = Array.from({ length: size }, (_, i) => ({ type: 'track', userId: `u-${i}`, messageId: `${runId}-${tag}-${b}-${i}`, event: 'Supervised', properties: { run: runId } }));
    const res = await p.post('/v1/batch', { batch });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  return batches * size;
}

async function loaded(p: TestProduct, runId: string) {
  const [row] = await p.sql<{ rows: string; ids: string }>(
    `SELECT count() AS rows, uniqExact(message_id) AS ids FROM events WHERE JSONExtractString(properties, 'run') = '${runId}'`,
  );
  return { rows: Number(row!.rows), ids: Number(row!.ids) };
}

async function health(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/health`);
  return { status: res.status, body: await res.json() };
}

async function restartsCounted(url: string, result: 'ok' | 'failed'): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^cdp_private_redis_restarts_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

async function drained(p: TestProduct): Promise<boolean> {
  return Object.values(await p.queue!.getJobCounts('waiting', 'active', 'delayed', 'failed')).every((n) => n === 0);
}

test('redis-server killed and unable to start for a while: /health and ingest say so, then it is restarted and nothing acknowledged is lost', async () => {
  product = await startTestProduct({ env: ENV });
  const runId = randomUUID();
  // Hold the loader back so that acknowledged events are still queued in Redis when it dies.
  admin = createClickHouse(product.config);
  await admin.command({ query: 'DETACH TABLE cdp.events' });
  const sent = await postBatches(product, runId, 5, 40);
  expect((await health(product.url)).status).toBe(200);

  const restore = breakAofManifest(product.dataDir);
  const killed = product.redis.local!.pid;
  process.kill(killed, 'SIGKILL');

  await waitFor('/health to report the dead private Redis', async () => (await health(product!.url)).status === 503);
  const down = await health(product.url);
  expect(down.body.status).toBe('unhealthy');
  expect(down.body.checks.privateRedis).toEqual({ ok: false, error: expect.stringContaining('restarting') });
  expect((await fetch(`${product.url}/ready`)).status).toBe(503);
  const during = await product.post('/v1/track', { userId: 'u', event: 'During Outage' });
  expect(during.status).toBe(503);
  expect(during.headers.get('retry-after')).toBe('2');
  await waitFor('a failed restart attempt to be counted', async () => (await restartsCounted(product!.url, 'failed')) >= 1);

  restore();
  await waitFor('/health to recover', async () => (await health(product!.url)).status === 200);
  expect(product.redis.local!.pid).not.toBe(killed);
  expect(product.redis.local!.restarts).toBe(1);
  expect(await restartsCounted(product.url, 'ok')).toBe(1);

  // Healthy again means ingest works again: no retry loop needed.
  const after = await product.post('/v1/track', { userId: 'u', messageId: `${runId}-after`, event: 'After', properties: { run: runId } });
  expect(after.status).toBe(200);
  await admin.command({ query: 'ATTACH TABLE cdp.events' });
  await waitFor('every acknowledged event to load', async () => (await loaded(product!, runId)).ids === sent + 1 && (await drained(product!)));
  expect(await loaded(product, runId)).toEqual({ rows: sent + 1, ids: sent + 1 });
});

test('redis-server killed: restarted at once, ingest answers 200 again by itself and the workers resume', async () => {
  product = await startTestProduct({ env: ENV });
  const runId = randomUUID();
  const before = await postBatches(product, runId, 2, 50);
  await waitFor('the first events to load', async () => (await loaded(product!, runId)).ids === before);

  process.kill(product.redis.local!.pid, 'SIGKILL');
  await waitFor('the private Redis to be restarted', () => product!.redis.local!.restarts === 1);
  await waitFor('ingest to answer 200 again', async () => (await product!.post('/v1/track', { userId: 'u', messageId: `${runId}-probe`, event: 'Probe', properties: { run: runId } })).status === 200);
  const later = await postBatches(product, runId, 2, 50, 'after');

  await waitFor('the events sent after the restart to load', async () => (await loaded(product!, runId)).ids === before + 1 + later && (await drained(product!)));
  expect(await loaded(product, runId)).toEqual({ rows: before + 1 + later, ids: before + 1 + later });
  expect(await restartsCounted(product.url, 'ok')).toBe(1);
  expect((await health(product.url)).status).toBe(200);
});

test('a redis-server adopted from a killed process is supervised too: its death is noticed and it is restarted', async () => {
  const dataDir = tempDir();
  const env = testEnv(dataDir);
  // A product that dies with SIGKILL leaves its (detached) redis-server running: an orphan.
  orphanMaker = await spawnCdp(env);
  orphanMaker.child.kill('SIGKILL');
  await orphanMaker.exited;
  const orphan = await privateRedisPid(dataDir);
  expect(orphan).toBeGreaterThan(0);

  product = await startTestProduct({ dataDir, env: { ...ENV, QUEUE_PREFIX: env.QUEUE_PREFIX! } });
  expect(product.redis.local).toMatchObject({ owned: true, pid: orphan });
  const runId = randomUUID();
  const before = await postBatches(product, runId, 1, 20);

  process.kill(orphan!, 'SIGKILL');
  await waitFor('the adopted private Redis to be restarted', () => product!.redis.local!.restarts === 1);
  expect(product.redis.local!.pid).not.toBe(orphan);
  await waitFor('ingest to answer 200 again', async () => (await product!.post('/v1/track', { userId: 'u', messageId: `${runId}-after`, event: 'After', properties: { run: runId } })).status === 200);
  await waitFor('every acknowledged event to load', async () => (await loaded(product!, runId)).ids === before + 1 && (await drained(product!)));
  expect(await loaded(product, runId)).toEqual({ rows: before + 1, ids: before + 1 });
});
