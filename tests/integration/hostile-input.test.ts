import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEnqueuer } from '../../ingest/enqueue.js';
import { UnserializableEventsError } from '../../ingest/errors/unserializable-events-error.js';
import { LOAD_JOB_NAME, type EnrichedEvent } from '../../pipeline/core/load-job.js';
import { createMetrics } from '../../pipeline/core/metrics.js';
import { ADMIN_KEY, SOURCE_ID, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// A hostile client's bodies, sent to the real product: whatever is answered 200 loads; what cannot load is
// refused at the door with a 4xx that says why, and only the item at fault.

let product: TestProduct;

beforeAll(async () => {
  product = await startTestProduct();
});

afterAll(async () => {
  await product?.destroy();
});

const countOf = async (run: string) =>
  Number((await product.sql<{ n: string }>(`SELECT count() AS n FROM events WHERE JSONExtractString(properties, 'run') = '${run}'`))[0]!.n);

const waitCount = (run: string, n: number) =>
  product.waitForRows<{ n: string }>(`SELECT count() AS n FROM events WHERE JSONExtractString(properties, 'run') = '${run}'`, (r) => Number(r[0]?.n) >= n);

function nestedJson(levels: number): string {
  return `${'{"n":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

describe('lone surrogates', () => {
  test.each([
    ['userId', '{"userId":"u\\ud800","event":"E","messageId":"MARK"}', 'userId'],
    ['anonymousId', '{"anonymousId":"\\udc00a","event":"E","messageId":"MARK"}', 'anonymousId'],
    ['an email trait', '{"userId":"u1","event":"E","messageId":"MARK","context":{"traits":{"email":"a\\ud800@example.com"}}}', 'context.traits.email'],
    ['a phone property', '{"userId":"u1","event":"E","messageId":"MARK","properties":{"phone":"+4477\\ud80000"}}', 'properties.phone'],
  ])('in %s: 400 with the path, and kept in rejected_events', async (_name, body, path) => {
    const mark = randomUUID();
    const res = await product.post('/v1/track', body.replace('MARK', mark));
    expect(res.status).toBe(400);
    expect(res.body.errors[0].errors[0]).toMatchObject({ path, code: 'invalid_string' });
    const kept = await product.waitForRows<{ reason: string; path: string }>(
      `SELECT reason, JSONExtractString(errors, 1, 'path') AS path FROM rejected_events WHERE position(payload, '${mark}') > 0`,
      (rows) => rows.length > 0,
    );
    expect(kept).toEqual([{ reason: 'invalid_event', path }]);
  });

  test('in an event name, a page name and a property: answered 200 and loaded with U+FFFD', async () => {
    const run = randomUUID();
    const body = `{"batch":[{"type":"track","userId":"u1","event":"Bad\\ud800Name","properties":{"run":"${run}","note":"x\\udfff"}},` +
      `{"type":"page","userId":"u1","name":"\\ud83dHome","properties":{"run":"${run}"}}]}`;
    const res = await product.post('/v1/batch', body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    await waitCount(run, 2);
    const rows = await product.sql<{ event: string; name: string; note: string }>(
      `SELECT event, name, JSONExtractString(properties, 'note') AS note FROM events WHERE JSONExtractString(properties, 'run') = '${run}' ORDER BY type DESC`,
    );
    expect(rows).toEqual([
      { event: 'Bad\ufffdName', name: '', note: 'x\ufffd' },
      { event: '', name: '\ufffdHome', note: '' },
    ]);
  });
});

describe('event times', () => {
  test('times outside 1970 … 2099 are refused with the range; a batch spanning 1970 … 2099 loads whole', async () => {
    const run = randomUUID();
    const out = await product.post('/v1/batch', {
      batch: [
        { type: 'track', userId: 'u1', event: 'Old', timestamp: '1900-01-01T00:00:00Z', properties: { run } },
        { type: 'track', userId: 'u1', event: 'Far', timestamp: '2299-12-31T00:00:00Z', properties: { run } },
        { type: 'track', userId: 'u1', event: 'First', timestamp: '1970-01-01T00:00:00Z', properties: { run } },
        { type: 'track', userId: 'u1', event: 'Last', timestamp: '2099-12-31T23:59:59.999Z', properties: { run } },
      ],
    });
    expect(out.status).toBe(200);
    expect(out.body.rejected.map((r: { index: number; errors: { path: string; message: string }[] }) => [r.index, r.errors[0]!.path, r.errors[0]!.message])).toEqual([
      [0, 'timestamp', 'must be from 1970-01-01T00:00:00Z to before 2100-01-01T00:00:00Z'],
      [1, 'timestamp', 'must be from 1970-01-01T00:00:00Z to before 2100-01-01T00:00:00Z'],
    ]);
    await waitCount(run, 2);
    expect(await product.sql(`SELECT event FROM events WHERE JSONExtractString(properties, 'run') = '${run}' ORDER BY timestamp`)).toEqual([{ event: 'First' }, { event: 'Last' }]);
  });
});

describe('nesting', () => {
  test('a body nested 5,000 levels gets its own 400, while the requests coalesced with it are answered 200 and load', async () => {
    const run = randomUUID();
    const deep = `{"userId":"u1","event":"Deep","properties":${nestedJson(5000)}}`;
    const good = Array.from({ length: 300 }, (_, i) => product.post('/v1/track', { userId: `u${i}`, event: 'Innocent', properties: { run } }));
    const [bad, ...answers] = await Promise.all([product.post('/v1/track', deep), ...good]);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].errors[0]).toMatchObject({ code: 'too_deep' });
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    await waitCount(run, 300);
    expect(await countOf(run)).toBe(300);
  });

  test('properties nested 63 levels (the event is the 64th) load', async () => {
    const run = randomUUID();
    const res = await product.post('/v1/track', `{"userId":"u1","event":"Deep Enough","properties":{"run":"${run}","v":${nestedJson(62)}}}`);
    expect(res.status).toBe(200);
    await waitCount(run, 1);
  });
});

describe('numbers', () => {
  test('a numeric id beyond 2^53 is refused with a reason that says to send it as a string', async () => {
    const res = await product.post('/v1/track', '{"userId":12345678901234567890,"event":"E"}');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].errors[0]).toMatchObject({ path: 'userId', code: 'unsafe_integer', message: expect.stringContaining('as a string') });
  });

  test('huge and odd numbers in properties are answered 200 and load', async () => {
    const run = randomUUID();
    const res = await product.post('/v1/track', `{"userId":4242,"event":"Numbers","properties":{"run":"${run}","big":1e400,"small":-1e-400,"neg":-0,"revenue":1e300}}`);
    expect(res.status).toBe(200);
    await waitCount(run, 1);
    expect(await product.sql(`SELECT user_id, revenue FROM events WHERE JSONExtractString(properties, 'run') = '${run}'`)).toEqual([{ user_id: '4242', revenue: null }]);
  });
});

describe('one bad item', () => {
  test('"__proto__" or "constructor.prototype" in one item refuses that item only, with its index', async () => {
    const run = randomUUID();
    const body = `{"batch":[{"type":"track","userId":"u1","event":"A","properties":{"run":"${run}"}},` +
      `{"type":"track","userId":"u2","event":"B","properties":{"__proto__":{"admin":true}}},` +
      `{"type":"track","userId":"u3","event":"C","traits":{"constructor":{"prototype":{"admin":true}}}},` +
      `{"type":"track","userId":"u4","event":"D","properties":{"run":"${run}"}}]}`;
    const res = await product.post('/v1/batch', body);
    expect(res.status).toBe(200);
    expect(res.body.rejected.map((r: { index: number; errors: { code: string }[] }) => [r.index, r.errors[0]!.code])).toEqual([
      [1, 'forbidden_key'],
      [2, 'forbidden_key'],
    ]);
    await waitCount(run, 2);
    expect(await product.sql(`SELECT event FROM events WHERE JSONExtractString(properties, 'run') = '${run}' ORDER BY event`)).toEqual([{ event: 'A' }, { event: 'D' }]);
  });

  test('the per-event limit applies to the event as parsed, however "batch" is spelled', async () => {
    const big = JSON.stringify({ type: 'track', userId: 'u1', event: 'Big', properties: { pad: 'x'.repeat(40 * 1024) } });
    const res = await product.post('/v1/batch', `{"bat\\u0063h":[${big}]}`);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ index: 0, reason: 'event_too_large' })]);
  });
});

describe('the queue bound', () => {
  test('counts only work that can progress: delayed retries beyond INGEST_MAX_QUEUE_DEPTH do not stop ingestion', async () => {
    // The api role alone: it needs Redis only (this process already holds an embedded ClickHouse).
    const bounded = await startTestProduct({ roles: ['api'], env: { INGEST_MAX_QUEUE_DEPTH: '5' } });
    try {
      // Parked far in the future, as the retries of poisoned jobs were.
      for (let i = 0; i < 20; i++) await bounded.queue!.add(LOAD_JOB_NAME, { events: [], rejected: [] }, { delay: 3_600_000 });
      // Wait until the API has sampled the queue with the delayed jobs in it.
      const until = Date.now() + 10_000;
      while (!/cdp_queue_jobs\{state="delayed"\} 20/.test(await (await fetch(`${bounded.url}/metrics`)).text())) {
        if (Date.now() > until) throw new Error('the queue depth was never sampled');
        await sleep(100);
      }
      const res = await bounded.post('/v1/track', { userId: 'u1', event: 'Still Open' });
      expect(res.status).toBe(200);
    } finally {
      await bounded.destroy();
    }
  });
});

describe('CORS', () => {
  const preflight = (path: string) =>
    fetch(`${product.url}${path}`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });

  test.each(['/v1/sql', '/v1/profiles/p1', '/v1/segments', '/v1/keys', '/v1/dashboard/customers'])('the preflight of %s is not approved', async (path) => {
    const res = await preflight(path);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.status).toBe(404);
  });

  test.each(['/v1/batch', '/v1/track', '/v1/identify', '/v1/page', '/v1/screen', '/v1/group', '/v1/alias'])('the preflight of %s is approved for any origin', async (path) => {
    const res = await preflight(path);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://evil.example');
  });

  test('an admin answer carries no CORS header for another origin', async () => {
    const res = await fetch(`${product.url}/v1/sql`, { method: 'POST', headers: { origin: 'https://evil.example', authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ query: 'SELECT 1' }) });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('/cdp.js stays open to every origin', async () => {
    const res = await fetch(`${product.url}/cdp.js`, { headers: { origin: 'https://shop.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('the group commit', () => {
  test('a request whose events cannot be serialized fails alone with UnserializableEventsError; the others coalesced with it are written', async () => {
    const enqueuer = createEnqueuer(product.queue!, createMetrics(), { maxGroupEvents: 5000, timeoutMs: 5000, maxQueueDepth: 1_000_000, shedAfterMs: 0 });
    try {
      const at = Date.now();
      const event = (messageId: string, properties: Record<string, unknown>): EnrichedEvent => ({
        messageId, type: 'track', event: 'Group', userId: 'u1', properties, context: {}, integrations: {}, timestamp: at, originalTimestamp: at, receivedAt: at, sourceId: SOURCE_ID,
      });
      const run = randomUUID();
      const parts = Array.from({ length: 50 }, (_, i) => ({ events: [event(`${run}-${i}`, { run })], rejected: [] }));
      // A BigInt cannot be serialized: JSON.stringify throws TypeError, as it throws RangeError on a deep object.
      const poison = { events: [event(`${run}-poison`, { run, big: 10n })], rejected: [] };
      const results = await Promise.allSettled([...parts.slice(0, 25).map((p) => enqueuer.enqueue(p)), enqueuer.enqueue(poison), ...parts.slice(25).map((p) => enqueuer.enqueue(p))]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(50);
      expect(results[25]).toMatchObject({ status: 'rejected', reason: expect.any(UnserializableEventsError) });
      await waitCount(run, 50);
    } finally {
      await enqueuer.close();
    }
  });
});
