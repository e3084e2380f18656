import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startReceiver, type HttpReceiver, type ReceivedRequest } from '../helpers/http-receiver.js';
import { ADMIN_KEY, basicAuth, startTestProduct, WRITE_KEY, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { queuePrefix } from '../../pipeline/redis/key-names.js';

// Event destinations against real HTTP receivers started here: every delivery of the webhook format has its
// signature checked with the documented scheme (not the product's code).

const SECRET = `whsec_${randomUUID()}${randomUUID()}`;
let product: TestProduct;
let receiver: HttpReceiver;
const run = randomUUID().slice(0, 8);

const admin = (method: string, path: string, body?: unknown) => product.request(method, path, body, { auth: `Bearer ${ADMIN_KEY}` });

async function create(body: Record<string, unknown>): Promise<string> {
  const res = await admin('POST', '/v1/destinations', { type: 'events', name: 'test', format: 'webhook', secret: SECRET, max_wait_ms: 100, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.destination.id;
}

function signatureValid(r: ReceivedRequest): boolean {
  const timestamp = String(r.headers['x-cdp-timestamp'] ?? '');
  const given = Buffer.from(String(r.headers['x-cdp-signature'] ?? ''));
  const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${r.raw}`).digest('hex')}`);
  return /^\d+$/.test(timestamp) && given.length === expected.length && timingSafeEqual(given, expected);
}

/** The events a path accepted, in the order they arrived. */
const eventsAt = (path: string): any[] => receiver.accepted(path).flatMap((r) => r.body.events ?? r.body.batch);

async function track(userId: string, event: string, more: Record<string, unknown> = {}): Promise<string> {
  const messageId = randomUUID();
  const res = await product.post('/v1/track', { userId, event, messageId, ...more });
  expect(res.status).toBe(200);
  return messageId;
}

async function metric(destination: string, outcome: string): Promise<number> {
  const text = await (await fetch(`${product.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`cdp_destination_events_total{destination="${destination}",outcome="${outcome}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

beforeAll(async () => {
  receiver = await startReceiver();
  product = await startTestProduct({
    env: { DESTINATIONS_ALLOW_PRIVATE: 'true', DESTINATION_RETRY_BASE_MS: '50', DESTINATION_RETRY_MAX_DELAY_MS: '400', DESTINATION_TIMEOUT_MS: '2000' },
  });
}, 120_000);

afterAll(async () => {
  await product?.destroy();
  await receiver?.close();
});

describe('formats', () => {
  test('webhook: {delivery_id, destination_id, events}, signed like the audience webhooks, each event the Segment object with context.cdp', async () => {
    const path = `/hook-${run}`;
    const id = await create({ url: `${receiver.url}${path}` });
    const read = await admin('GET', `/v1/destinations/${id}`);
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).not.toContain(SECRET);
    expect(read.body.destination).toMatchObject({ id, type: 'events', format: 'webhook', batch_size: 100, max_wait_ms: 100, paused: false, consent_categories: [] });
    const ids = [await track(`u-fmt-${run}`, 'Order Completed', { properties: { revenue: 12.5 } }), await track(`u-fmt-${run}`, 'Product Viewed')];
    await waitFor('both events', () => eventsAt(path).length >= 2);
    for (const r of receiver.accepted(path)) {
      expect(signatureValid(r)).toBe(true);
      expect(r.headers['x-cdp-delivery']).toBe(r.body.delivery_id);
      expect(r.body.destination_id).toBe(id);
      expect(r.body.delivery_id.startsWith(`${id}.`)).toBe(true);
    }
    const [first, second] = eventsAt(path);
    expect([first.messageId, second.messageId]).toEqual(ids);
    expect(first).toMatchObject({ type: 'track', event: 'Order Completed', userId: `u-fmt-${run}`, properties: { revenue: 12.5 } });
    expect(first.context.cdp.source_id).toBe('web');
    expect(first.context.cdp.profile_id).toMatch(/\S/);
    expect(second.context.cdp.profile_id).toBe(first.context.cdp.profile_id);
    const [row] = await product.sql<{ p: string }>(`SELECT profile_id AS p FROM events WHERE message_id = '${ids[0]}'`);
    expect(first.context.cdp.profile_id).toBe(row!.p);
    expect(Date.parse(first.timestamp)).toBeGreaterThan(0);
  });

  test('segment: {batch, sentAt} to <url>/v1/batch with the write key as Basic user', async () => {
    const base = `/seg-${run}`;
    const id = await create({ format: 'segment', secret: undefined, write_key: 'wk_remote_1', url: `${receiver.url}${base}` });
    const messageId = await track(`u-seg-${run}`, 'Signed Up');
    await waitFor('the batch', () => receiver.accepted(`${base}/v1/batch`).length >= 1);
    const [r] = receiver.accepted(`${base}/v1/batch`);
    expect(r!.headers.authorization).toBe(basicAuth('wk_remote_1'));
    expect(Date.parse(r!.body.sentAt)).toBeGreaterThan(0);
    expect(r!.body.batch).toHaveLength(1);
    expect(r!.body.batch[0]).toMatchObject({ type: 'track', event: 'Signed Up', messageId });
    expect(JSON.stringify((await admin('GET', '/v1/destinations')).body)).not.toContain('wk_remote_1');
    expect((await admin('GET', `/v1/destinations/${id}`)).body.destination.format).toBe('segment');
  });
});

describe('what goes out', () => {
  test('filters: types, events, exclude_events and sources', async () => {
    const path = `/filter-${run}`;
    const id = await create({ url: `${receiver.url}${path}`, filter: { types: ['track', 'identify'], events: ['Order Completed', 'Marker'], exclude_events: ['Marker Excluded'], sources: ['web'] } });
    const user = `u-filter-${run}`;
    await track(user, 'Product Viewed');
    await track(user, 'Marker Excluded');
    const order = await track(user, 'Order Completed');
    expect((await product.post('/v1/page', { userId: user, name: 'Home' })).status).toBe(200);
    const marker = await track(user, 'Marker');
    await waitFor('the marker', () => eventsAt(path).some((e) => e.messageId === marker));
    expect(eventsAt(path).map((e) => e.messageId)).toEqual([order, marker]);
    expect(await metric(id, 'filtered')).toBeGreaterThanOrEqual(3);
  });

  test('transform: reshapes, and drops what it maps to null or undefined', async () => {
    const path = `/transform-${run}`;
    const id = await create({
      url: `${receiver.url}${path}`,
      transform: 'event = "Drop Me" ? undefined : {"name": $uppercase(event), "user": userId, "profile": context.cdp.profile_id, "total": properties.revenue * 2}',
    });
    const user = `u-tr-${run}`;
    await track(user, 'Drop Me');
    await track(user, 'Order Completed', { properties: { revenue: 21 } });
    await waitFor('the reshaped event', () => eventsAt(path).length >= 1);
    const marker = await track(user, 'Marker');
    await waitFor('the marker', () => eventsAt(path).some((e) => e.name === 'MARKER'));
    const got = eventsAt(path);
    expect(got).toHaveLength(2);
    expect(got[0]).toEqual({ name: 'ORDER COMPLETED', user, profile: expect.stringMatching(/\S/), total: 42 });
    expect(marker).toBeTruthy();
    expect(await metric(id, 'filtered')).toBe(1);
  });

  test('consent on the event: granted goes out; denied and unstated do not (no_consent)', async () => {
    const path = `/consent-${run}`;
    const id = await create({ url: `${receiver.url}${path}`, consent_categories: ['marketing', 'analytics'] });
    const consent = (prefs: Record<string, unknown>) => ({ context: { consent: { categoryPreferences: prefs } } });
    const granted = await track(`u-c1-${run}`, 'Granted', consent({ marketing: true, analytics: true }));
    await track(`u-c2-${run}`, 'Denied', consent({ marketing: false, analytics: true }));
    await track(`u-c3-${run}`, 'Half Stated', consent({ analytics: true }));
    await track(`u-c4-${run}`, 'Unstated');
    await track(`u-c5-${run}`, 'Not A Boolean', consent({ marketing: 'yes', analytics: true }));
    const marker = await track(`u-c6-${run}`, 'Marker', consent({ marketing: true, analytics: true }));
    await waitFor('the marker', () => eventsAt(path).some((e) => e.messageId === marker));
    expect(eventsAt(path).map((e) => e.messageId)).toEqual([granted, marker]);
    expect(await metric(id, 'no_consent')).toBe(4);
  });

  test("consent on the profile: an event that says nothing reads the customer's latest statement, merged profiles included", async () => {
    const path = `/profile-consent-${run}`;
    const id = await create({ url: `${receiver.url}${path}`, filter: { types: ['track'] }, consent_categories: ['marketing'] });
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
    const marketing = (granted: boolean, h: number) => ({ timestamp: hoursAgo(h), context: { consent: { categoryPreferences: { marketing: granted } } } });
    const statements = async (n: number) => product.waitForRows(`SELECT count() AS n FROM profile_consent`, (r) => Number((r[0] as { n: string }).n) >= n);
    const counted = Number((await product.sql<{ n: string }>(`SELECT count() AS n FROM profile_consent`))[0]!.n);
    const send = async (who: { userId?: string; anonymousId?: string }, event: string, more: Record<string, unknown> = {}) => {
      const messageId = randomUUID();
      expect((await product.post('/v1/track', { ...who, event, messageId, ...more })).status).toBe(200);
      return messageId;
    };
    // Granted, then an event saying nothing: it goes out. Denied, then nothing: it does not. Never stated: not.
    const p1 = await send({ userId: `u-p1-${run}` }, 'Statement', marketing(true, 3));
    await send({ userId: `u-p2-${run}` }, 'Statement', marketing(false, 3));
    // Two halves of one customer each state before they are merged: the most recent statement wins.
    const p4user = await send({ userId: `u-p4-${run}` }, 'Statement', marketing(true, 2));
    await send({ anonymousId: `a-p4-${run}` }, 'Statement', marketing(false, 1));
    await send({ anonymousId: `a-p5-${run}` }, 'Statement', marketing(false, 2));
    const p5user = await send({ userId: `u-p5-${run}` }, 'Statement', marketing(true, 1));
    await statements(counted + 6);
    for (const n of ['p4', 'p5']) expect((await product.post('/v1/identify', { userId: `u-${n}-${run}`, anonymousId: `a-${n}-${run}`, messageId: randomUUID() })).status).toBe(200);
    // Loaded with the merges they caused (identity rows go in before their event).
    await product.waitForRows(`SELECT count() AS n FROM events WHERE type = 'identify' AND user_id IN ('u-p4-${run}', 'u-p5-${run}')`, (r) => Number((r[0] as { n: string }).n) === 2);
    const halves = await product.sql(`SELECT DISTINCT profile_id FROM events WHERE user_id IN ('u-p4-${run}', 'u-p5-${run}') OR anonymous_id IN ('a-p4-${run}', 'a-p5-${run}')`);
    expect(halves).toHaveLength(4);
    const p1later = await send({ userId: `u-p1-${run}` }, 'Unstated');
    await send({ userId: `u-p2-${run}` }, 'Unstated');
    await send({ userId: `u-p3-${run}` }, 'Unstated');
    await send({ userId: `u-p4-${run}` }, 'Unstated');
    const p5later = await send({ anonymousId: `a-p5-${run}` }, 'Unstated');
    const marker = await send({ userId: `u-p1-${run}` }, 'Marker');
    await waitFor('the marker', () => eventsAt(path).some((e) => e.messageId === marker));
    expect(eventsAt(path).map((e) => e.messageId).sort()).toEqual([p1, p4user, p5user, p1later, p5later, marker].sort());
    expect(await metric(id, 'no_consent')).toBe(6);
  });
});

describe('batching and order', () => {
  test('by size: a batch request of 12 events goes out as 5, 5 and 2', async () => {
    const path = `/size-${run}`;
    await create({ url: `${receiver.url}${path}`, batch_size: 5, max_wait_ms: 500 });
    const batch = Array.from({ length: 12 }, (_, i) => ({ type: 'track', userId: `u-size-${run}`, event: 'E', properties: { i }, messageId: randomUUID() }));
    expect((await product.post('/v1/batch', { batch })).status).toBe(200);
    await waitFor('12 events', () => eventsAt(path).length >= 12);
    expect(receiver.accepted(path).map((r) => r.body.events.length)).toEqual([5, 5, 2]);
    expect(eventsAt(path).map((e) => e.properties.i)).toEqual(batch.map((_, i) => i));
  });

  test('by time: events of separate requests within max_wait_ms go out together', async () => {
    const path = `/time-${run}`;
    await create({ url: `${receiver.url}${path}`, batch_size: 100, max_wait_ms: 4000 });
    for (let i = 0; i < 3; i++) await track(`u-time-${run}`, `E${i}`);
    await waitFor('3 events', () => eventsAt(path).length >= 3);
    expect(receiver.accepted(path).map((r) => r.body.events.length)).toEqual([3]);
  });

  test("a profile's events arrive in the order they were sent, across deliveries", async () => {
    const path = `/order-${run}`;
    await create({ url: `${receiver.url}${path}`, batch_size: 7, max_wait_ms: 50 });
    for (let i = 0; i < 30; i++) await track(`u-order-${run}`, 'Step', { properties: { i } });
    await waitFor('30 events', () => eventsAt(path).length >= 30);
    expect(eventsAt(path).map((e) => e.properties.i)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(receiver.accepted(path).length).toBeGreaterThan(1);
  });
});

describe('failures', () => {
  test('a receiver down, then up: every event arrives once, under the delivery id it was first tried with', async () => {
    const down = await startReceiver();
    const port = down.port;
    await down.close();
    const path = `/down-${run}`;
    const id = await create({ url: `http://127.0.0.1:${port}${path}`, batch_size: 4, max_wait_ms: 50 });
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) sent.push(await track(`u-down-${run}`, 'While Down', { properties: { i } }));
    await waitFor('failed attempts', async () => (await metric(id, 'retried')) >= 4);
    const health = async () => (await admin('GET', '/v1/dashboard/destinations')).body.destinations.find((d: { id: string }) => d.id === id);
    let shown: any;
    await waitFor('the dashboard showing it failing', async () => (shown = await health()).state === 'failing');
    expect(shown).toMatchObject({ failing_since: expect.any(Number), last_error: expect.stringMatching(/ECONNREFUSED/), backlog: expect.any(Number) });
    expect(shown.backlog).toBeGreaterThanOrEqual(1);
    const up = await startReceiver(port);
    try {
      await waitFor('every event', () => up.accepted(path).flatMap((r) => r.body.events).length >= 10);
      const got = up.accepted(path).flatMap((r) => r.body.events.map((e: any) => e.messageId));
      expect(got).toEqual(sent);
      const deliveryIds = up.accepted(path).map((r) => r.body.delivery_id);
      expect(new Set(deliveryIds).size).toBe(deliveryIds.length);
      await waitFor('the record', async () => (await product.sql(`SELECT 1 FROM destination_deliveries WHERE destination_id = '${id}' AND status = 'delivered' AND attempts > 1`)).length > 0);
      await waitFor('the dashboard showing it delivered', async () => (shown = await health()).delivered_24h === 10);
      expect(shown).toMatchObject({ state: 'ok', backlog: 0, dead_letters: 0, last_delivered_at: expect.any(Number) });
      const metrics = await (await fetch(`${product.url}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`cdp_destination_delivery_latency_seconds_count\\{destination="${id}"\\} 10`));
      expect(metrics).toMatch(new RegExp(`cdp_destination_backlog_jobs\\{destination="${id}"\\} 0`));
      expect(await metric(id, 'delivered')).toBe(10);
    } finally {
      await up.close();
    }
  });

  test('429 with Retry-After: the next attempt waits as long as asked', async () => {
    const path = `/429-${run}`;
    receiver.answer(path, (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    await create({ url: `${receiver.url}${path}` });
    await track(`u-429-${run}`, 'Throttled');
    await waitFor('the delivery', () => receiver.accepted(path).length === 1);
    const attempts = receiver.received.filter((r) => r.path === path);
    expect(attempts.map((r) => r.status)).toEqual([429, 200]);
    expect(attempts[1]!.body.delivery_id).toBe(attempts[0]!.body.delivery_id);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1900);
  });

  test('a 400 goes to the dead letters at once with its status and body; replay delivers it under the same id', async () => {
    const path = `/400-${run}`;
    let refuse = true;
    receiver.answer(path, () => (refuse ? { status: 400, body: 'unknown field "foo"' } : { status: 200 }));
    const id = await create({ url: `${receiver.url}${path}` });
    const messageId = await track(`u-400-${run}`, 'Refused');
    let dead: any[] = [];
    await waitFor('the dead letter', async () => (dead = (await admin('GET', `/v1/destinations/${id}`)).body.dead_letters).length === 1);
    expect(dead[0]).toMatchObject({ events: 1, reason: expect.stringContaining('HTTP 400: unknown field "foo"') });
    expect(receiver.received.filter((r) => r.path === path)).toHaveLength(1);
    expect(await metric(id, 'dead_letter')).toBe(1);
    await waitFor('the record', async () => (await product.sql(`SELECT 1 FROM destination_deliveries WHERE destination_id = '${id}' AND status = 'dead_letter' AND http_status = 400`)).length > 0);
    refuse = false;
    const replay = await admin('POST', `/v1/destinations/${id}/replay`, { delivery_id: dead[0].delivery_id });
    expect(replay.body).toEqual({ success: true, replayed: 1, skipped: 0 });
    await waitFor('the replayed delivery', () => receiver.accepted(path).length === 1);
    expect(receiver.accepted(path)[0]!.body).toMatchObject({ delivery_id: dead[0].delivery_id, events: [{ messageId }] });
    expect((await admin('GET', `/v1/destinations/${id}`)).body.dead_letters).toEqual([]);
  });

  test('a 410 disables the destination; resume delivers again', async () => {
    const path = `/410-${run}`;
    let gone = true;
    receiver.answer(path, () => ({ status: gone ? 410 : 200 }));
    const id = await create({ url: `${receiver.url}${path}` });
    await track(`u-410-${run}`, 'Gone');
    await waitFor('disabled', async () => (await admin('GET', `/v1/destinations/${id}`)).body.destination.disabled_at !== null);
    const read = (await admin('GET', `/v1/destinations/${id}`)).body;
    expect(read.destination.disabled_reason).toMatch(/410 Gone/);
    expect(read.dead_letters).toHaveLength(1);
    await track(`u-410-${run}`, 'While Disabled');
    await waitFor('counted as disabled', async () => (await metric(id, 'disabled')) === 1);
    gone = false;
    const resumed = await admin('POST', `/v1/destinations/${id}/resume`);
    expect(resumed.body.destination).toMatchObject({ disabled_at: null, paused: false });
    const after = await track(`u-410-${run}`, 'After Resume');
    await waitFor('the event after resume', () => eventsAt(path).some((e) => e.messageId === after));
  });

  test('pause holds deliveries (events keep queuing); resume sends them in order', async () => {
    const path = `/pause-${run}`;
    const id = await create({ url: `${receiver.url}${path}`, max_wait_ms: 50 });
    const paused = await admin('POST', `/v1/destinations/${id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body.destination.paused).toBe(true);
    const sent = [await track(`u-pause-${run}`, 'P1'), await track(`u-pause-${run}`, 'P2')];
    await waitFor('queued while paused', async () => (await admin('GET', `/v1/destinations/${id}`)).body.backlog >= 1);
    expect(eventsAt(path)).toEqual([]);
    expect((await admin('POST', `/v1/destinations/${id}/resume`)).body.destination.paused).toBe(false);
    await waitFor('both events', () => eventsAt(path).length >= 2);
    expect(eventsAt(path).map((e) => e.messageId)).toEqual(sent);
  });

  test('deleting a destination removes its queue and dead letters', async () => {
    const path = `/delete-${run}`;
    receiver.answer(path, () => ({ status: 422 }));
    const id = await create({ url: `${receiver.url}${path}` });
    await track(`u-del-${run}`, 'Refused');
    await waitFor('the dead letter', async () => (await admin('GET', `/v1/destinations/${id}`)).body.dead_letters.length === 1);
    expect((await admin('DELETE', `/v1/destinations/${id}`)).body).toEqual({ success: true, deleted: id });
    expect((await admin('GET', `/v1/destinations/${id}`)).status).toBe(404);
    const redis = new Redis(product.redis.options);
    try {
      expect(await redis.keys(`${queuePrefix(product.config.QUEUE_PREFIX, `destination-${id}`)}:*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  test("deleting a customer takes their events out of the destinations' queues and dead letters", async () => {
    const path = `/erase-${run}`;
    const deadPath = `/erase-dead-${run}`;
    receiver.answer(deadPath, () => ({ status: 400 }));
    const id = await create({ url: `${receiver.url}${path}`, max_wait_ms: 50 });
    const deadId = await create({ url: `${receiver.url}${deadPath}`, max_wait_ms: 50 });
    expect((await admin('POST', `/v1/destinations/${id}/pause`)).status).toBe(200);
    const [gone, kept] = [`u-erase-${run}`, `u-keep-${run}`];
    const goneIds = [await track(gone, 'A'), await track(gone, 'B')];
    const keptIds = [await track(kept, 'C')];
    await waitFor('queued while paused', async () => (await admin('GET', `/v1/destinations/${id}`)).body.backlog >= 1);
    await waitFor('dead letters', async () => (await admin('GET', `/v1/destinations/${deadId}`)).body.dead_letters.reduce((n: number, d: any) => n + d.events, 0) === 3);
    const [row] = await product.sql<{ p: string }>(`SELECT profile_id AS p FROM events WHERE message_id = '${goneIds[0]}'`);
    const deleted = await admin('DELETE', `/v1/profiles/${row!.p}`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect((await admin('GET', `/v1/destinations/${deadId}`)).body.dead_letters.reduce((n: number, d: any) => n + d.events, 0)).toBe(1);
    expect((await admin('POST', `/v1/destinations/${id}/resume`)).status).toBe(200);
    const marker = await track(kept, 'Marker');
    await waitFor('the marker', () => eventsAt(path).some((e) => e.messageId === marker));
    expect(eventsAt(path).map((e) => e.messageId)).toEqual([...keptIds, marker]);
  });
});

describe('dashboard', () => {
  test('in Chromium: a row per event destination with its state, deliveries, backlog, dead letters and last error', async () => {
    const path = `/panel-${run}`;
    receiver.answer(path, () => ({ status: 422, body: 'no such list' }));
    const id = await create({ name: 'Panel tool', url: `${receiver.url}${path}` });
    await track(`u-panel-${run}`, 'Refused');
    await waitFor('the dead letter', async () => (await admin('GET', `/v1/destinations/${id}`)).body.dead_letters.length === 1);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`${product.url}/`);
      await page.fill('#admin-key', ADMIN_KEY);
      await page.click('#login-form button[type=submit]');
      const row = page.locator(`#destination-health tr[data-destination="${id}"]`);
      await row.waitFor({ timeout: 30_000 });
      expect(await row.getAttribute('data-dead-letters')).toBe('1');
      expect(await row.getAttribute('data-state')).toBe('ok');
      const text = await row.textContent();
      expect(text).toContain('Panel tool');
      expect(text).toContain('HTTP 422: no such list');
      const rows = await page.locator('#destination-health tbody tr[data-destination]').count();
      expect(rows).toBe((await admin('GET', '/v1/destinations')).body.destinations.filter((d: { type: string }) => d.type === 'events').length);
      expect(errors).toEqual([]);
      mkdirSync(join(projectRoot(), 'test-results'), { recursive: true });
      await page.locator('#destinations').screenshot({ path: join(projectRoot(), 'test-results', 'dashboard-destinations.png') });
    } finally {
      await browser.close();
    }
  });
});
