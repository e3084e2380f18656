import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, test } from 'vitest';
import { dlqListCommand, dlqReplayCommand } from '../../pipeline/cli/commands/dlq.js';
import { createClickHouse, type ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { startTestProduct, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// ClickHouse outages and a full queue: the API keeps its promises (503 when it cannot queue, 200 only when
// it did), and after recovery every acknowledged event is in ClickHouse exactly once. Redis outages:
// private-redis-supervision.test.ts.

let product: TestProduct | undefined;
let admin: ClickHouseClient | undefined;

afterEach(async () => {
  await admin?.close();
  admin = undefined;
  await product?.destroy();
  product = undefined;
});

async function post(p: TestProduct, runId: string, batches: number, size: number): Promise<number> {
  for (let b = 0; b < batches; b++) {
    const batch = Array.from({ length: size }, (_, i) => ({ type: 'track', userId: `u-${i}`, messageId: `${runId}-${b}-${i}`, event: 'Outage', properties: { run: runId } }));
    expect((await p.post('/v1/batch', { batch })).status).toBe(200);
  }
  return batches * size;
}

async function loaded(p: TestProduct, runId: string) {
  const [row] = await p.sql<{ rows: string; ids: string }>(
    `SELECT count() AS rows, uniqExact(message_id) AS ids FROM events WHERE JSONExtractString(properties, 'run') = '${runId}'`,
  );
  return { rows: Number(row!.rows), ids: Number(row!.ids) };
}

async function metricValue(p: TestProduct, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}

test('ClickHouse unavailable: jobs retry with backoff, then load exactly once', async () => {
  product = await startTestProduct({ env: { LOAD_RETRY_BASE_DELAY_MS: '100', LOAD_RETRY_MAX_DELAY_MS: '400' } });
  admin = createClickHouse(product.config);
  const runId = randomUUID();

  await admin.command({ query: 'DETACH TABLE cdp.events' });
  const sent = await post(product, runId, 6, 50);
  // Retried with backoff: a job has failed twice and waits for its next attempt.
  await waitFor('a second attempt of a job', async () => (await product!.queue!.getJobs(['delayed', 'waiting', 'active'])).some((job) => job.attemptsMade >= 2));
  expect(await metricValue(product, /^cdp_insert_failures_total\{table="events"\} (\d+)/m)).toBeGreaterThanOrEqual(1);
  await admin.command({ query: 'ATTACH TABLE cdp.events' });

  await waitFor('every event loaded', async () => (await loaded(product!, runId)).ids === sent);
  await waitFor('the queue to drain', async () => Object.values(await product!.queue!.getJobCounts('waiting', 'active', 'delayed')).every((n) => n === 0));
  expect(await loaded(product, runId)).toEqual({ rows: sent, ids: sent });
});

test('jobs that use up their retries go to the dead letters, and `cdp dlq replay` loads them once', async () => {
  product = await startTestProduct({ env: { LOAD_RETRY_ATTEMPTS: '2', LOAD_RETRY_BASE_DELAY_MS: '50', LOAD_RETRY_MAX_DELAY_MS: '50' } });
  admin = createClickHouse(product.config);
  const runId = randomUUID();

  await admin.command({ query: 'DETACH TABLE cdp.events' });
  const sent = await post(product, runId, 3, 40);
  await waitFor('three dead letters', async () => (await product!.queue!.getFailedCount()) === 3);
  const listed = JSON.parse(await dlqListCommand(product.config)) as { count: number; jobs: { events: number; reason: string }[] };
  expect(listed.count).toBe(3);
  expect(listed.jobs.reduce((n, j) => n + j.events, 0)).toBe(sent);
  expect(listed.jobs[0]!.reason).toMatch(/events/);

  await admin.command({ query: 'ATTACH TABLE cdp.events' });
  expect(JSON.parse(await dlqReplayCommand(product.config))).toEqual({ replayed: 3 });
  await waitFor('every event loaded', async () => (await loaded(product!, runId)).ids === sent);
  await waitFor('no dead letters left', async () => (await product!.queue!.getFailedCount()) === 0 && (await product!.queue!.getActiveCount()) === 0);
  expect(await loaded(product, runId)).toEqual({ rows: sent, ids: sent });
});

test('a queue deeper than its bound answers 503 with Retry-After, counted', async () => {
  product = await startTestProduct({ roles: ['api'], env: { INGEST_MAX_QUEUE_DEPTH: '3' } });
  for (let i = 0; i < 5; i++) expect((await product.post('/v1/track', { userId: 'u', event: `Fill ${i}` })).status).toBe(200);
  let res = await product.post('/v1/track', { userId: 'u', event: 'Over' });
  const until = Date.now() + 10_000;
  while (res.status === 200 && Date.now() < until) {
    await sleep(200);
    res = await product.post('/v1/track', { userId: 'u', event: 'Over' });
  }
  expect(res.status).toBe(503);
  expect(res.body.code).toBe('overloaded');
  expect(res.headers.get('retry-after')).toBe('2');
  expect(await metricValue(product, /^cdp_events_rejected_total\{reason="overloaded"\} (\d+)/m)).toBeGreaterThanOrEqual(1);
});
