import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../pipeline/core/config.js';
import { closeRedis, redisFor, resolveRedis, type RedisClient, type RedisTarget } from '../../pipeline/redis/connection.js';
import { everyInstallationKey, redisKeyNames, renamedFromOneTag } from '../../pipeline/redis/key-names.js';
import { moveToTagPerOwner } from '../../pipeline/redis/key-layout-migration.js';
import { keyValue } from '../helpers/redis-dump.js';
import { ADMIN_KEY, basicAuth, startTestProduct, tempDir, testEnv, type TestProduct } from '../helpers/test-product.js';

// A Redis written under the one-tag layout (every key under `{cdp}:`) by an installation in use — loaded
// events and their identity graph, a deleted customer's suppressed identifiers, dedupe claims, destinations
// with their secrets, an alert with its secret, a tracking plan, an API key, and load jobs queued but not yet
// loaded — is moved to a tag per owner: every key, value and time to live kept, a second move a no-op, and the
// product started on it reads everything as before.
//
// The old layout is the new one with the owner's tag replaced by `{cdp}` (key-names.ts keeps every name below
// its tag unchanged), so the installation is made with this version and its keys renamed back, on the
// private Redis, before the move.

const PREFIX = '{cdp}';
const SECRET = 's'.repeat(40);
const env = { QUEUE_PREFIX: PREFIX, DEDUPE_WINDOW_SECONDS: '86400' };
const dataDir = tempDir();
const admin = { auth: `Bearer ${ADMIN_KEY}` };
let product: TestProduct | undefined;
let readKey: string;
let deletedProfile: string;
let u1Profile: string;

const q = (s: string) => `'${s.replace(/'/g, "\\'")}'`;

async function withPrivateRedis<T>(action: (redis: RedisClient) => Promise<T>): Promise<T> {
  const target: RedisTarget = await resolveRedis(loadConfig(testEnv(dataDir, env)));
  const redis = redisFor(target, 'worker');
  try {
    return await action(redis);
  } finally {
    await closeRedis(redis);
    await target.local?.stop();
  }
}

async function keysMatching(redis: RedisClient, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    out.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return out.sort();
}

/** Renames every key of the installation back to the one-tag layout, as an earlier version wrote it. */
async function backToOneTag(redis: RedisClient): Promise<void> {
  const names = redisKeyNames(PREFIX);
  await redis.del(names.keyLayout, names.keyLayoutLock);
  for (const key of await keysMatching(redis, everyInstallationKey(PREFIX))) await redis.rename(key, `${PREFIX}:${key.slice(key.indexOf('}') + 2)}`);
}

async function call(p: TestProduct, method: string, route: string, body?: unknown, auth = admin.auth) {
  const res = await fetch(`${p.url}${route}`, { method, headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  // An installation in use: events loaded, a customer deleted, destinations, an alert, a plan, a key.
  const first = await startTestProduct({ roles: ['api', 'workers', 'scheduler'], dataDir, env });
  const batch = [
    { type: 'identify', userId: 'u1', anonymousId: 'a1', messageId: 'm-1', traits: { email: 'u1@shop.example' } },
    { type: 'identify', userId: 'u-del', messageId: 'm-2', traits: { email: 'gone@shop.example' } },
    { type: 'track', userId: 'u2', event: 'Order Completed', messageId: 'm-3', properties: { order_id: 'o1', revenue: 5 } },
  ];
  expect((await first.post('/v1/batch', { batch })).status).toBe(200);
  await first.waitForRows(`SELECT count() AS n FROM events WHERE message_id IN ('m-1', 'm-2', 'm-3')`, (r) => Number((r[0] as { n: string }).n) === 3);
  const profiles = await first.sql<{ identifier: string; profile_id: string }>(`SELECT identifier, profile_id FROM profile_identifiers WHERE identifier_type = 'user_id' AND identifier IN ('u1', 'u-del')`);
  u1Profile = profiles.find((p) => p.identifier === 'u1')!.profile_id;
  deletedProfile = profiles.find((p) => p.identifier === 'u-del')!.profile_id;
  expect((await call(first, 'DELETE', `/v1/profiles/${deletedProfile}`)).status).toBe(200);
  expect((await call(first, 'PUT', '/v1/segments/vip', { name: 'VIP', conditions: { type: 'event', event: 'Order Completed', window: { within_days: 30 } } })).status).toBe(201);
  const hook = await call(first, 'PUT', '/v1/destinations/dst_hook', { segment_id: 'vip', url: 'https://hooks.example.com/a', secret: SECRET });
  expect(hook.status, JSON.stringify(hook.body)).toBe(201);
  const stream = await call(first, 'PUT', '/v1/destinations/dst_stream', { type: 'events', name: 'Stream', format: 'webhook', url: 'https://hooks.example.com/e', secret: SECRET });
  expect(stream.status, JSON.stringify(stream.body)).toBe(201);
  expect((await call(first, 'PUT', '/v1/alerts/few-orders', { name: 'Few orders', metric: 'orders_per_hour', threshold: { op: 'lt', value: 1, for_minutes: 30 }, webhook: { url: 'https://hooks.example.com/x', secret: SECRET } })).status).toBe(201);
  expect((await call(first, 'PUT', '/v1/tracking-plans/web', { name: 'Web', sources: ['web'], violations: 'allow', unplanned_events: 'allow', rules: [] })).status).toBe(201);
  readKey = (await call(first, 'POST', '/v1/keys', { scope: 'read', name: 'reader' })).body.key.value;
  await first.stop();

  // Events acknowledged but not loaded (no workers run): they wait in the load queue.
  const apiOnly = await startTestProduct({ roles: ['api'], dataDir, env });
  const queued = [
    { type: 'track', userId: 'u1', event: 'Product Viewed', messageId: 'm-4' },
    { type: 'track', userId: 'u-del', event: 'Product Viewed', messageId: 'm-5' },
    { type: 'track', userId: 'u2', event: 'Order Completed', messageId: 'm-3', properties: { order_id: 'o1', revenue: 5 } },
  ];
  expect((await apiOnly.post('/v1/batch', { batch: queued })).status).toBe(200);
  await apiOnly.stop();
}, 120_000);

afterAll(async () => {
  await product?.destroy();
});

test('every key of the one-tag layout is moved with its value and time to live, and a second move moves nothing', async () => {
  await withPrivateRedis(async (redis) => {
    await backToOneTag(redis);
    expect(await keysMatching(redis, everyInstallationKey(PREFIX))).toEqual([]);
    const old = await keysMatching(redis, `${PREFIX}:*`);
    // The kinds of data the move must not lose, under their names of the one-tag layout.
    for (const key of ['{cdp}:id:idx', '{cdp}:id:sup', '{cdp}:id:seq', '{cdp}:destinations', '{cdp}:destination:dst_hook', '{cdp}:alert-secret:few-orders', '{cdp}:tracking-plans', '{cdp}:secret:check', '{cdp}:load:wait', '{cdp}:load:meta']) {
      expect(old, key).toContain(key);
    }
    expect(old.filter((k) => k.startsWith('{cdp}:dd:')).length).toBeGreaterThanOrEqual(3);
    const before = new Map<string, [string, number]>();
    for (const key of old) before.set(key, [await keyValue(redis, key), await redis.pttl(key)]);

    const moved = await moveToTagPerOwner(redis, PREFIX);
    expect(moved).toEqual({ moved: old.length, conflicts: [], unknown: [] });
    expect(await keysMatching(redis, `${PREFIX}:*`)).toEqual([]);
    for (const [key, [value, ttl]] of before) {
      const to = renamedFromOneTag(PREFIX, key)!;
      const now = await redis.pttl(to);
      expect([await keyValue(redis, to), now >= 0], `${key} → ${to}`).toEqual([value, ttl >= 0]);
      if (ttl < 0) expect(now, to).toBe(ttl);
      else expect(Math.abs(now - ttl), to).toBeLessThan(60_000);
    }

    expect(await moveToTagPerOwner(redis, PREFIX)).toEqual({ moved: 0, conflicts: [], unknown: [] });
    // Back to the old layout, for the product's own start to move it.
    await backToOneTag(redis);
  });
}, 60_000);

test('the product started on a one-tag Redis moves it and reads everything as before', async () => {
  product = await startTestProduct({ roles: ['api', 'workers', 'scheduler'], dataDir, env });
  // The queued jobs are loaded: u1's event joins u1's profile; the deleted customer's is dropped; the repeated
  // message is dropped by its dedupe claim.
  const marker = { type: 'track', userId: 'u1', event: 'Marker', messageId: 'm-6' };
  expect((await product.post('/v1/batch', { batch: [marker] })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events WHERE message_id = 'm-6'`, (r) => Number((r[0] as { n: string }).n) === 1);
  const rows = await product.waitForRows<{ message_id: string; profile_id: string }>(
    `SELECT message_id, profile_id FROM events_resolved WHERE message_id IN ('m-3', 'm-4', 'm-5', 'm-6') ORDER BY message_id`,
    (r) => r.length >= 3,
  );
  expect(rows.map((r) => r.message_id)).toEqual(['m-3', 'm-4', 'm-6']);
  expect(rows.find((r) => r.message_id === 'm-4')!.profile_id).toBe(u1Profile);
  expect(Number((await product.sql<{ n: string }>(`SELECT count() AS n FROM events WHERE message_id = 'm-3'`))[0]!.n)).toBe(1);

  const destinations = await call(product, 'GET', '/v1/destinations');
  expect(destinations.body.destinations.map((d: { id: string }) => d.id).sort()).toEqual(['dst_hook', 'dst_stream']);
  const alerts = await call(product, 'GET', '/v1/alerts');
  expect(alerts.body.alerts.map((a: { id: string }) => a.id)).toEqual(['few-orders']);
  expect((await call(product, 'GET', '/v1/tracking-plans/web')).status).toBe(200);
  expect((await call(product, 'GET', '/v1/segments', undefined, `Bearer ${readKey}`)).status).toBe(200);
  expect((await product.post('/v1/track', { userId: 'x', event: 'Key still works' }, { auth: basicAuth('wk_test_web') })).status).toBe(200);

  const keys = redisKeyNames(PREFIX);
  const redis = redisFor(product.redis, 'worker');
  try {
    expect(await redis.hget(keys.destinations.one('dst_hook'), 'secret')).toBe(SECRET);
    expect(await redis.get(keys.alerts.secret('few-orders'))).toBe(SECRET);
    expect(await redis.scard(keys.identity.suppressed)).toBeGreaterThan(0);
    expect(await keysMatching(redis, `${PREFIX}:*`)).toEqual([]);
  } finally {
    await closeRedis(redis);
  }
  // The deleted customer stays deleted: a new event of theirs is dropped too.
  expect((await product.post('/v1/track', { userId: 'u-del', event: 'Back', messageId: 'm-7' })).status).toBe(200);
  expect((await product.post('/v1/track', { userId: 'u1', event: 'Marker 2', messageId: 'm-8' })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events WHERE message_id = 'm-8'`, (r) => Number((r[0] as { n: string }).n) === 1);
  expect(Number((await product.sql<{ n: string }>(`SELECT count() AS n FROM events WHERE message_id = 'm-7'`))[0]!.n)).toBe(0);
}, 120_000);
