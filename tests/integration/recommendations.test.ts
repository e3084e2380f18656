import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runJobThroughApi } from '../helpers/churn-fixtures.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The recommendations job on a small catalogue whose answer is worked out by hand (AS_OF, 1 June):
//   orders      o1 u1 {A,B}, o2 u2 {A,B}, o3 u3 {A,C}, o4 u4 {B,D}, o5 u5 {A}, o6 u6 {A,B}, o8 u8 {W},
//               o9 (device of m, merged into m) {A}, o10 u10 {W}; o7 u7 {A,Z} fully refunded (left out).
//   orders per product: A 6, B 4, C 1, D 1, W 2; A&B together in 3, A&C 1, B&D 1.
//   bought_with: A↔B 3/√24, A↔C 1/√6, B↔D 1/√4.
//   views of V: u8 (bought W two days later: view-then-buy), u9 (no purchase), u10 (bought W 19 days later:
//               outside the 7-day window). viewed(V → W) = 1 / √(3 viewers × 2 buyers of W).
//   popular: buyers A 6, B 4, W 2, C 1, D 1 out of 9 buyers.
// AS_OF_PAST (15 May) sees o1–o4, o8 and o9 only, and the views of u8 and u10.

let product: TestProduct;
const admin = { auth: `Bearer ${ADMIN_KEY}` };
const AS_OF = '2026-06-01T00:00:00.000Z';
const AS_OF_PAST = '2026-05-15T00:00:00.000Z';
const profileOf = new Map<string, string>();
let mergedAway = '';

const order = (who: Record<string, string>, id: string, products: (string | number)[], day: string) => ({
  type: 'track',
  ...who,
  event: 'Order Completed',
  timestamp: `2026-05-${day}T10:00:00Z`,
  properties: { order_id: id, revenue: 10 * products.length, products: products.map((p) => ({ product_id: p, price: 10 })) },
});
const view = (userId: string, product: string, at: string) => ({ type: 'track', userId, event: 'Product Viewed', timestamp: at, properties: { product_id: product } });

beforeAll(async () => {
  product = await startTestProduct();
  const batch = [
    order({ userId: 'u1' }, 'o1', ['A', 'B'], '01'),
    order({ userId: 'u2' }, 'o2', ['A', 'B', 'B'], '02'),
    order({ userId: 'u3' }, 'o3', ['A', 'C'], '03'),
    order({ userId: 'u4' }, 'o4', ['B', 'D'], '04'),
    order({ userId: 'u5' }, 'o5', ['A'], '20'),
    order({ userId: 'u6' }, 'o6', ['A', 'B'], '21'),
    order({ userId: 'u7' }, 'o7', ['A', 'Z'], '05'),
    { type: 'track', userId: 'u7', event: 'Order Refunded', timestamp: '2026-05-06T10:00:00Z', properties: { order_id: 'o7' } },
    view('u8', 'V', '2026-05-10T00:00:00Z'),
    order({ userId: 'u8' }, 'o8', ['W'], '12'),
    view('u9', 'V', '2026-05-25T00:00:00Z'),
    view('u10', 'V', '2026-05-01T00:00:00Z'),
    order({ userId: 'u10' }, 'o10', ['W'], '20'),
    { type: 'page', userId: 'm', name: 'Home', timestamp: '2026-05-02T10:00:00Z' },
    order({ anonymousId: 'dev-m' }, 'o9', ['A'], '06'),
    { type: 'identify', userId: 'm', anonymousId: 'dev-m', timestamp: '2026-05-07T10:00:00Z', traits: {} },
    { type: 'identify', userId: 'u11', timestamp: '2026-05-01T10:00:00Z', traits: { plan: 'none' } },
    // A later resend of o1 with other products: an order counts once, by its first Order Completed.
    { ...order({ userId: 'u1' }, 'o1', ['D'], '02'), messageId: 'o1-resend' },
  ];
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === batch.length);
  for (const row of await product.sql<{ identifier: string; profile_id: string }>(`SELECT identifier, profile_id FROM profile_identifiers WHERE identifier_type = 'user_id'`)) {
    profileOf.set(row.identifier, row.profile_id);
  }
  const loaded = await product.sql<{ profile_id: string }>(`SELECT DISTINCT profile_id FROM events WHERE user_id = 'm' OR anonymous_id = 'dev-m'`);
  mergedAway = loaded.map((r) => r.profile_id).find((p) => p !== profileOf.get('m'))!;
  expect(mergedAway).toBeTruthy();
});

afterAll(async () => {
  await product?.destroy();
});

type Row = [product: string, score: number, reason: string];

async function listsAt(asOf: string): Promise<Record<string, Row[]>> {
  const rows = await product.sql<{ profile_id: string; rank: number; product_id: string; score: number; reason: string }>(
    `SELECT profile_id, rank, product_id, score, reason FROM recommendations WHERE as_of = '${asOf.replace('T', ' ').replace('Z', '')}' ORDER BY profile_id, rank`,
  );
  const userOf = new Map([...profileOf].map(([u, p]) => [p, u]));
  const out: Record<string, Row[]> = {};
  for (const r of rows) {
    const user = userOf.get(r.profile_id) ?? r.profile_id;
    (out[user] ??= []).push([r.product_id, Number(r.score), r.reason]);
    expect(Number(r.rank)).toBe(out[user]!.length);
  }
  return out;
}

const r9 = (x: number) => Math.round(x * 1e9) / 1e9;
const AB = r9(3 / Math.sqrt(24));
const AC = r9(1 / Math.sqrt(6));
const BD = r9(1 / Math.sqrt(4));
const VW = r9(1 / Math.sqrt(6));
const pop = (buyers: number, of = 9) => r9(buyers / of);

describe('the recommendations job', () => {
  let lists: Record<string, Row[]>;
  let summary: Record<string, unknown>;

  beforeAll(async () => {
    summary = await runJobThroughApi(product, ADMIN_KEY, 'recommendations', AS_OF);
    lists = await listsAt(AS_OF);
  });

  test('co-purchase first, then the most popular products not bought; ties by product id', () => {
    expect(lists.u5).toEqual([
      ['B', AB, 'bought_with:A'],
      ['C', AC, 'bought_with:A'],
      ['W', pop(2), 'popular'],
      ['D', pop(1), 'popular'],
    ]);
    expect(summary).toMatchObject({ job: 'recommendations', per_profile: 5, view_window_days: 7, products: 5, bought_with_pairs: 6, viewed_pairs: 1 });
  });

  test('a product the customer bought is skipped, even when it is the top one', () => {
    expect(lists.u6).toEqual([
      ['D', BD, 'bought_with:B'],
      ['C', AC, 'bought_with:A'],
      ['W', pop(2), 'popular'],
    ]);
    expect(lists.u4).toEqual([
      ['A', AB, 'bought_with:B'],
      ['W', pop(2), 'popular'],
      ['C', pop(1), 'popular'],
    ]);
  });

  test('a view followed by a purchase within the window recommends what was bought', () => {
    expect(lists.u9).toEqual([
      ['W', VW, 'viewed:V'],
      ['A', pop(6), 'popular'],
      ['B', pop(4), 'popular'],
      ['C', pop(1), 'popular'],
      ['D', pop(1), 'popular'],
    ]);
  });

  test('a merged customer is one customer, under the survivor', () => {
    expect(lists.m).toEqual(lists.u5);
    expect(lists[mergedAway]).toBeUndefined();
  });

  test('a fully refunded order is left out: not bought, not popular, no pair', async () => {
    expect(lists.u7).toEqual([
      ['A', pop(6), 'popular'],
      ['B', pop(4), 'popular'],
      ['W', pop(2), 'popular'],
      ['C', pop(1), 'popular'],
      ['D', pop(1), 'popular'],
    ]);
    expect(await product.sql(`SELECT * FROM product_affinities WHERE product_id = 'Z' OR other_product_id = 'Z'`)).toEqual([]);
  });

  test('a customer with no history gets the popular list', () => {
    expect(lists.u11).toEqual(lists.u7);
  });

  test('as_of in the past sees only what happened before it', async () => {
    await runJobThroughApi(product, ADMIN_KEY, 'recommendations', AS_OF_PAST);
    const past = await listsAt(AS_OF_PAST);
    // Buyers then: u1..u4, u8 and m (6); A 4, B 3, C, D and W 1 each. u5 had not been seen.
    expect(past.u11).toEqual([
      ['A', pop(4, 6), 'popular'],
      ['B', pop(3, 6), 'popular'],
      ['C', pop(1, 6), 'popular'],
      ['D', pop(1, 6), 'popular'],
      ['W', pop(1, 6), 'popular'],
    ]);
    // u5 and u9 had not been seen (their first events came later).
    expect(past.u5).toBeUndefined();
    expect(past.u9).toBeUndefined();
    // u10 viewed V and had not bought W yet: viewed(V → W) over 2 viewers and u8, W's one buyer.
    expect(past.u10![0]).toEqual(['W', r9(1 / Math.sqrt(2)), 'viewed:V']);
    // The later snapshot is untouched.
    expect(await listsAt(AS_OF)).toEqual(lists);
  });

  test('running again for the same as_of writes the same rows once', async () => {
    await runJobThroughApi(product, ADMIN_KEY, 'recommendations', AS_OF);
    expect(await listsAt(AS_OF)).toEqual(lists);
  });
});

describe('GET /v1/profiles/:id/recommendations', () => {
  const get = (id: string, auth: string | null = admin.auth, query = '') => product.request('GET', `/v1/profiles/${encodeURIComponent(id)}/recommendations${query}`, undefined, { auth });

  beforeAll(async () => {
    // The latest successful snapshot is AS_OF's, whatever order the tests above ran in.
    await runJobThroughApi(product, ADMIN_KEY, 'recommendations', AS_OF);
  });

  test("answers the latest snapshot's list; a merged id answers its survivor's", async () => {
    const res = await get(profileOf.get('u5')!);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      profile_id: profileOf.get('u5'),
      as_of: AS_OF,
      recommendations: [
        { rank: 1, product_id: 'B', score: AB, reason: 'bought_with:A' },
        { rank: 2, product_id: 'C', score: AC, reason: 'bought_with:A' },
        { rank: 3, product_id: 'W', score: pop(2), reason: 'popular' },
        { rank: 4, product_id: 'D', score: pop(1), reason: 'popular' },
      ],
    });
    const merged = await get(mergedAway);
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ profile_id: profileOf.get('m'), requested_profile_id: mergedAway, as_of: AS_OF });
    expect(merged.body.recommendations).toEqual(res.body.recommendations);
  });

  test('an unknown profile is 404; bad input is 400', async () => {
    const unknown = await get('no-such-profile');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
    for (const query of ['?limit=3', '?events=10', '?as_of=2026-05-01']) {
      const res = await get(profileOf.get('u5')!, admin.auth, query);
      expect([res.status, res.body.success, res.body.code], query).toEqual([400, false, 'invalid_request']);
    }
  });

  test('takes a read key: none, a write key or an audience key is refused', async () => {
    const id = profileOf.get('u5')!;
    expect((await get(id, null)).status).toBe(401);
    // The default credentials of the test product: a source's write key, which is no API key.
    expect((await product.request('GET', `/v1/profiles/${id}/recommendations`)).status).toBe(401);
    const audienceKey = await product.keys.create('audience', 'ads');
    expect((await get(id, `Bearer ${audienceKey}`)).status).toBe(403);
    const readKey = await product.keys.create('read', 'recs-reader');
    expect((await get(id, `Bearer ${readKey}`)).status).toBe(200);
  });
});

describe('the audience trait `recommendations`', () => {
  const SEGMENT = 'recent-visitors';

  beforeAll(async () => {
    await runJobThroughApi(product, ADMIN_KEY, 'recommendations', AS_OF);
    const put = await product.request('PUT', `/v1/segments/${SEGMENT}`, { name: 'Anyone', conditions: { type: 'event', event: 'Order Completed', count: { op: 'gte', value: 0 } } }, admin);
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    const run = await product.post(`/v1/segments/${SEGMENT}/run`, { as_of: AS_OF }, admin);
    expect(run.status, JSON.stringify(run.body)).toBe(200);
  });

  test('members and exports carry the product ids in rank order', async () => {
    const res = await product.request('GET', `/v1/segments/${SEGMENT}/members?traits=recommendations,plan&limit=1000`, undefined, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const byProfile = new Map((res.body.members as { profile_id: string; traits: Record<string, unknown> }[]).map((m) => [m.profile_id, m.traits]));
    expect(byProfile.get(profileOf.get('u6')!)).toEqual({ recommendations: ['D', 'C', 'W'], plan: null });
    expect(byProfile.get(profileOf.get('u11')!)).toEqual({ recommendations: ['A', 'B', 'W', 'C', 'D'], plan: 'none' });

    const csv = await product.request('GET', `/v1/segments/${SEGMENT}/export?format=csv&traits=recommendations`, undefined, admin);
    expect(csv.status).toBe(200);
    const line = (csv.body as string).split('\r\n').find((l) => l.startsWith(`${profileOf.get('u6')},`))!;
    expect(line.split(',').slice(2).join(',')).toBe('"[""D"",""C"",""W""]"');
    const ndjson = await product.request('GET', `/v1/segments/${SEGMENT}/export?format=ndjson&traits=recommendations`, undefined, admin);
    const records = (ndjson.body as string).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(records.find((r) => r.profile_id === profileOf.get('u9')).traits).toEqual({ recommendations: ['W', 'A', 'B', 'C', 'D'] });
  });
});

describe('deleting a customer', () => {
  test('clears their recommendations in every snapshot', async () => {
    await runJobThroughApi(product, ADMIN_KEY, 'recommendations', AS_OF);
    const id = profileOf.get('u4')!;
    const before = await product.sql<{ n: string }>(`SELECT count() AS n FROM recommendations WHERE profile_id = '${id}'`);
    expect(Number(before[0]!.n)).toBeGreaterThan(0);
    const res = await product.request('DELETE', `/v1/profiles/${id}`, undefined, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await product.sql(`SELECT * FROM recommendations WHERE profile_id = '${id}'`)).toEqual([]);
    expect(Number((await product.sql<{ n: string }>(`SELECT count() AS n FROM recommendations WHERE profile_id = '${profileOf.get('u5')}'`))[0]!.n)).toBeGreaterThan(0);
    expect((await product.request('GET', `/v1/profiles/${id}/recommendations`, undefined, admin)).status).toBe(404);
  });
});

describe('product ids', () => {
  test('a number is read as JSON writes it; a line item without a product id is left out', async () => {
    // After AS_OF, so that the snapshots above do not see them.
    const later = [
      { ...order({ userId: 'u12' }, 'o12', [7, 'A'], '01'), timestamp: '2026-06-05T10:00:00Z' },
      { type: 'track', userId: 'u12', event: 'Order Completed', timestamp: '2026-06-05T11:00:00Z', properties: { order_id: 'o13', products: [{ product_id: null }, { sku: 'x' }, { product_id: 8.5 }] } },
      { ...order({ userId: 'u13' }, 'o14', [7], '01'), timestamp: '2026-06-06T10:00:00Z' },
    ];
    expect((await product.post('/v1/batch', { batch: later })).status).toBe(200);
    await product.waitForRows(`SELECT count() AS n FROM events WHERE user_id IN ('u12', 'u13')`, (r) => Number((r[0] as { n: string }).n) === later.length);
    const asOf = '2026-07-01T00:00:00.000Z';
    await runJobThroughApi(product, ADMIN_KEY, 'recommendations', asOf);
    for (const row of await product.sql<{ identifier: string; profile_id: string }>(`SELECT identifier, profile_id FROM profile_identifiers WHERE identifier_type = 'user_id' AND identifier IN ('u12', 'u13')`)) {
      profileOf.set(row.identifier, row.profile_id);
    }
    // Orders holding A by then: o1, o2, o3, o5, o6, o9 and o12 (u4, who held o4, was deleted above).
    expect((await listsAt(asOf)).u13![0]).toEqual(['A', r9(1 / Math.sqrt(2 * 7)), 'bought_with:7']);
    const products = await product.sql<{ product_id: string }>(`SELECT product_id FROM product_affinities WHERE as_of = '2026-07-01 00:00:00' AND kind = 'popular' ORDER BY product_id`);
    expect(products.map((p) => p.product_id)).toEqual(['7', '8.5', 'A', 'B', 'C', 'W']);
  });
});
