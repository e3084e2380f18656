import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createClickHouse, type ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { createLogger } from '../../pipeline/core/logger.js';
import { redisFor } from '../../pipeline/redis/connection.js';
import { queuePrefix, redisKeyNames } from '../../pipeline/redis/key-names.js';
import { startAlertDeliveries } from '../../segments/alerts/alert-delivery.js';
import type { AlertOutcome } from '../../segments/alerts/alert-evaluator.js';
import { createAlertStore, type AlertStore } from '../../segments/alerts/alert-store.js';
import { HOUR, MINUTE, at, insertEvents, startReceiver, type EventRow, type Receiver } from '../helpers/alert-fixtures.js';
import { waitFor } from '../helpers/wait-for.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';
import type { RedisClient } from '../../pipeline/redis/connection.js';

// Alerts, each kind firing and resolving once, on events written into ClickHouse with the times each test
// needs; minutes are evaluated through product.alerts.evaluate (the scheduler's path is alerts-scheduler.test.ts).
// The product runs without the scheduler role, so that no real-time evaluation interleaves with the minutes
// evaluated here; the test runs the delivery worker the scheduler role would run. KPI_TIME_ZONE is
// Europe/Berlin (UTC+1 in November), SHOP_CURRENCY is EUR; DESTINATIONS_ALLOW_PRIVATE lets the webhooks reach
// the receiver on 127.0.0.1 (the refusal without it: alerts-dashboard.test.ts). Each test deletes its alerts, so that the next
// test's minutes evaluate only its own.

const SECRET = `alsec_${randomUUID()}${randomUUID()}`;
let product: TestProduct;
let receiver: Receiver;
let readKey: string;
let redis: RedisClient;
let clickhouse: ClickHouseClient;
let deliveries: { close(force?: boolean): Promise<unknown> };
let store: AlertStore;

const call = (method: string, route: string, body?: unknown, key: string | null = ADMIN_KEY) => product.request(method, route, body, { auth: key === null ? null : `Bearer ${key}` });

const alertBody = (name: string, metric: string, rule: Record<string, unknown>, path: string) => ({ name, metric, ...rule, webhook: { url: `${receiver.url}${path}`, secret: SECRET } });

async function putAlert(id: string, metric: string, rule: Record<string, unknown>, path = `/${id}`) {
  const res = await call('PUT', `/v1/alerts/${id}`, alertBody(id, metric, rule, path));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.alert;
}

async function evaluate(id: string, iso: string): Promise<AlertOutcome> {
  const outcomes = await product.alerts!.evaluate(at(iso));
  const outcome = outcomes.find((o) => o.id === id);
  expect(outcome, `alert ${id} evaluated at ${iso}`).toBeDefined();
  return outcome!;
}

const deliveredTo = (path: string) => receiver.received.filter((r) => r.path === path && r.status === 200);

async function waitForDeliveries(path: string, n: number) {
  await waitFor(`${n} deliveries to ${path}`, () => deliveredTo(path).length >= n, 30_000);
  return deliveredTo(path);
}

const states = async (id: string) => ((await call('GET', `/v1/alerts/${id}/events`)).body.events as { state: string; at: string; value: number | null }[]).reverse();

beforeAll(async () => {
  receiver = await startReceiver(SECRET);
  product = await startTestProduct({ env: { KPI_TIME_ZONE: 'Europe/Berlin', SHOP_CURRENCY: 'EUR', WEBHOOK_BACKOFF_MS: '50', WEBHOOK_ATTEMPTS: '3', DESTINATIONS_ALLOW_PRIVATE: 'true' } });
  readKey = await product.keys.create('read', 'alerts-reader');
  redis = redisFor(product.redis, 'worker');
  clickhouse = createClickHouse(product.config);
  store = createAlertStore({ clickhouse, database: product.config.CLICKHOUSE_DATABASE, redis, keys: redisKeyNames(product.config.QUEUE_PREFIX).alerts });
  deliveries = startAlertDeliveries(redis, product.config, store, createLogger(product.config));
});

afterAll(async () => {
  // The test's own connections first: the product's destroy removes the data folder.
  await deliveries?.close();
  redis?.disconnect();
  await clickhouse?.close();
  await product?.destroy();
  await receiver?.close();
});

describe('routes', () => {
  const valid = () => alertBody('Orders', 'orders_per_hour', { threshold: { op: 'lt', value: 1, for_minutes: 30 } }, '/x');

  test('every route needs an admin key: none is 401, a read key 403', async () => {
    const routes: [string, string, unknown?][] = [
      ['POST', '/v1/alerts', valid()],
      ['PUT', '/v1/alerts/any', valid()],
      ['GET', '/v1/alerts'],
      ['GET', '/v1/alerts/any'],
      ['GET', '/v1/alerts/any/versions'],
      ['GET', '/v1/alerts/any/events'],
      ['DELETE', '/v1/alerts/any'],
      ['POST', '/v1/alerts/any/replay', {}],
    ];
    for (const [method, route, body] of routes) {
      const none = await call(method, route, body, null);
      expect([none.status, none.body.code], `${method} ${route}`).toEqual([401, 'missing_key']);
      const read = await call(method, route, body, readKey);
      expect([read.status, read.body.code], `${method} ${route}`).toEqual([403, 'forbidden']);
    }
  });

  test('bad input is 400 naming what is wrong, and stores nothing', async () => {
    const bad: [unknown, RegExp][] = [
      [{ ...valid(), metric: 'orders_per_day' }, /metric/],
      [{ ...valid(), metric: 'complaints_open_over_hours:0' }, /metric/],
      [{ ...valid(), metric: 'complaints_open_over_hours:x' }, /metric/],
      [{ ...valid(), anomaly: { sensitivity: 3, min_change: 1 } }, /either threshold or anomaly/],
      [{ name: 'x', metric: 'nps_day', webhook: valid().webhook }, /either threshold or anomaly/],
      [{ ...valid(), threshold: { op: 'eq', value: 1 } }, /op/],
      [{ ...valid(), threshold: { op: 'gt', value: 1, for_minutes: 0 } }, /for_minutes/],
      [{ ...valid(), threshold: { op: 'gt', value: '1' } }, /value/],
      [{ ...valid(), threshold: undefined, anomaly: { sensitivity: 3 } }, /min_change/],
      [{ ...valid(), threshold: undefined, anomaly: { sensitivity: -1, min_change: 1 } }, /sensitivity/],
      [{ ...valid(), webhook: { url: valid().webhook.url, secret: 'short' } }, /secret/],
      [{ ...valid(), webhook: { url: 'ftp://example.com/x', secret: SECRET } }, /url/],
      [{ ...valid(), webhook: { url: 'https://user:pw@example.com/x', secret: SECRET } }, /url/],
      [{ ...valid(), surprise: 1 }, /surprise/],
      [{ ...valid(), name: '' }, /name/],
      [{ ...valid(), id: 'other' }, /id/],
    ];
    for (const [body, message] of bad) {
      const res = await call('PUT', '/v1/alerts/bad-input', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('invalid_request');
      expect(res.body.message, JSON.stringify(body)).toMatch(message);
    }
    for (const [method, route] of [['PUT', '/v1/alerts/Bad%20Id'], ['GET', '/v1/alerts/Bad%20Id'], ['GET', '/v1/alerts/Bad%20Id/versions'], ['GET', '/v1/alerts/Bad%20Id/events'], ['DELETE', '/v1/alerts/Bad%20Id']] as const) {
      const res = await call(method, route, method === 'PUT' ? valid() : undefined);
      expect([res.status, res.body.code], `${method} ${route}`).toEqual([400, 'invalid_request']);
    }
    expect((await call('POST', '/v1/alerts', { ...valid(), id: 'Bad Id' })).status).toBe(400);
    expect((await call('GET', '/v1/alerts/any/events?limit=0')).status).toBe(400);
    expect((await call('GET', '/v1/alerts/any/events?limit=x')).status).toBe(400);
    for (const route of ['/v1/alerts/bad-input', '/v1/alerts/bad-input/versions', '/v1/alerts/bad-input/events']) {
      const res = await call('GET', route);
      expect([res.status, res.body.code], route).toEqual([404, 'CDP_ALERT_NOT_FOUND']);
    }
    expect((await call('DELETE', '/v1/alerts/bad-input')).status).toBe(404);
    expect((await call('POST', '/v1/alerts/bad-input/replay', {})).status).toBe(404);
    expect((await call('POST', '/v1/alerts/Bad%20Id/replay', {})).status).toBe(400);
    expect((await call('POST', '/v1/alerts/any/replay', { delivery_id: 1 })).status).toBe(400);
  });

  test('PUT creates (201), the same body again is 200 without a version, a change makes the next; POST makes a new id or 409; the secret is never shown nor in ClickHouse', async () => {
    const created = await call('PUT', '/v1/alerts/versioned', valid());
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.alert).toMatchObject({ id: 'versioned', version: 1, metric: 'orders_per_hour', threshold: { op: 'lt', value: 1, for_minutes: 30 }, webhook: { url: `${receiver.url}/x` } });
    expect((await call('PUT', '/v1/alerts/versioned', valid())).status).toBe(200);
    const changed = await call('PUT', '/v1/alerts/versioned', { ...valid(), threshold: undefined, anomaly: { min_change: 2 } });
    expect(changed.status).toBe(200);
    expect(changed.body.alert).toMatchObject({ version: 2, anomaly: { sensitivity: 3, min_change: 2 } });
    expect(changed.body.alert.threshold).toBeUndefined();
    const versions = await call('GET', '/v1/alerts/versioned/versions');
    expect(versions.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);

    const clash = await call('POST', '/v1/alerts', { ...valid(), id: 'versioned' });
    expect([clash.status, clash.body.code]).toEqual([409, 'already_exists']);
    const generated = await call('POST', '/v1/alerts', valid());
    expect(generated.status).toBe(201);
    expect(generated.body.alert.id).toMatch(/^alert_[0-9a-f]{12}$/);

    const list = await call('GET', '/v1/alerts');
    expect(list.body.alerts.map((a: { id: string }) => a.id).sort()).toEqual([generated.body.alert.id, 'versioned'].sort());
    expect(list.body.alerts[0].state).toEqual({ state: 'ok', since: null, value: null, evaluated_at: null });
    const one = await call('GET', '/v1/alerts/versioned');
    for (const answer of [created, changed, versions, generated, list, one]) expect(JSON.stringify(answer.body)).not.toContain(SECRET);
    const rows = await product.sql<{ n: string }>(`SELECT count() AS n FROM alert_definitions WHERE position(definition, '${SECRET}') > 0`);
    expect(Number(rows[0]!.n)).toBe(0);
    expect(await redis.get(redisKeyNames(product.config.QUEUE_PREFIX).alerts.secret('versioned'))).toBe(SECRET);

    for (const id of ['versioned', generated.body.alert.id]) expect((await call('DELETE', `/v1/alerts/${id}`)).status).toBe(200);
  });
});

describe('threshold alerts', () => {
  test('orders and revenue per hour: each order once, refunds aside, revenue in the shop currency; firing after for_minutes, resolving, signed webhooks', async () => {
    // The hour before 10:00 on 10 November holds o1 50 EUR, o2 30 EUR, o3 40 EUR (sent again at 09:59:10 under
    // another message id: one order), o4 500 USD (an order, not revenue), and an order without order_id
    // (5 EUR) loaded twice under one message id: 5 orders, 125 EUR.
    const twice = randomUUID();
    const order = (iso: string, order_id: string, revenue: number, currency = 'EUR', message_id?: string): EventRow => ({ at: at(iso), event: 'Order Completed', order_id, revenue, currency, message_id });
    await insertEvents(product, [
      order('2026-11-10T09:58:30Z', 'o1', 50),
      order('2026-11-10T09:58:40Z', 'o2', 30),
      order('2026-11-10T09:58:50Z', 'o3', 40),
      order('2026-11-10T09:59:10Z', 'o3', 40),
      order('2026-11-10T09:58:45Z', 'o4', 500, 'USD'),
      order('2026-11-10T09:58:55Z', '', 5, 'EUR', twice),
      order('2026-11-10T09:58:55Z', '', 5, 'EUR', twice),
      { at: at('2026-11-10T09:59:30Z'), event: 'Order Refunded', order_id: 'o1' },
    ]);
    await putAlert('orders', 'orders_per_hour', { threshold: { op: 'gt', value: 3, for_minutes: 2 } });
    await putAlert('revenue', 'revenue_per_hour', { threshold: { op: 'gte', value: 100 } });

    // 09:59 (the minute ending then): 5 orders, but the minute before (computed from the events: 0) did not hold.
    expect(await evaluate('orders', '2026-11-10T09:59:00Z')).toMatchObject({ value: 5, state: 'ok', changed: false });
    const revenueFires = (await product.alerts!.evaluate(at('2026-11-10T09:59:00Z'))).find((o) => o.id === 'revenue');
    expect(revenueFires).toMatchObject({ value: 125, state: 'firing', changed: true });
    // 10:00: held at 09:59 and now.
    expect(await evaluate('orders', '2026-11-10T10:00:00Z')).toMatchObject({ value: 5, state: 'firing', changed: true });
    // 10:59: the hour from 09:59 holds only o3's resend: no new order.
    expect(await evaluate('orders', '2026-11-10T10:59:00Z')).toMatchObject({ value: 0, state: 'resolved', changed: true });
    expect(await evaluate('revenue', '2026-11-10T10:59:30Z')).toMatchObject({ value: 0, state: 'resolved', changed: true });

    expect((await states('orders')).map((e) => [e.state, e.at, e.value])).toEqual([
      ['firing', '2026-11-10T10:00:00.000Z', 5],
      ['resolved', '2026-11-10T10:59:00.000Z', 0],
    ]);
    const got = await waitForDeliveries('/orders', 2);
    expect(got.every((r) => r.signatureValid)).toBe(true);
    expect(got.map((r) => [r.deliveryId, r.body.state, r.body.previous_state, r.body.value, r.body.at])).toEqual([
      [`orders.${at('2026-11-10T10:00:00Z')}`, 'firing', 'ok', 5, '2026-11-10T10:00:00.000Z'],
      [`orders.${at('2026-11-10T10:59:00Z')}`, 'resolved', 'firing', 0, '2026-11-10T10:59:00.000Z'],
    ]);
    expect(got[0]!.body).toMatchObject({ delivery_id: got[0]!.deliveryId, alert: { id: 'orders', name: 'orders', metric: 'orders_per_hour', version: 1 }, condition: { threshold: { op: 'gt', value: 3, for_minutes: 2 } } });
    expect((await waitForDeliveries('/revenue', 2)).map((r) => [r.body.state, r.body.value])).toEqual([['firing', 125], ['resolved', 0]]);

    const listed = (await call('GET', '/v1/alerts')).body.alerts.find((a: { id: string }) => a.id === 'orders');
    expect(listed.state).toEqual({ state: 'resolved', since: '2026-11-10T10:59:00.000Z', value: 0, evaluated_at: '2026-11-10T10:59:00.000Z' });
    // A minute evaluated again (a second scheduler, a retry) changes nothing and sends nothing more.
    expect(await evaluate('orders', '2026-11-10T10:00:00Z')).toMatchObject({ state: 'resolved', changed: false });
    for (const id of ['orders', 'revenue']) expect((await call('DELETE', `/v1/alerts/${id}`)).status).toBe(200);
  });

  test('complaints open over 24 hours, counted by their current open spell; a delivery refused once is retried under the same id', async () => {
    const D = at('2026-11-12T12:00:00Z');
    const complaint = (event: string, id: string, hoursBefore: number): EventRow => ({ at: D - hoursBefore * HOUR, event, profile_id: `p-${id}`, properties: { complaint_id: id, category: 'delivery', severity: 'high' } });
    await insertEvents(product, [
      complaint('Complaint Opened', 'c1', 30),
      complaint('Complaint Opened', 'c2', 2),
      complaint('Complaint Opened', 'c3', 40),
      complaint('Complaint Resolved', 'c3', 35),
      complaint('Complaint Opened', 'c4', 50),
      complaint('Complaint Resolved', 'c4', 45),
      complaint('Complaint Reopened', 'c4', 10),
      complaint('Complaint Opened', 'c5', 48),
      complaint('Complaint Resolved', 'c5', 47),
      complaint('Complaint Reopened', 'c5', 30),
    ]);
    receiver.behaviour.set('/complaints', (attempt) => (attempt === 1 ? 503 : 200));
    await putAlert('complaints', 'complaints_open_over_hours:24', { threshold: { op: 'gte', value: 2 } });
    // c1 (30 h) and c5 (reopened 30 h ago); c4's spell is 10 h, c2's 2 h, c3 is resolved.
    expect(await evaluate('complaints', '2026-11-12T12:00:00Z')).toMatchObject({ value: 2, state: 'firing', changed: true });
    await insertEvents(product, [complaint('Complaint Resolved', 'c1', -1 / 60)]);
    expect(await evaluate('complaints', '2026-11-12T12:05:00Z')).toMatchObject({ value: 1, state: 'resolved', changed: true });

    const got = await waitForDeliveries('/complaints', 2);
    expect(got.map((r) => r.body.state)).toEqual(['firing', 'resolved']);
    const firing = receiver.received.filter((r) => r.path === '/complaints' && r.deliveryId === `complaints.${D}`);
    expect(firing.map((r) => r.status)).toEqual([503, 200]);
    expect(firing.every((r) => r.signatureValid)).toBe(true);
    expect((await call('DELETE', '/v1/alerts/complaints')).status).toBe(200);
  });

  test("NPS of the local day: each profile's latest answer; no answer yet leaves the state as it is", async () => {
    const answer = (iso: string, profile: string, score: unknown, survey = 'nps'): EventRow => ({ at: at(iso), event: 'Survey Responded', profile_id: profile, properties: { survey, score } });
    await insertEvents(product, [
      // 14 November in Berlin runs from 13 Nov 23:00 to 14 Nov 23:00 UTC.
      answer('2026-11-13T22:30:00Z', 'n-d', 10), // the 13th, locally: not counted
      answer('2026-11-13T23:30:00Z', 'n-a', 3), // superseded by n-a's later answer
      answer('2026-11-14T08:00:00Z', 'n-a', 10),
      answer('2026-11-14T08:30:00Z', 'n-b', 2),
      answer('2026-11-14T09:10:00Z', 'n-c', '5'),
      answer('2026-11-14T09:20:00Z', 'n-e', 11), // not an answer
      answer('2026-11-14T09:25:00Z', 'n-f', 10, 'csat'), // another survey
    ]);
    await putAlert('nps', 'nps_day', { threshold: { op: 'lt', value: 0 } });
    const fired = await evaluate('nps', '2026-11-14T10:00:00Z');
    expect(fired).toMatchObject({ state: 'firing', changed: true });
    expect(fired.value).toBeCloseTo((100 * (1 - 2)) / 3, 9);
    await insertEvents(product, [answer('2026-11-14T10:30:00Z', 'n-g', 9), answer('2026-11-14T10:31:00Z', 'n-h', 10)]);
    expect(await evaluate('nps', '2026-11-14T11:00:00Z')).toMatchObject({ value: 20, state: 'resolved', changed: true });
    // 00:30 on the 15th in Berlin: no answer yet today.
    expect(await evaluate('nps', '2026-11-14T23:30:00Z')).toMatchObject({ value: null, state: 'resolved', changed: false });
    expect((await waitForDeliveries('/nps', 2)).map((r) => r.body.state)).toEqual(['firing', 'resolved']);
    expect((await call('DELETE', '/v1/alerts/nps')).status).toBe(200);
  });

  test('events per minute (a pipeline metric): for_minutes counts the minutes evaluated, since its past cannot be computed again', async () => {
    const page = (iso: string): EventRow => ({ at: at(iso), type: 'page', profile_id: 'p-visitor' });
    await insertEvents(product, [
      ...['10:00:05', '10:00:20', '10:00:40'].map((t) => page(`2026-10-05T${t}Z`)),
      ...['10:01:05', '10:01:20', '10:01:40', '10:01:50'].map((t) => page(`2026-10-05T${t}Z`)),
      page('2026-10-05T10:02:30Z'),
    ]);
    await putAlert('traffic', 'events_per_minute', { threshold: { op: 'gte', value: 3, for_minutes: 2 } });
    // 10:00 was never evaluated: the condition holds at 10:01 but has not been seen for 2 minutes.
    expect(await evaluate('traffic', '2026-10-05T10:01:00Z')).toMatchObject({ value: 3, state: 'ok', changed: false });
    expect(await evaluate('traffic', '2026-10-05T10:02:00Z')).toMatchObject({ value: 4, state: 'firing', changed: true });
    expect(await evaluate('traffic', '2026-10-05T10:03:00Z')).toMatchObject({ value: 1, state: 'resolved', changed: true });
    expect((await waitForDeliveries('/traffic', 2)).map((r) => r.body.state)).toEqual(['firing', 'resolved']);
    expect((await call('DELETE', '/v1/alerts/traffic')).status).toBe(200);
  });
});

describe('pipeline metrics', () => {
  test('load lag p95 over the rows loaded in the 5 minutes before; no row loaded leaves the state as it is', async () => {
    const rows = (iso: string, lagMs: number, n: number): EventRow[] => Array.from({ length: n }, (_, i) => ({ at: at(iso) + i * 1000, type: 'page', lagMs }));
    // 20 rows received from 09:57:00 and loaded 30 s later; 20 from 10:02:00 loaded 1 s later.
    await insertEvents(product, [...rows('2026-10-07T09:57:00Z', 30_000, 20), ...rows('2026-10-07T10:02:00Z', 1_000, 20)]);
    await putAlert('lag', 'load_lag_p95_seconds', { threshold: { op: 'gt', value: 10 } });
    expect(await evaluate('lag', '2026-10-07T10:00:00Z')).toMatchObject({ value: 30, state: 'firing', changed: true });
    expect(await evaluate('lag', '2026-10-07T10:05:00Z')).toMatchObject({ value: 1, state: 'resolved', changed: true });
    expect(await evaluate('lag', '2026-10-07T10:30:00Z')).toMatchObject({ value: null, state: 'resolved', changed: false });
    expect((await call('DELETE', '/v1/alerts/lag')).status).toBe(200);
  });

  test('rejected per minute: events the tracking API refused, counted by the minute they arrived in', async () => {
    const mark = randomUUID();
    for (let i = 0; i < 2; i++) expect((await product.post('/v1/track', { event: `refused-${mark}` })).status).toBe(400);
    const rows = await product.waitForRows<{ received: string }>(
      `SELECT toUnixTimestamp64Milli(received_at) AS received FROM rejected_events WHERE position(payload, '${mark}') > 0`,
      (r) => r.length === 2,
    );
    // The minutes ending after each refusal: both in one minute, or one in each of two.
    const ends = [...new Set(rows.map((r) => Math.floor(Number(r.received) / MINUTE) * MINUTE + MINUTE))].sort();
    await putAlert('refusals', 'rejected_per_minute', { threshold: { op: 'gte', value: ends.length === 1 ? 2 : 1 } });
    const fired = await evaluate('refusals', new Date(ends[0]!).toISOString());
    expect(fired).toMatchObject({ value: ends.length === 1 ? 2 : 1, state: 'firing', changed: true });
    const quiet = await evaluate('refusals', new Date(ends.at(-1)! + MINUTE).toISOString());
    expect(quiet).toMatchObject({ value: 0, state: 'resolved', changed: true });
    expect((await call('DELETE', '/v1/alerts/refusals')).status).toBe(200);
  });

  test('queue waiting: load jobs held while the workers are paused', async () => {
    await product.queue.pause();
    try {
      const res = await product.post('/v1/track', { userId: 'waiting-u', event: 'Queued While Paused' });
      expect(res.status).toBe(200);
      await putAlert('backlog', 'queue_waiting', { threshold: { op: 'gte', value: 1 } });
      const held = await evaluate('backlog', '2026-10-08T10:00:00Z');
      expect(held).toMatchObject({ state: 'firing', changed: true });
      expect(held.value).toBe(await product.queue.getWaitingCount());
    } finally {
      await product.queue.resume();
    }
    await product.waitForRows(`SELECT count() AS n FROM events WHERE event = 'Queued While Paused'`, (r) => Number((r[0] as { n: string }).n) === 1);
    await waitFor('an empty load queue', async () => (await product.queue.getWaitingCount()) === 0);
    expect(await evaluate('backlog', '2026-10-08T10:01:00Z')).toMatchObject({ value: 0, state: 'resolved', changed: true });
    expect((await call('DELETE', '/v1/alerts/backlog')).status).toBe(200);
  });

  test("dead letters: an alert's delivery that used up its attempts is one; replayed and delivered, none", async () => {
    let refuse = true;
    receiver.behaviour.set('/refused', () => (refuse ? 500 : 200));
    await putAlert('refused', 'events_per_minute', { threshold: { op: 'gte', value: 0 } });
    await putAlert('dlq', 'dead_letters', { threshold: { op: 'gte', value: 1 } });
    expect(await evaluate('refused', '2026-10-09T10:00:00Z')).toMatchObject({ state: 'firing', changed: true });
    // WEBHOOK_ATTEMPTS is 3.
    const eventsOf = async (id: string) => (await call('GET', `/v1/alerts/${id}/events`)).body.events as { delivery_id: string; delivery_state: string }[];
    await waitFor('the delivery to be dead-lettered', async () => (await eventsOf('refused'))[0]?.delivery_state === 'failed');
    expect(receiver.received.filter((r) => r.path === '/refused').map((r) => r.status)).toEqual([500, 500, 500]);
    expect(await evaluate('dlq', '2026-10-09T10:01:00Z')).toMatchObject({ value: 1, state: 'firing', changed: true });

    refuse = false;
    expect((await call('POST', '/v1/alerts/refused/replay', { delivery_id: 'dlq.1' })).status).toBe(400);
    expect((await call('POST', '/v1/alerts/refused/replay', {})).body).toEqual({ success: true, replayed: 1 });
    await waitForDeliveries('/refused', 1);
    await waitFor('the replayed delivery to complete', async () => (await eventsOf('refused'))[0]?.delivery_state === 'completed');
    expect(await evaluate('dlq', '2026-10-09T10:02:00Z')).toMatchObject({ value: 0, state: 'resolved', changed: true });
    for (const id of ['refused', 'dlq']) expect((await call('DELETE', `/v1/alerts/${id}`)).status).toBe(200);
  });
});

describe('anomaly alerts', () => {
  test('orders per hour over a generated 5-week series: a planted drop fires against the trailing hours in week 2 and against the same minute of the 4 weeks before in week 5', async () => {
    // From Monday 3 August 2026, every hour holds 11 to 13 orders spread over it, but for two planted hours
    // without any: the hour before Wednesday 15:00 UTC of week 2 (T2) and before Wednesday 10:00 of week 5 (T).
    const start = at('2026-08-03T00:00:00Z');
    const T2 = start + (7 * 24 + 2 * 24 + 15) * HOUR;
    const T = start + (4 * 7 * 24 + 2 * 24 + 10) * HOUR;
    const rows: EventRow[] = [];
    for (let h = 0; h < 5 * 7 * 24; h++) {
      const hourStart = start + h * HOUR;
      if (hourStart === T2 - HOUR || hourStart === T - HOUR) continue;
      const n = 12 + ((Math.floor(h / 168) + h) % 3) - 1;
      for (let i = 0; i < n; i++) rows.push({ at: hourStart + i * Math.floor(HOUR / n), event: 'Order Completed', order_id: `gen-${h}-${i}`, revenue: 10, currency: 'EUR', profile_id: `shopper-${i}` });
    }
    await insertEvents(product, rows);
    await putAlert('orders-anomaly', 'orders_per_hour', { anomaly: { sensitivity: 3, min_change: 5 } });
    const iso = (ms: number) => new Date(ms).toISOString();

    // Week 2: one week of history before, so the baseline is the trailing 3 hours (36 points).
    const before = await evaluate('orders-anomaly', iso(T2 - HOUR));
    expect(before).toMatchObject({ state: 'ok', changed: false, detail: { baseline: { kind: 'trailing', points: 36 } } });
    const drop2 = await evaluate('orders-anomaly', iso(T2));
    expect(drop2).toMatchObject({ value: 0, state: 'firing', changed: true, detail: { baseline: { kind: 'trailing', points: 36 } } });
    expect(await evaluate('orders-anomaly', iso(T2 + 2 * HOUR))).toMatchObject({ state: 'resolved', changed: true });

    // Week 5: four weeks before, at the same minute of the week.
    const normal = await evaluate('orders-anomaly', iso(T - 2 * HOUR));
    expect(normal).toMatchObject({ state: 'resolved', changed: false, detail: { baseline: { kind: 'weekly', points: 4 } } });
    const drop = await evaluate('orders-anomaly', iso(T));
    expect(drop).toMatchObject({ value: 0, state: 'firing', changed: true, detail: { condition: { anomaly: { sensitivity: 3, min_change: 5 } }, baseline: { kind: 'weekly', points: 4 } } });
    expect((drop.detail.baseline as { median: number }).median).toBeGreaterThanOrEqual(11);
    expect(await evaluate('orders-anomaly', iso(T + 2 * HOUR))).toMatchObject({ state: 'resolved', changed: true, detail: { baseline: { kind: 'weekly' } } });

    expect((await states('orders-anomaly')).map((e) => [e.state, e.at])).toEqual([
      ['firing', iso(T2)],
      ['resolved', iso(T2 + 2 * HOUR)],
      ['firing', iso(T)],
      ['resolved', iso(T + 2 * HOUR)],
    ]);
    const got = await waitForDeliveries('/orders-anomaly', 4);
    expect(got.map((r) => r.body.state)).toEqual(['firing', 'resolved', 'firing', 'resolved']);
    expect(got[2]!.body.baseline).toMatchObject({ kind: 'weekly', points: 4 });
    expect((await call('DELETE', '/v1/alerts/orders-anomaly')).status).toBe(200);
  });
});

describe('deletion', () => {
  test('a deleted alert is no longer evaluated nor listed, its secret and state are gone, a change still queued is dropped; its versions and events stay readable', async () => {
    const keys = redisKeyNames(product.config.QUEUE_PREFIX).alerts;
    // No delivery worker while the change is queued (as if the scheduler process were down).
    await deliveries.close();
    await putAlert('doomed', 'events_per_minute', { threshold: { op: 'gte', value: 0 } });
    expect(await evaluate('doomed', '2026-10-20T08:00:00Z')).toMatchObject({ state: 'firing', changed: true });
    expect((await call('DELETE', '/v1/alerts/doomed')).body).toEqual({ success: true, deleted: 'doomed' });

    expect((await call('GET', '/v1/alerts/doomed')).status).toBe(404);
    expect((await call('GET', '/v1/alerts')).body.alerts.map((a: { id: string }) => a.id)).not.toContain('doomed');
    expect(await redis.exists(keys.secret('doomed'), keys.state('doomed'))).toBe(0);
    expect((await product.alerts!.evaluate(at('2026-10-20T08:01:00Z'))).map((o) => o.id)).not.toContain('doomed');
    expect((await call('GET', '/v1/alerts/doomed/versions')).body.versions.map((v: { version: number }) => v.version)).toEqual([1]);
    expect((await call('GET', '/v1/alerts/doomed/events')).body.events.map((e: { state: string }) => e.state)).toEqual(['firing']);
    expect((await call('DELETE', '/v1/alerts/doomed')).status).toBe(404);

    // The worker again: the queued change finishes without a request; a later alert's change arrives.
    deliveries = startAlertDeliveries(redis, product.config, store, createLogger(product.config));
    await putAlert('marker', 'events_per_minute', { threshold: { op: 'gte', value: 0 } });
    await evaluate('marker', '2026-10-20T08:02:00Z');
    await waitForDeliveries('/marker', 1);
    const queue = new Queue('alert-deliveries', { connection: redis, prefix: queuePrefix(product.config.QUEUE_PREFIX, 'alert-deliveries') });
    const job = await queue.getJob(`doomed.${at('2026-10-20T08:00:00Z')}`);
    expect([await job?.getState(), job?.returnvalue]).toEqual(['completed', 'skipped: alert deleted']);
    await queue.close();
    expect(receiver.received.filter((r) => r.path === '/doomed')).toEqual([]);
    expect((await call('DELETE', '/v1/alerts/marker')).status).toBe(200);
  });
});
