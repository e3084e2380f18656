import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { openClickHouse } from '../../pipeline/clickhouse/open-clickhouse.js';
import type { DataQuality } from '../../pipeline/dashboard/dashboard-types.js';
import { inferPlan } from '../../ingest/tracking-plans/plan-inference.js';
import { ADMIN_KEY, basicAuth, startTestProduct, WRITE_KEY, type TestProduct } from '../helpers/test-product.js';

// What is read about tracking plans, against a real product: drafts inferred from events sent through the
// tracking API, and the violations route and the dashboard's data-quality JSON over tracking_violations rows
// inserted here (the loader that writes them at ingest is tested with it).

let product: TestProduct;
let clickhouse: ClickHouseClient;
let readKey: string;
const HOUR = 3_600_000;
const now = Date.now();

const get = (route: string, key: string | null = ADMIN_KEY) => fetch(`${product.url}${route}`, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
async function json<T = any>(route: string, key: string | null = ADMIN_KEY): Promise<T> {
  const res = await get(route, key);
  const body = await res.json();
  expect(res.status, `${route}: ${JSON.stringify(body)}`).toBe(200);
  return body as T;
}

// What the web source sends: 25 orders (currency one of two, a coupon on every fifth), 3 identifies, 2 pages.
const orders = Array.from({ length: 25 }, (_, i) => ({
  type: 'track',
  event: 'Order Completed',
  userId: `u${i % 5}`,
  messageId: `m-order-${i}`,
  properties: { order_id: `o${i}`, revenue: 10 + i + 0.5, currency: i % 2 ? 'EUR' : 'USD', ...(i % 5 === 0 ? { coupon: 'WELCOME' } : {}), items: [{ sku: `s${i}`, qty: 1 }] },
}));
const identifies = Array.from({ length: 3 }, (_, i) => ({ type: 'identify', userId: `u${i}`, messageId: `m-identify-${i}`, traits: { email: `u${i}@example.com`, age: 30 + i } }));
const pages = [
  { type: 'page', anonymousId: 'a1', messageId: 'm-page-0', name: 'Home', properties: { url: 'https://shop.example/' } },
  { type: 'page', anonymousId: 'a1', messageId: 'm-page-1', name: 'Sale', properties: { url: 'https://shop.example/sale', search: '?q=shoes' } },
];
const sent = [...orders, ...identifies, ...pages];

beforeAll(async () => {
  product = await startTestProduct();
  readKey = await product.keys.create('read', 'analyst');
  const appKey = await product.keys.create('write', 'app');
  expect((await product.post('/v1/batch', { batch: sent })).status).toBe(200);
  const app = await product.post('/v1/track', { userId: 'u1', event: 'App Opened', properties: { version: '2.1.0' } }, { auth: basicAuth(appKey) });
  expect(app.status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === sent.length + 1);
  clickhouse = await openClickHouse(product.config);
});

afterAll(async () => {
  await clickhouse?.close();
  await product?.destroy();
});

describe('GET /v1/tracking-plans/infer', () => {
  test("drafts the plan of the source's events as loaded: the pure inference over what was sent", async () => {
    const answer = await json('/v1/tracking-plans/infer?source=web&days=7');
    const truth = inferPlan('web', [
      { type: 'track', event: 'Order Completed', payloads: orders.map((o) => o.properties) },
      { type: 'page', event: '', payloads: pages.map((p) => p.properties) },
      { type: 'identify', event: '', payloads: identifies.map((e) => e.traits) },
    ]);
    expect(answer.plan).toEqual(truth);
    expect(answer.plan.rules[0]).toEqual({
      type: 'track',
      event: 'Order Completed',
      properties: {
        type: 'object',
        properties: {
          coupon: { type: 'string' },
          currency: { type: 'string', enum: ['EUR', 'USD'] },
          items: { type: 'array', items: { type: 'object', properties: { qty: { type: 'integer' }, sku: { type: 'string' } }, required: ['qty', 'sku'] } },
          order_id: { type: 'string' },
          revenue: { type: 'number' },
        },
        required: ['currency', 'items', 'order_id', 'revenue'],
      },
    });
    expect(answer.observed).toEqual([
      { type: 'track', event: 'Order Completed', events: 25, sampled: 25 },
      { type: 'identify', event: '', events: 3, sampled: 3 },
      { type: 'page', event: '', events: 2, sampled: 2 },
    ]);
  });

  test('only the named source, only the window', async () => {
    const app = await json('/v1/tracking-plans/infer?source=app');
    expect(app.plan.rules).toEqual([{ type: 'track', event: 'App Opened', properties: { type: 'object', properties: { version: { type: 'string' } }, required: ['version'] } }]);
    expect((await json('/v1/tracking-plans/infer?source=nobody&days=1')).plan).toEqual({ name: 'nobody (inferred)', sources: ['nobody'], violations: 'allow', unplanned_events: 'allow', rules: [] });
    const old = `m-old-${randomUUID()}`;
    await clickhouse.insert({
      table: `${product.config.CLICKHOUSE_DATABASE}.events`,
      format: 'JSONEachRow',
      values: [{ message_id: old, type: 'track', event: 'Old Event', source_id: 'app', timestamp: chTime(now - 3 * 24 * HOUR), original_timestamp: chTime(now - 3 * 24 * HOUR), received_at: chTime(now - 3 * 24 * HOUR), properties: '{}' }],
    });
    expect((await json('/v1/tracking-plans/infer?source=app&days=2')).plan.rules.map((r: { event: string }) => r.event)).toEqual(['App Opened']);
    expect((await json('/v1/tracking-plans/infer?source=app&days=4')).plan.rules.map((r: { event: string }) => r.event)).toEqual(['App Opened', 'Old Event']);
  });

  test('takes an admin key; refuses bad input with 400', async () => {
    expect((await get('/v1/tracking-plans/infer?source=web', null)).status).toBe(401);
    expect((await get('/v1/tracking-plans/infer?source=web', WRITE_KEY)).status).toBe(401);
    const read = await get('/v1/tracking-plans/infer?source=web', readKey);
    expect([read.status, (await read.json()).code]).toEqual([403, 'forbidden']);
    for (const query of ['', '?source=', '?source=web&days=0', '?source=web&days=366', '?source=web&days=two']) {
      const res = await get(`/v1/tracking-plans/infer${query}`);
      expect(res.status, query).toBe(400);
      expect((await res.json()).code, query).toBe('invalid_request');
    }
  });
});

/** Violation rows as the loader writes them; `at` hours ago. */
async function violations(rows: { plan: string; type?: string; event: string; violation: string; path: string; message_id: string; at: number; message?: string }[]) {
  await clickhouse.insert({
    table: `${product.config.CLICKHOUSE_DATABASE}.tracking_violations`,
    format: 'JSONEachRow',
    values: rows.map((r) => ({
      message_id: r.message_id,
      profile_id: 'p_test',
      source_id: 'web',
      plan_id: r.plan,
      plan_version: 1,
      type: r.type ?? 'track',
      event: r.event,
      violation: r.violation,
      path: r.path,
      message: r.message ?? `${r.path} is wrong`,
      received_at: chTime(now - r.at * HOUR),
    })),
  });
}

describe('violations', () => {
  beforeAll(async () => {
    await violations([
      // plan shop: within the last day, on real events so that the dashboard finds their payloads.
      ...[0, 1, 2].map((i) => ({ plan: 'shop', event: 'Order Completed', violation: 'datatype_mismatch', path: '/revenue', message_id: `m-order-${i}`, at: 1, message: 'must be integer' })),
      ...[3, 4].map((i) => ({ plan: 'shop', event: 'Order Completed', violation: 'required_missing', path: '/coupon', message_id: `m-order-${i}`, at: 2, message: "must have required property 'coupon'" })),
      { plan: 'shop', type: 'identify', event: '', violation: 'format_mismatch', path: '/email', message_id: 'm-identify-1', at: 3, message: 'must match format "email"' },
      // plan shop, two days ago: outside the default window.
      { plan: 'shop', event: 'Order Completed', violation: 'additional_property', path: '/items', message_id: 'm-order-9', at: 48 },
      // another plan.
      { plan: 'app', event: 'App Opened', violation: 'unplanned_event', path: '', message_id: 'm-app-0', at: 1 },
    ]);
  });

  test('GET /v1/tracking-plans/:id/violations: counts by event, violation and path with an example, most frequent first; totals by type', async () => {
    const body = await json('/v1/tracking-plans/shop/violations', readKey);
    expect(Date.parse(body.since)).toBeGreaterThan(Date.now() - 24 * HOUR - 60_000);
    expect(body).toMatchObject({
      success: true,
      plan_id: 'shop',
      total: 6,
      by_violation: [
        { violation: 'datatype_mismatch', count: 3 },
        { violation: 'required_missing', count: 2 },
        { violation: 'format_mismatch', count: 1 },
      ],
      counts: [
        { type: 'track', event: 'Order Completed', violation: 'datatype_mismatch', path: '/revenue', count: 3, example_message_id: 'm-order-0', example_message: 'must be integer' },
        { type: 'track', event: 'Order Completed', violation: 'required_missing', path: '/coupon', count: 2, example_message_id: 'm-order-3', example_message: "must have required property 'coupon'" },
        { type: 'identify', event: '', violation: 'format_mismatch', path: '/email', count: 1, example_message_id: 'm-identify-1', example_message: 'must match format "email"' },
      ],
    });
    const since = new Date(now - 72 * HOUR).toISOString();
    const longer = await json(`/v1/tracking-plans/shop/violations?since=${encodeURIComponent(since)}`, readKey);
    expect(longer.since).toBe(since);
    expect(longer.total).toBe(7);
    expect(longer.counts.map((c: { violation: string }) => c.violation)).toContain('additional_property');
    expect(await json('/v1/tracking-plans/unknown-plan/violations', readKey)).toMatchObject({ plan_id: 'unknown-plan', total: 0, by_violation: [], counts: [] });
  });

  test('GET /v1/tracking-plans/:id/violations takes a read key; refuses a bad since or id with 400', async () => {
    expect((await get('/v1/tracking-plans/shop/violations', null)).status).toBe(401);
    expect((await get('/v1/tracking-plans/shop/violations', WRITE_KEY)).status).toBe(401);
    expect((await get('/v1/tracking-plans/shop/violations', ADMIN_KEY)).status).toBe(200);
    for (const route of ['/v1/tracking-plans/shop/violations?since=yesterday', '/v1/tracking-plans/shop/violations?since=2026-01-01', '/v1/tracking-plans/Shop!/violations']) {
      const res = await get(route, readKey);
      expect(res.status, route).toBe(400);
      expect((await res.json()).code, route).toBe('invalid_request');
    }
  });

  test('GET /v1/dashboard/data-quality: violations over time by plan and type, refused events, top events and paths with their payloads', async () => {
    await clickhouse.insert({
      table: `${product.config.CLICKHOUSE_DATABASE}.rejected_events`,
      format: 'JSONEachRow',
      values: [{ rejection_id: randomUUID(), received_at: chTime(now - HOUR), source_id: 'web', route: '/v1/track', batch_index: 0, reason: 'tracking_plan', errors: '[]', payload: '{}' }],
    });
    const day = await json<DataQuality>('/v1/dashboard/data-quality?days=1');
    expect(day).toMatchObject({ days: 1, bucket_ms: HOUR, total: 7, blocked: 1 });
    expect(day.buckets).toHaveLength(24);
    const series = Object.fromEntries(day.series.map((s) => [`${s.plan_id} ${s.violation}`, s]));
    expect(Object.keys(series).sort()).toEqual(['app unplanned_event', 'shop datatype_mismatch', 'shop format_mismatch', 'shop required_missing']);
    expect(series['shop datatype_mismatch']!.total).toBe(3);
    expect(series['shop datatype_mismatch']!.counts.reduce((a, b) => a + b, 0)).toBe(3);
    // Received an hour ago: in the bucket of that hour.
    const hourAgo = day.buckets.indexOf(Math.floor((now - HOUR) / HOUR) * HOUR);
    expect(hourAgo).toBeGreaterThanOrEqual(21);
    expect(series['shop datatype_mismatch']!.counts[hourAgo]).toBe(3);
    expect(day.top_events[0]).toEqual({
      plan_id: 'shop',
      type: 'track',
      event: 'Order Completed',
      violations: 5,
      events: 5,
      example: { message_id: 'm-order-0', payload: orders[0]!.properties },
    });
    expect(day.top_paths[0]).toMatchObject({ plan_id: 'shop', violation: 'datatype_mismatch', path: '/revenue', violations: 3, message: 'must be integer', example: { message_id: 'm-order-0', payload: orders[0]!.properties } });
    const identify = day.top_paths.find((p) => p.type === 'identify')!;
    expect(identify.example).toEqual({ message_id: 'm-identify-1', payload: identifies[1]!.traits });
    // No event behind it (the app source's example was never sent): no payload.
    expect(day.top_paths.find((p) => p.plan_id === 'app')!.example).toEqual({ message_id: 'm-app-0', payload: null });

    const week = await json<DataQuality>('/v1/dashboard/data-quality');
    expect(week).toMatchObject({ days: 7, bucket_ms: 24 * HOUR, total: 8 });
    expect(week.buckets).toHaveLength(7);
  });

  test('GET /v1/dashboard/data-quality takes an admin key; refuses bad input with 400', async () => {
    expect((await get('/v1/dashboard/data-quality', null)).status).toBe(401);
    const read = await get('/v1/dashboard/data-quality', readKey);
    expect([read.status, (await read.json()).code]).toEqual([403, 'forbidden']);
    for (const days of ['0', '91', 'week']) expect((await get(`/v1/dashboard/data-quality?days=${days}`)).status, days).toBe(400);
  });
});
