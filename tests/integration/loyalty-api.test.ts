import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runJobThroughApi } from '../helpers/churn-fixtures.js';
import { LOYALTY_ENV } from '../helpers/loyalty-fixtures.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The loyalty API (the standing, admin adjustments), the segment condition, the audience traits and deletion,
// on a few members (Europe/Berlin; Member 0 / Silver 100 / Gold 300, Silver × 1.5, points expiring after a
// month):
//   a1  order 150 on 10 Jan (150 points, Silver), redeems 20 on 12 Jan: 130 points.
//   a2  order 50 on 11 Jan: 50 points, Member.
//   m   an order as device dev-m (12 Jan, 40) merged into m: 40 points under the survivor.
//   p   a page view only: known, no standing.
// Adjustments are recorded now, so the runs that count them are as of a minute from now.

let product: TestProduct;
const admin = { auth: `Bearer ${ADMIN_KEY}` };
const AS_OF = '2026-01-20T00:00:00.000Z';
const profileOf = new Map<string, string>();
let mergedAway = '';

const order = (who: Record<string, string>, id: string, revenue: number, at: string) => ({
  type: 'track', ...who, event: 'Order Completed', timestamp: at, properties: { order_id: id, revenue, currency: 'EUR' },
});

beforeAll(async () => {
  product = await startTestProduct({ env: LOYALTY_ENV });
  const batch = [
    order({ userId: 'a1' }, 'x1', 150, '2026-01-10T10:00:00Z'),
    { type: 'track', userId: 'a1', event: 'Points Redeemed', timestamp: '2026-01-12T10:00:00Z', properties: { points: 20 } },
    order({ userId: 'a2' }, 'x2', 50, '2026-01-11T10:00:00Z'),
    { type: 'page', userId: 'm', name: 'Home', timestamp: '2026-01-11T09:00:00Z' },
    order({ anonymousId: 'dev-m' }, 'x3', 40, '2026-01-12T10:00:00Z'),
    { type: 'identify', userId: 'm', anonymousId: 'dev-m', timestamp: '2026-01-13T10:00:00Z', traits: {} },
    { type: 'page', userId: 'p', name: 'Home', timestamp: '2026-01-13T10:00:00Z' },
  ];
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === batch.length);
  for (const row of await product.sql<{ identifier: string; profile_id: string }>(`SELECT identifier, profile_id FROM profile_identifiers WHERE identifier_type = 'user_id'`)) {
    profileOf.set(row.identifier, row.profile_id);
  }
  const loaded = await product.sql<{ profile_id: string }>(`SELECT DISTINCT profile_id FROM events WHERE user_id = 'm' OR anonymous_id = 'dev-m'`);
  mergedAway = loaded.map((r) => r.profile_id).find((p) => p !== profileOf.get('m'))!;
  expect(mergedAway).toBeTruthy();
  // The override must be in ClickHouse for a merged id to find its survivor.
  await product.waitForRows(`SELECT 1 FROM profile_overrides_current WHERE old_profile_id = '${mergedAway}'`, (r) => r.length === 1);
  await runJobThroughApi(product, ADMIN_KEY, 'loyalty', AS_OF);
});

afterAll(async () => {
  await product?.destroy();
});

const get = (id: string, auth: string | null = admin.auth) => product.request('GET', `/v1/profiles/${id}/loyalty`, undefined, { auth });
const adjust = (id: string, body: unknown, auth: string | null = admin.auth) => product.request('POST', `/v1/profiles/${id}/loyalty/adjustments`, body, { auth });

describe('GET /v1/profiles/:id/loyalty', () => {
  test('level, points, what expires when, the next level and the latest entries', async () => {
    const res = await get(profileOf.get('a1')!);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      profile_id: profileOf.get('a1'),
      as_of: AS_OF,
      level: 'Silver',
      level_since: '2026-01-10T10:00:00.000Z',
      points: 130,
      window_spend: 150,
      expiring: [{ points: 130, on: '2026-02-10' }],
      points_expiring_30d: 130,
      next_level: { name: 'Gold', spend_needed: 150 },
      history: [
        expect.objectContaining({ kind: 'redeem', points: -20, status: 'applied', occurred_at: '2026-01-12T10:00:00.000Z', expires_at: null }),
        expect.objectContaining({ entry_id: 'earn:x1', kind: 'earn', points: 150, status: 'applied', order_id: 'x1', expires_at: '2026-02-10T23:00:00.000Z' }),
      ],
    });
  });

  test('the profile API carries the level and points', async () => {
    const res = await product.request('GET', `/v1/profiles/${profileOf.get('a1')}`, undefined, admin);
    expect(res.status).toBe(200);
    expect(res.body.loyalty).toEqual({ level: 'Silver', points: 130, as_of: AS_OF });
    expect((await product.request('GET', `/v1/profiles/${profileOf.get('p')}`, undefined, admin)).body.loyalty).toBeNull();
  });

  test('a merged id answers its survivor; a known profile without points stands at the lowest level', async () => {
    const merged = await get(mergedAway);
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ profile_id: profileOf.get('m'), requested_profile_id: mergedAway, points: 40, level: 'Member' });
    const none = await get(profileOf.get('p')!);
    expect(none.body).toMatchObject({ level: 'Member', level_since: null, points: 0, expiring: [], next_level: { name: 'Silver', spend_needed: 100 }, history: [] });
  });

  test('an unknown profile is 404; bad input is 400; it takes a read key', async () => {
    const unknown = await get('no-such-profile');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
    const query = await product.request('GET', `/v1/profiles/${profileOf.get('a1')}/loyalty?limit=3`, undefined, admin);
    expect([query.status, query.body.code]).toEqual([400, 'invalid_request']);
    const id = profileOf.get('a1')!;
    expect((await get(id, null)).status).toBe(401);
    expect((await product.request('GET', `/v1/profiles/${id}/loyalty`)).status).toBe(401);
    const audienceKey = await product.keys.create('audience', 'loyalty-ads');
    expect((await get(id, `Bearer ${audienceKey}`)).status).toBe(403);
    const readKey = await product.keys.create('read', 'loyalty-reader');
    expect((await get(id, `Bearer ${readKey}`)).status).toBe(200);
  });
});

describe('POST /v1/profiles/:id/loyalty/adjustments', () => {
  test('an adjustment is a Points Adjusted event of source cdp, counted once however often it is posted, and survives every rebuild', async () => {
    const id = profileOf.get('a2')!;
    for (let i = 0; i < 2; i++) {
      const res = await adjust(id, { id: 'adj-1', points: 25, reason: 'goodwill' });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toEqual({ success: true, profile_id: id, id: 'adj-1', message_id: 'cdp-loyalty-adjustment:adj-1' });
    }
    expect((await adjust(id, { id: 'adj-2', points: -5, reason: 'correction' })).status).toBe(202);
    // A merged id acts on its survivor.
    const merged = await adjust(mergedAway, { id: 'adj-3', points: 7, reason: 'welcome' });
    expect([merged.status, merged.body.profile_id]).toEqual([202, profileOf.get('m')]);
    await product.waitForRows(`SELECT count() AS n FROM events WHERE event = 'Points Adjusted' AND source_id = 'cdp'`, (r) => Number((r[0] as { n: string }).n) >= 3);

    const later = new Date(Date.now() + 60_000).toISOString();
    await runJobThroughApi(product, ADMIN_KEY, 'loyalty', later);
    // January's points have expired by then.
    const res = await get(id);
    expect(res.body.points).toBe(25 - 5);
    expect(res.body.history.filter((h: { kind: string }) => h.kind === 'adjust').map((h: { points: number; reason: string }) => [h.points, h.reason]).sort()).toEqual([[-5, 'correction'], [25, 'goodwill']]);
    expect((await get(mergedAway)).body.points).toBe(7);
    expect((await get(profileOf.get('m')!)).body.history[0]).toMatchObject({ kind: 'adjust', points: 7, reason: 'welcome' });

    // A rebuild (a re-run for the same as_of) finds the adjustments again.
    await runJobThroughApi(product, ADMIN_KEY, 'loyalty', later);
    expect((await get(id)).body.points).toBe(20);
  });

  test('bad input is 400; an unknown profile is 404', async () => {
    const id = profileOf.get('a2')!;
    for (const body of [{ id: 'b', points: 0, reason: 'x' }, { id: 'b', points: 1.5, reason: 'x' }, { id: 'b', points: 1 }, { points: 1, reason: 'x' }, { id: 'b c', points: 1, reason: 'x' }, { id: 'b', points: 1, reason: 'x', extra: 1 }]) {
      const res = await adjust(id, body);
      expect([res.status, res.body.code], JSON.stringify(body)).toEqual([400, 'invalid_request']);
    }
    const unknown = await adjust('no-such-profile', { id: 'u', points: 1, reason: 'x' });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
  });

  test('takes the admin key: none, a write key or a read key is refused', async () => {
    const id = profileOf.get('a2')!;
    const body = { id: 'auth-1', points: 1, reason: 'x' };
    expect((await adjust(id, body, null)).status).toBe(401);
    expect((await product.request('POST', `/v1/profiles/${id}/loyalty/adjustments`, body)).status).toBe(401);
    const readKey = await product.keys.create('read', 'adjust-reader');
    expect((await adjust(id, body, `Bearer ${readKey}`)).status).toBe(403);
    expect((await adjust(id, body)).status).toBe(202);
  });
});

describe('the segment condition and the audience traits', () => {
  const SEGMENT = 'silver-with-points';

  beforeAll(async () => {
    await runJobThroughApi(product, ADMIN_KEY, 'loyalty', AS_OF);
    const put = await product.request('PUT', `/v1/segments/${SEGMENT}`, { name: 'Silver with points', conditions: { type: 'loyalty', level: ['Silver', 'Gold'], points: { gte: 100 } } }, admin);
    expect(put.status, JSON.stringify(put.body)).toBe(201);
  });

  test('the condition reads the snapshot standing at the run\'s as_of; the traits the latest', async () => {
    // The adjustments' run above is later, and a1's points have expired in it: the January run still counts them.
    const run = await product.post(`/v1/segments/${SEGMENT}/run`, { as_of: AS_OF }, admin);
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const res = await product.request('GET', `/v1/segments/${SEGMENT}/members?traits=loyalty_level,loyalty_points`, undefined, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.members.map((m: { profile_id: string; traits: unknown }) => [m.profile_id, m.traits])).toEqual([[profileOf.get('a1'), { loyalty_level: 'Member', loyalty_points: 0 }]]);

    const points = await product.request('POST', '/v1/segments/preview', { conditions: { type: 'loyalty', points: { lte: 60 } }, as_of: AS_OF }, admin);
    expect(points.status, JSON.stringify(points.body)).toBe(200);
    expect([...points.body.sample].sort()).toEqual([profileOf.get('a2'), profileOf.get('m')].sort());
  });

  test('a condition needs level or points', async () => {
    for (const conditions of [{ type: 'loyalty' }, { type: 'loyalty', points: {} }, { type: 'loyalty', level: [] }]) {
      const res = await product.request('POST', '/v1/segments/preview', { conditions }, admin);
      expect(res.status, JSON.stringify(conditions)).toBe(400);
    }
  });
});

describe('deleting a customer', () => {
  test('clears their ledger, standing and level history in every snapshot', async () => {
    const id = profileOf.get('a1')!;
    const count = async (table: string, who: string) => Number((await product.sql<{ n: string }>(`SELECT count() AS n FROM ${table} WHERE profile_id = '${who}'`))[0]!.n);
    for (const t of ['loyalty_ledger', 'loyalty_standings', 'loyalty_level_changes']) expect(await count(t, id), t).toBeGreaterThan(0);
    const res = await product.request('DELETE', `/v1/profiles/${id}`, undefined, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    for (const t of ['loyalty_ledger', 'loyalty_standings', 'loyalty_level_changes']) expect(await count(t, id), t).toBe(0);
    expect(await count('loyalty_ledger', profileOf.get('a2')!)).toBeGreaterThan(0);
    expect((await get(id)).status).toBe(404);
  });
});
