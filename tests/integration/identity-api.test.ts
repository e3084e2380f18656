import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';
import { redisKeyNames } from '../../pipeline/redis/key-names.js';

// One customer across devices, read through the profile API, rebuilt from ClickHouse, then deleted.

let product: TestProduct;
let redis: Redis;
let readKey: string;
const run = randomUUID().slice(0, 8);
const user = `u-${run}`;
const phone = `a-phone-${run}`;
const laptop = `a-laptop-${run}`;
const email = `ann.${run}@example.com`;
const count = async (query: string) => Number((await product.sql<{ n: string }>(query))[0]!.n);

async function send(batch: Record<string, unknown>[]) {
  const res = await product.post('/v1/batch', { batch: batch.map((e) => ({ messageId: randomUUID(), ...e })) });
  expect(res.status).toBe(200);
}
async function loaded(n: number) {
  await product.waitForRows(`SELECT count() AS n FROM events WHERE anonymous_id IN ('${phone}', '${laptop}') OR user_id = '${user}'`, (r) => Number((r[0] as { n: string }).n) === n);
}
const api = (path: string, key = readKey, method = 'GET') => fetch(`${product.url}${path}`, { method, headers: { authorization: `Bearer ${key}` } });

beforeAll(async () => {
  product = await startTestProduct();
  redis = new Redis(product.redis.options);
  readKey = await product.keys.create('read', 'crm');
  // Anonymous browsing on the phone, loaded before anything links it to the customer.
  await send([
    { type: 'page', anonymousId: phone, name: 'Home', timestamp: '2026-01-01T10:00:00Z' },
    { type: 'track', anonymousId: phone, event: 'Product Viewed', timestamp: '2026-01-01T10:01:00Z' },
  ]);
  await loaded(2);
  // The laptop: browsing, then a login with traits.
  await send([
    { type: 'track', anonymousId: laptop, event: 'Product Viewed', timestamp: '2026-01-02T09:00:00Z' },
    { type: 'identify', anonymousId: laptop, userId: user, traits: { email: `  ${email.toUpperCase()} `, name: 'Ann' }, timestamp: '2026-01-02T09:05:00Z' },
  ]);
  // Loaded before the next batch: two batches in the queue at once may be resolved in either order, and the
  // user id seen alone first would make a third profile.
  await loaded(4);
  // Arriving later but older: this name must not win.
  await send([{ type: 'identify', userId: user, traits: { name: 'Old Ann' }, timestamp: '2025-12-01T00:00:00Z' }]);
  await loaded(5);
  // Logging in on the phone links both devices: two profiles merge.
  await send([
    { type: 'identify', anonymousId: phone, userId: user, timestamp: '2026-01-03T08:00:00Z' },
    { type: 'track', userId: user, event: 'Order Completed', properties: { order_id: `o-${run}`, revenue: 80 }, timestamp: '2030-06-01T00:00:00Z' },
  ]);
  await loaded(7);
});

afterAll(async () => {
  redis?.disconnect();
  await product?.destroy();
});

describe('stitched profile', () => {
  test('earlier anonymous events count for the customer in events_resolved', async () => {
    const rows = await product.sql<{ profiles: string; events: string }>(
      `SELECT uniqExact(profile_id) AS profiles, count() AS events FROM events_resolved WHERE anonymous_id IN ('${phone}', '${laptop}') OR user_id = '${user}'`,
    );
    expect(rows[0]).toEqual({ profiles: '1', events: '7' });
    // ...while the events themselves were loaded under two different profiles.
    expect(await count(`SELECT uniqExact(profile_id) AS n FROM events WHERE anonymous_id IN ('${phone}', '${laptop}') OR user_id = '${user}'`)).toBe(2);
  });

  test('GET /v1/profiles/:id answers for the merged id with the surviving profile', async () => {
    const [laptopProfile] = await product.sql<{ profile_id: string }>(`SELECT profile_id FROM events WHERE anonymous_id = '${laptop}' LIMIT 1`);
    const [phoneProfile] = await product.sql<{ profile_id: string }>(`SELECT profile_id FROM events WHERE anonymous_id = '${phone}' AND type = 'page'`);
    const res = await api(`/v1/profiles/${laptopProfile!.profile_id}`);
    expect(res.status).toBe(200);
    const profile = await res.json();
    // The phone's profile is the older one: it survives.
    expect(profile.profile_id).toBe(phoneProfile!.profile_id);
    expect(profile.requested_profile_id).toBe(laptopProfile!.profile_id);
    expect(profile.identifiers).toEqual([
      { type: 'anonymous_id', value: laptop },
      { type: 'anonymous_id', value: phone },
      { type: 'email', value: email },
      { type: 'user_id', value: user },
    ]);
    expect(profile.traits.name.value).toBe('Ann');
    expect(profile.traits.email.value).toBe(`  ${email.toUpperCase()} `);
    expect(profile.merges).toEqual([expect.objectContaining({ kind: 'merge', from_profiles: [laptopProfile!.profile_id], profile_id: phoneProfile!.profile_id })]);
    expect(profile.recent_events).toHaveLength(7);
    expect(profile.recent_events[0].event).toBe('Order Completed');
  });

  test('the profiles view has one row for the customer, with identifiers, current traits and activity', async () => {
    const rows = await product.sql<{ identifiers: [string, string][]; name: string; first_seen: string; event_count: string }>(
      `SELECT identifiers, traits['name'] AS name, toString(first_seen) AS first_seen, event_count FROM profiles WHERE has(identifiers, ('user_id', '${user}'))`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.identifiers).toHaveLength(4);
    expect(rows[0]!.name).toBe('Ann');
    // The late-arriving identify is dated 2025-12-01: first seen goes by event time.
    expect(rows[0]!.first_seen).toBe('2025-12-01 00:00:00.000');
    expect(rows[0]!.event_count).toBe('7');
  });

  test('lookup by a normalised email finds the same profile', async () => {
    const res = await api(`/v1/profiles/lookup?type=email&value=${encodeURIComponent(` ${email.toUpperCase()}`)}&events=2`);
    expect(res.status).toBe(200);
    const profile = await res.json();
    expect(profile.identifiers).toContainEqual({ type: 'user_id', value: user });
    expect(profile.recent_events).toHaveLength(2);
    expect((await api('/v1/profiles/lookup?type=email&value=nobody@example.com')).status).toBe(404);
    expect((await api('/v1/profiles/lookup?type=email')).status).toBe(400);
  });

  test('profile endpoints need a read or admin key', async () => {
    const [row] = await product.sql<{ profile_id: string }>(`SELECT profile_id FROM events WHERE user_id = '${user}' LIMIT 1`);
    expect((await fetch(`${product.url}/v1/profiles/${row!.profile_id}`)).status).toBe(401);
    expect((await api(`/v1/profiles/${row!.profile_id}`, 'wk_test_web')).status).toBe(401);
    expect((await api(`/v1/profiles/${row!.profile_id}`, ADMIN_KEY)).status).toBe(200);
    expect((await api(`/v1/profiles/${row!.profile_id}`, readKey, 'DELETE')).status).toBe(403);
    expect((await api('/v1/profiles/p_doesnotexist')).status).toBe(404);
  });
});

describe('rebuild', () => {
  test('the Redis graph rebuilt from identity_edges equals the live one', async () => {
    // More customers, with a refused link on a shared device, so the replay has decisions to reproduce.
    const kiosk = `kiosk-${run}`;
    await send([
      { type: 'identify', anonymousId: kiosk, userId: `k1-${run}` },
      { type: 'identify', anonymousId: kiosk, userId: `k2-${run}` },
      { type: 'track', anonymousId: `solo-${run}`, event: 'Viewed' },
    ]);
    await product.waitForRows(`SELECT 1 FROM events WHERE anonymous_id = 'solo-${run}'`, (r) => r.length === 1);
    const prefix = product.config.QUEUE_PREFIX;
    const snapshot = async () => ({
      idx: await redis.hgetall(redisKeyNames(prefix).identity.index),
      created: Object.keys(await redis.hgetall(redisKeyNames(prefix).identity.created)).sort(),
    });
    const live = await snapshot();
    expect(Object.keys(live.idx).length).toBeGreaterThanOrEqual(8);

    const res = await api('/v1/identity/rebuild', ADMIN_KEY, 'POST');
    expect(res.status).toBe(200);
    const summary = await res.json();
    expect(summary.profiles).toBe(live.created.length);
    expect(await snapshot()).toEqual(live);
    // Loading goes on after the rebuild, with the same profiles.
    await send([{ type: 'track', userId: user, event: 'After Rebuild' }]);
    const [after] = await product.waitForRows<{ profile_id: string }>(`SELECT profile_id FROM events_resolved WHERE event = 'After Rebuild' AND user_id = '${user}'`, (r) => r.length === 1);
    const [before] = await product.sql<{ profile_id: string }>(`SELECT profile_id FROM events_resolved WHERE anonymous_id = '${phone}' LIMIT 1`);
    expect(after!.profile_id).toBe(before!.profile_id);
  });
});

describe('deletion', () => {
  test('DELETE removes every row holding the customer, records the deletion, and suppresses later events', async () => {
    const [row] = await product.sql<{ profile_id: string }>(`SELECT profile_id FROM events_resolved WHERE user_id = '${user}' LIMIT 1`);
    // Every column, as text: the search below must see the customer before the deletion to prove anything after it.
    const holding = (table: string, needle: string) => count(`SELECT count() AS n FROM ${table} WHERE position(lower(toString(tuple(*))), lower('${needle}')) > 0`);
    // A refused event of the customer's, kept in rejected_events as sent.
    expect((await product.post('/v1/track', { userId: user, properties: { note: 'no event name' } })).status).toBe(400);
    await product.waitForRows(`SELECT 1 FROM rejected_events WHERE position(payload, '${user}') > 0`, (r) => r.length === 1);
    // An order, the jobs and a segment: derived tables that hold the customer's profile id.
    await send([{ type: 'track', userId: user, event: 'Order Completed', properties: { order_id: `del-${run}`, revenue: 10 } }]);
    await product.waitForRows(`SELECT 1 FROM events WHERE order_id = 'del-${run}'`, (r) => r.length === 1);
    const admin = { auth: `Bearer ${ADMIN_KEY}` };
    expect((await product.post('/v1/jobs/all/run', {}, admin)).status).toBe(200);
    expect((await product.post('/v1/segments', { id: 'buyers', name: 'Buyers', conditions: { type: 'event', event: 'Order Completed' } }, admin)).status).toBe(201);
    expect((await product.post('/v1/segments/buyers/run', {}, admin)).status).toBe(200);
    const derived = ['profile_activity', 'orders', 'rfm_scores', 'churn_summaries', 'churn_scores', 'segment_changes', 'segment_membership'];
    for (const table of derived) expect(await holding(table, row!.profile_id), table).toBeGreaterThan(0);
    for (const table of ['events', 'identity_edges', 'identities', 'rejected_events']) expect(await holding(table, user), table).toBeGreaterThan(0);
    for (const table of ['events', 'profile_traits']) expect(await holding(table, email), table).toBeGreaterThan(0);
    expect(await holding('identity_merges', row!.profile_id)).toBeGreaterThan(0);
    const res = await api(`/v1/profiles/${row!.profile_id}`, ADMIN_KEY, 'DELETE');
    expect(res.status).toBe(200);
    const result = await res.json();
    expect(result).toMatchObject({ success: true, profiles: 2, identifiers: 4 });

    const needles = [user, phone, laptop, email];
    const tables = ['events', 'rejected_events', 'identity_edges', 'identities', 'profile_traits', 'profile_overrides', 'identity_merges', 'profile_deletions', 'suppressed_identifiers', ...derived];
    for (const table of tables) {
      for (const needle of [...needles, row!.profile_id]) expect(await holding(table, needle), `${table} still holds ${needle}`).toBe(0);
    }
    expect(await count(`SELECT count() AS n FROM profile_deletions WHERE deletion_id = '${result.deletion_id}'`)).toBe(1);
    expect((await api(`/v1/profiles/${row!.profile_id}`)).status).toBe(404);

    // Events still arriving for the customer are dropped, and counted.
    await send([
      { type: 'track', anonymousId: phone, event: 'After Deletion' },
      { type: 'track', userId: user, event: 'After Deletion' },
      { type: 'track', anonymousId: `someone-else-${run}`, event: 'After Deletion' },
    ]);
    await product.waitForRows(`SELECT 1 FROM events WHERE anonymous_id = 'someone-else-${run}'`, (r) => r.length === 1);
    expect(await count(`SELECT count() AS n FROM events WHERE event = 'After Deletion'`)).toBe(1);
    // The counter moves when the load that dropped them completes, a moment after the rows appear.
    const suppressed = async () => Number(/^cdp_events_suppressed_total (\d+)/m.exec(await (await fetch(`${product.url}/metrics`)).text())?.[1] ?? 0);
    const until = Date.now() + 10_000;
    while ((await suppressed()) < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(await suppressed()).toBe(2);
  });
});
