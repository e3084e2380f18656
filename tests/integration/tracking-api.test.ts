import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WRITE_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// Every endpoint of the tracking API against the real product (private Redis + embedded ClickHouse).

let product: TestProduct;
beforeAll(async () => {
  product = await startTestProduct();
});
afterAll(async () => {
  await product?.destroy();
});

const uid = () => `u-${randomUUID()}`;

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${product.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('happy paths', () => {
  const calls: [string, Record<string, unknown>][] = [
    ['track', { event: 'Product Viewed', properties: { product_id: 'p1', price: 10 } }],
    ['identify', { traits: { email: 'a@example.com' } }],
    ['page', { name: 'Home', properties: { url: 'https://shop.example/' } }],
    ['screen', { name: 'Cart' }],
    ['group', { groupId: 'g1', traits: { name: 'ACME' } }],
    ['alias', { previousId: 'anon-1' }],
  ];
  test.each(calls)('POST /v1/%s stores the event', async (type, fields) => {
    const userId = uid();
    const messageId = randomUUID();
    const res = await product.post(`/v1/${type}`, { userId, messageId, ...fields });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const rows = await product.waitForRows<{ type: string; message_id: string }>(
      `SELECT type, message_id FROM events WHERE user_id = '${userId}'`,
      (r) => r.length === 1,
    );
    expect(rows[0]).toEqual({ type, message_id: messageId });
  });

  test('POST /v1/batch stores every event with its own type', async () => {
    const userId = uid();
    const res = await product.post('/v1/batch', {
      batch: [
        { type: 'identify', userId, traits: { plan: 'gold' } },
        { type: 'track', userId, event: 'Order Completed', properties: { order_id: 'o-1', revenue: 99.5 } },
        { type: 'page', userId, name: 'Checkout' },
      ],
    });
    expect(res.status).toBe(200);
    const rows = await product.waitForRows<{ type: string }>(`SELECT type FROM events WHERE user_id = '${userId}' ORDER BY type`, (r) => r.length === 3);
    expect(rows.map((r) => r.type)).toEqual(['identify', 'page', 'track']);
  });

  test('the write key may come in the body instead of Basic auth', async () => {
    const userId = uid();
    const res = await product.post('/v1/track', { writeKey: WRITE_KEY, userId, event: 'Body Key' }, { auth: null });
    expect(res.status).toBe(200);
    await product.waitForRows(`SELECT 1 FROM events WHERE user_id = '${userId}'`, (r) => r.length === 1);
  });

  test('text/plain JSON bodies (sendBeacon) are accepted', async () => {
    const userId = uid();
    const res = await product.post('/v1/track', JSON.stringify({ writeKey: WRITE_KEY, userId, event: 'Beacon' }), {
      auth: null,
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
    });
    expect(res.status).toBe(200);
    await product.waitForRows(`SELECT 1 FROM events WHERE user_id = '${userId}' AND event = 'Beacon'`, (r) => r.length === 1);
  });

  test('gzip request bodies are decompressed', async () => {
    const userId = uid();
    const body = gzipSync(JSON.stringify({ batch: [{ type: 'track', userId, event: 'Zipped' }] }));
    const res = await product.post('/v1/batch', body, { headers: { 'content-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    await product.waitForRows(`SELECT 1 FROM events WHERE user_id = '${userId}' AND event = 'Zipped'`, (r) => r.length === 1);
  });

  test('CORS preflight from a browser is allowed', async () => {
    const res = await fetch(`${product.url}/v1/track`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
  });

  test('a cross-origin page may read Retry-After', async () => {
    const res = await fetch(`${product.url}/v1/track`, { method: 'POST', headers: { origin: 'https://shop.example', 'content-type': 'application/json' }, body: '{}' });
    expect(res.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('retry-after');
  });
});

describe('limits', () => {
  test('a single event over 32 KB is refused with 413', async () => {
    const res = await product.post('/v1/track', { userId: uid(), event: 'Big', properties: { blob: 'x'.repeat(33 * 1024) } });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
  });

  test('a batch body over 500 KB is refused with 413', async () => {
    const batch = Array.from({ length: 20 }, () => ({ type: 'track', userId: uid(), event: 'E', properties: { blob: 'x'.repeat(30 * 1024) } }));
    const res = await product.post('/v1/batch', { batch });
    expect(res.status).toBe(413);
  });

  test('a batch of more than 2,500 events is refused with 413', async () => {
    const batch = Array.from({ length: 2501 }, () => ({ type: 'track', userId: 'u', event: 'E' }));
    const res = await product.post('/v1/batch', { batch });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('too_many_events');
  });

  test('a batch of exactly 2,500 events is accepted', async () => {
    const userId = uid();
    const batch = Array.from({ length: 2500 }, () => ({ type: 'track', userId, event: 'E' }));
    const res = await product.post('/v1/batch', { batch });
    expect(res.status).toBe(200);
    await product.waitForRows<{ n: string }>(`SELECT count() AS n FROM events WHERE user_id = '${userId}'`, (r) => Number(r[0]?.n) === 2500);
  });

  test('one event over 32 KB inside a batch is rejected alone; the others are accepted', async () => {
    const userId = uid();
    const res = await product.post('/v1/batch', {
      batch: [
        { type: 'track', userId, event: 'Small' },
        { type: 'track', userId, event: 'Huge', properties: { blob: 'x'.repeat(40 * 1024) } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.rejected).toEqual([expect.objectContaining({ index: 1, reason: 'event_too_large' })]);
    await product.waitForRows(`SELECT event FROM events WHERE user_id = '${userId}'`, (r) => r.length === 1);
  });

  test('a gzip bomb is refused by the decompressed size', async () => {
    const body = gzipSync(JSON.stringify({ batch: [{ type: 'track', userId: 'u', event: 'E', properties: { z: '0'.repeat(2 * 1024 * 1024) } }] }));
    expect(body.length).toBeLessThan(50 * 1024);
    const res = await product.post('/v1/batch', body, { headers: { 'content-encoding': 'gzip' } });
    expect(res.status).toBe(413);
  });
});

describe('bad input', () => {
  test('malformed JSON is a 400 that says so, and is counted', async () => {
    const before = await metric('cdp_events_rejected_total', 'reason="invalid_json"');
    const res = await product.post('/v1/track', '{"userId": "u", "event": ');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, code: 'invalid_json' });
    expect(await metric('cdp_events_rejected_total', 'reason="invalid_json"')).toBe(before + 1);
  });

  test('broken gzip is a 400', async () => {
    const res = await product.post('/v1/track', Buffer.from('not gzip at all'), { headers: { 'content-encoding': 'gzip' } });
    expect(res.status).toBe(400);
  });

  test('wrong types are listed per field', async () => {
    const res = await product.post('/v1/track', { userId: uid(), event: 42, properties: [1, 2], timestamp: 'yesterday' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_events');
    const paths = res.body.errors[0].errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['event', 'properties', 'timestamp']);
  });

  test('an event with neither userId nor anonymousId is refused and kept in rejected_events', async () => {
    const marker = randomUUID();
    const res = await product.post('/v1/track', { event: 'No Id', properties: { marker } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ index: 0, reason: 'invalid_event' });
    expect(res.body.errors[0].errors[0].message).toMatch(/userId or anonymousId/);
    const rows = await product.waitForRows<{ reason: string; route: string; source_id: string }>(
      `SELECT reason, route, source_id FROM rejected_events WHERE payload LIKE '%${marker}%'`,
      (r) => r.length === 1,
    );
    expect(rows[0]).toEqual({ reason: 'invalid_event', route: 'track', source_id: 'web' });
  });

  test('track without event name is refused', async () => {
    const res = await product.post('/v1/track', { userId: uid() });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].errors[0].path).toBe('event');
  });

  test.each([
    ['__proto__', '{"userId":"u","event":"E","properties":{"__proto__":{"admin":true}}}'],
    ['constructor.prototype', '{"userId":"u","event":"E","properties":{"constructor":{"prototype":{"admin":true}}}}'],
  ])('prototype-pollution keys (%s) are refused', async (_name, body) => {
    const res = await product.post('/v1/track', body);
    expect(res.status).toBe(400);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  test('an unknown write key is a 401, counted', async () => {
    const before = await metric('cdp_events_rejected_total', 'reason="unauthorized"');
    const res = await product.post('/v1/track', { userId: 'u', event: 'E' }, { auth: `Basic ${Buffer.from('wk_nope:').toString('base64')}` });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_write_key');
    expect(await metric('cdp_events_rejected_total', 'reason="unauthorized"')).toBe(before + 1);
  });

  test('no write key at all is a 401 that says where to put it', async () => {
    const res = await product.post('/v1/track', { userId: 'u', event: 'E' }, { auth: null });
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/Basic auth/);
  });

  test('a partial batch: good events accepted, bad ones listed by index and kept', async () => {
    const userId = uid();
    const res = await product.post('/v1/batch', {
      batch: [
        { type: 'track', userId, event: 'Good 1' },
        { type: 'track', userId },
        { type: 'bogus', userId },
        'not an object',
        { type: 'track', userId, event: 'Good 2' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.rejected.map((r: { index: number }) => r.index)).toEqual([1, 2, 3]);
    const rows = await product.waitForRows<{ event: string }>(`SELECT event FROM events WHERE user_id = '${userId}' ORDER BY event`, (r) => r.length === 2);
    expect(rows.map((r) => r.event)).toEqual(['Good 1', 'Good 2']);
    await product.waitForRows(
      `SELECT batch_index FROM rejected_events WHERE payload LIKE '%${userId}%' OR (route = 'batch' AND payload = '"not an object"')`,
      (r) => r.length >= 3,
    );
  });

  test('a batch whose events are all bad is a 400 listing each', async () => {
    const res = await product.post('/v1/batch', { batch: [{ type: 'track' }, { type: 'identify' }] });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { index: number }) => e.index)).toEqual([0, 1]);
  });

  test('a batch body without a batch array is a 400', async () => {
    const res = await product.post('/v1/batch', { events: [] });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].reason).toBe('invalid_batch');
  });
});

describe('operations endpoints', () => {
  test('/health, /ready and /metrics answer', async () => {
    expect((await fetch(`${product.url}/health`)).status).toBe(200);
    const ready = await fetch(`${product.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { redis: { ok: true }, clickhouse: { ok: true } } });
    const metrics = await (await fetch(`${product.url}/metrics`)).text();
    for (const name of ['cdp_events_accepted_total', 'cdp_events_rejected_total', 'cdp_queue_jobs', 'cdp_load_lag_seconds', 'cdp_insert_duration_seconds', 'cdp_insert_batch_rows']) {
      expect(metrics).toContain(name);
    }
  });
});
