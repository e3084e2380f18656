import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestProduct, type TestProduct } from '../helpers/test-product.js';

// Events posted to the API, read back from cdp.events: every field where analysts expect it.

let product: TestProduct;
beforeAll(async () => {
  product = await startTestProduct();
});
afterAll(async () => {
  await product?.destroy();
});

const count = async (where: string) => Number((await product.sql<{ n: string }>(`SELECT count() AS n FROM events WHERE ${where}`))[0]!.n);

test('an Order Completed event lands with its typed columns and raw JSON', async () => {
  const userId = `u-${randomUUID()}`;
  const messageId = randomUUID();
  const res = await product.post('/v1/track', {
    userId,
    anonymousId: 'anon-42',
    messageId,
    event: 'Order Completed',
    timestamp: '2026-03-04T10:11:12.345Z',
    properties: { order_id: 'ord-9', total: 120, revenue: '99.95', currency: 'EUR', products: [{ product_id: 'p1', quantity: 2 }] },
    context: {
      ip: '203.0.113.9',
      userAgent: 'Mozilla/5.0 test',
      page: { url: 'https://shop.example/checkout?x=1', path: '/checkout', referrer: 'https://google.com/' },
      campaign: { source: 'newsletter', medium: 'email', name: 'spring', term: 'shoes', content: 'hero' },
    },
    integrations: { All: true },
  });
  expect(res.status).toBe(200);
  const [row] = await product.waitForRows<Record<string, unknown>>(
    `SELECT message_id, type, event, user_id, anonymous_id, profile_id, timestamp, original_timestamp, sent_at, source_id, order_id,
            revenue, currency, url, path, referrer, campaign_source, campaign_medium, campaign_name, campaign_term, campaign_content,
            ip, user_agent, properties, context, integrations,
            dateDiff('second', received_at, now64(3)) < 60 AS received_recently
     FROM events WHERE user_id = '${userId}'`,
    (r) => r.length === 1,
  );
  expect(row).toMatchObject({
    message_id: messageId,
    type: 'track',
    event: 'Order Completed',
    user_id: userId,
    anonymous_id: 'anon-42',
    profile_id: expect.stringMatching(/^p_[0-9a-f]{24}$/),
    timestamp: '2026-03-04 10:11:12.345',
    original_timestamp: '2026-03-04 10:11:12.345',
    sent_at: null,
    source_id: 'web',
    order_id: 'ord-9',
    revenue: 99.95,
    currency: 'EUR',
    url: 'https://shop.example/checkout?x=1',
    path: '/checkout',
    referrer: 'https://google.com/',
    campaign_source: 'newsletter',
    campaign_medium: 'email',
    campaign_name: 'spring',
    campaign_term: 'shoes',
    campaign_content: 'hero',
    ip: '203.0.113.9',
    user_agent: 'Mozilla/5.0 test',
    received_recently: 1,
  });
  expect(JSON.parse(row!.properties as string)).toEqual({ order_id: 'ord-9', total: 120, revenue: '99.95', currency: 'EUR', products: [{ product_id: 'p1', quantity: 2 }] });
  expect(JSON.parse(row!.integrations as string)).toEqual({ All: true });
});

test('the JSON columns hold the text of what was sent, character for character', async () => {
  const userId = `u-${randomUUID()}`;
  const properties = { text: 'é 😀 \u2028 "quoted" \\ back\nslash\t', big: 1e21, small: 0.1, list: [1, { x: null }, 'y', []], nested: { deep: { deeper: [[{}]] } }, 'key "q"': true };
  const traits = { email: `${userId}@example.com`, tags: ['a', 'b'] };
  expect((await product.post('/v1/track', { userId, event: 'Text', properties, context: { traits } })).status).toBe(200);
  const [row] = await product.waitForRows<{ properties: string; traits: string }>(`SELECT properties, traits FROM events WHERE user_id = '${userId}'`, (r) => r.length === 1);
  expect(row!.properties).toBe(JSON.stringify(properties));
  expect(row!.traits).toBe(JSON.stringify(traits));
});

test('messageId is assigned when absent, and context.ip comes from the connection', async () => {
  const userId = `u-${randomUUID()}`;
  await product.post('/v1/track', { userId, event: 'No Message Id' });
  const [row] = await product.waitForRows<{ message_id: string; ip: string; context: string }>(
    `SELECT message_id, ip, context FROM events WHERE user_id = '${userId}'`,
    (r) => r.length === 1,
  );
  expect(row!.message_id).toMatch(/^cdp-[0-9a-f-]{36}$/);
  expect(row!.ip).toBe('127.0.0.1');
  expect(JSON.parse(row!.context).ip).toBe('127.0.0.1');
});

test('batch-level context and integrations are merged into each item, the item winning', async () => {
  const userId = `u-${randomUUID()}`;
  await product.post('/v1/batch', {
    context: { library: { name: 'analytics-test', version: '1' }, locale: 'de-DE' },
    integrations: { Mixpanel: false },
    batch: [
      { type: 'track', userId, event: 'A' },
      { type: 'track', userId, event: 'B', context: { locale: 'fr-FR' }, integrations: { Mixpanel: true } },
    ],
  });
  const rows = await product.waitForRows<{ event: string; context: string; integrations: string }>(
    `SELECT event, context, integrations FROM events WHERE user_id = '${userId}' ORDER BY event`,
    (r) => r.length === 2,
  );
  const [a, b] = rows.map((r) => ({ context: JSON.parse(r.context), integrations: JSON.parse(r.integrations) }));
  expect(a!.context).toMatchObject({ library: { name: 'analytics-test' }, locale: 'de-DE' });
  expect(a!.integrations).toEqual({ Mixpanel: false });
  expect(b!.context).toMatchObject({ library: { name: 'analytics-test' }, locale: 'fr-FR' });
  expect(b!.integrations).toEqual({ Mixpanel: true });
});

test('duplicate messageIds are loaded once and the drops are counted', async () => {
  const userId = `u-${randomUUID()}`;
  const messageId = randomUUID();
  const metric = async () => {
    const text = await (await fetch(`${product.url}/metrics`)).text();
    return Number(/^cdp_events_duplicate_total (\d+)/m.exec(text)?.[1] ?? 0);
  };
  const before = await metric();
  const event = { type: 'track', userId, messageId, event: 'Retried' };
  // The same message three times: in one batch, and again in a later request.
  expect((await product.post('/v1/batch', { batch: [event, event] })).status).toBe(200);
  await product.waitForRows(`SELECT 1 FROM events WHERE user_id = '${userId}'`, (r) => r.length === 1);
  expect((await product.post('/v1/track', event)).status).toBe(200);
  // A marker sent after the duplicate proves the loader has processed it.
  expect((await product.post('/v1/track', { userId, event: 'Marker' })).status).toBe(200);
  await product.waitForRows(`SELECT 1 FROM events WHERE user_id = '${userId}' AND event = 'Marker'`, (r) => r.length === 1);
  expect(await count(`user_id = '${userId}' AND message_id = '${messageId}'`)).toBe(1);
  expect((await metric()) - before).toBe(2);
});

test('the same messageId from another source is a different message', async () => {
  const key = await product.keys.create('write', 'app');
  const userId = `u-${randomUUID()}`;
  const messageId = randomUUID();
  await product.post('/v1/track', { userId, messageId, event: 'Shared Id' });
  await product.post('/v1/track', { userId, messageId, event: 'Shared Id' }, { auth: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });
  const rows = await product.waitForRows<{ source_id: string }>(`SELECT source_id FROM events WHERE user_id = '${userId}' ORDER BY source_id`, (r) => r.length === 2);
  expect(rows.map((r) => r.source_id)).toEqual(['app', 'web']);
});

test('clock skew: timestamp = receivedAt − (sentAt − originalTimestamp)', async () => {
  const userId = `u-${randomUUID()}`;
  // A device whose clock is two hours behind: it says it sent now-2h an event that happened 30 s before that.
  const deviceNow = Date.now() - 2 * 3600_000;
  const before = Date.now();
  await product.post('/v1/track', {
    userId,
    event: 'Skewed',
    originalTimestamp: new Date(deviceNow - 30_000).toISOString(),
    sentAt: new Date(deviceNow).toISOString(),
  });
  const after = Date.now();
  const [row] = await product.waitForRows<{ ts: string; received: string; original: string }>(
    `SELECT toUnixTimestamp64Milli(timestamp) AS ts, toUnixTimestamp64Milli(received_at) AS received, toUnixTimestamp64Milli(original_timestamp) AS original
     FROM events WHERE user_id = '${userId}'`,
    (r) => r.length === 1,
  );
  const received = Number(row!.received);
  expect(received).toBeGreaterThanOrEqual(before);
  expect(received).toBeLessThanOrEqual(after);
  expect(Number(row!.original)).toBe(deviceNow - 30_000);
  expect(Number(row!.ts)).toBe(received - 30_000);
});

test('clock skew: the correction is bounded (24 h by default)', async () => {
  const userId = `u-${randomUUID()}`;
  // A request replayed three days after it was built keeps its old sentAt: its events must not move by three days.
  const sentAt = Date.now() - 3 * 24 * 3600_000;
  await product.post('/v1/track', { userId, event: 'Replayed', originalTimestamp: new Date(sentAt - 1000).toISOString(), sentAt: new Date(sentAt).toISOString() });
  const [row] = await product.waitForRows<{ ts: string; original: string }>(
    `SELECT toUnixTimestamp64Milli(timestamp) AS ts, toUnixTimestamp64Milli(original_timestamp) AS original FROM events WHERE user_id = '${userId}'`,
    (r) => r.length === 1,
  );
  expect(Number(row!.ts) - Number(row!.original)).toBe(24 * 3600_000);
});

test('historical timestamps across many months load in one request', async () => {
  const userId = `u-${randomUUID()}`;
  const batch = Array.from({ length: 150 }, (_, i) => ({
    type: 'track',
    userId,
    event: 'Order Completed',
    timestamp: new Date(Date.UTC(1997, i, 1)).toISOString(),
    properties: { order_id: `h-${i}`, revenue: i },
  }));
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  const rows = await product.waitForRows<{ n: string; months: string }>(
    `SELECT count() AS n, uniqExact(toYYYYMM(timestamp)) AS months FROM events WHERE user_id = '${userId}'`,
    (r) => Number(r[0]?.n) === 150,
  );
  expect(Number(rows[0]!.months)).toBe(150);
});
