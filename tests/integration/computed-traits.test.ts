import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_KEY, WRITE_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// Computed traits against hand-built customers whose values are worked out by hand below. Days are local
// days in America/New_York (UTC-4 on these dates): several orders sit beside a local midnight or the start
// of a local month that falls on another day in UTC. Every copy of a message is loaded
// (DEDUPE_WINDOW_SECONDS=0), so a resend is in the events table twice.

let product: TestProduct;
let readKey: string;
/** As of 2026-06-15 12:00 local: local day 0 is 15 June, which started at 04:00 UTC. */
const AS_OF = '2026-06-15T16:00:00.000Z';
const AS_OF_CH = '2026-06-15 16:00:00.000';
/** 11 June 12:00 local. */
const PAST = '2026-06-11T16:00:00.000Z';
const PAST_CH = '2026-06-11 16:00:00.000';
const users = ['ann', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal'] as const;
type User = (typeof users)[number];
/** user → surviving profile id */
const profile = new Map<User, string>();
/** dan's anonymous profile, merged into his surviving one. */
let danMerged: string;

const call = (method: string, route: string, body?: unknown, key: string | null = ADMIN_KEY) =>
  product.request(method, route, body, { auth: key === null ? null : `Bearer ${key}` });

const order = (user: string, id: string, at: string, properties: Record<string, unknown>) => ({
  type: 'track',
  userId: user,
  event: 'Order Completed',
  messageId: id,
  timestamp: at,
  properties,
});
const item = (category: string, price: number) => ({ category, price });
const viewed = (user: string, id: string, at: string, colour: string, size: number) => ({
  type: 'track',
  userId: user,
  event: 'Product Viewed',
  messageId: id,
  timestamp: at,
  properties: { colour, size },
});

const ann = {
  a1: order('ann', 'a1', '2026-06-01T10:00:00Z', { order_id: 'o-a1', revenue: 100, category: 'shoes', products: [item('shoes', 60), item('socks', 40)] }),
  a2: order('ann', 'a2', '2026-06-10T10:00:00Z', { order_id: 'o-a2', revenue: 50, category: 'bags', products: [item('bags', 50)] }),
  // A number sent as text reads as the number; text that is no number is left out of sum/avg/min/max.
  a3: order('ann', 'a3', '2026-06-14T10:00:00Z', { order_id: 'o-a3', revenue: '25.5', category: 'belts', products: [item('shoes', 25.5)] }),
  a4: order('ann', 'a4', '2026-06-12T10:00:00Z', { order_id: 'o-a4', revenue: 'n/a', category: 'hats', products: [] }),
  // After as_of: never counts.
  a5: order('ann', 'a5', '2026-06-15T18:00:00Z', { order_id: 'o-a5', revenue: 999, category: 'future', products: [item('future', 999)] }),
  refund: { type: 'track', userId: 'ann', event: 'Order Refunded', messageId: 'ar1', timestamp: '2026-06-13T10:00:00Z', properties: { order_id: 'o-a1', revenue: 20 } },
};
const dan = {
  // Bought on a device before logging in (one profile), then logged in elsewhere (another); an identify
  // merges the two, and both orders are sent again after the merge.
  d1: { ...order('', 'd1', '2026-06-05T10:00:00Z', { order_id: 'o-d1', revenue: 30, category: 'toys', products: [item('toys', 30)] }), userId: undefined, anonymousId: 'dan-device' },
  d2: order('dan', 'd2', '2026-06-08T10:00:00Z', { order_id: 'o-d2', revenue: 70, category: 'games', products: [item('games', 70)] }),
};

async function send(batch: Record<string, unknown>[]): Promise<void> {
  const res = await product.post('/v1/batch', { batch });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}
const loaded = async (where: string, n: number) => product.waitForRows(`SELECT count() AS n FROM events WHERE ${where}`, (r) => Number((r[0] as { n: string }).n) === n);

/** The traits of the fixture, by id. */
const TRAITS: Record<string, Record<string, unknown>> = {
  orders: { name: 'Orders', kind: 'count', event: 'Order Completed' },
  spend: { name: 'Spent', kind: 'sum', event: 'Order Completed', property: 'revenue' },
  avg_order: { name: 'Average order', kind: 'avg', event: 'Order Completed', property: 'revenue' },
  min_order: { name: 'Smallest order', kind: 'min', event: 'Order Completed', property: 'revenue' },
  max_item: { name: 'Dearest item', kind: 'max', event: 'Order Completed', property: 'products[].price' },
  first_category: { name: 'First category', kind: 'first', event: 'Order Completed', property: 'category' },
  last_category: { name: 'Last category', kind: 'last', event: 'Order Completed', property: 'category' },
  favourite_category: { name: 'Favourite category', kind: 'most_frequent', event: 'Order Completed', property: 'products[].category' },
  category_count: { name: 'Categories bought', kind: 'unique_count', event: 'Order Completed', property: 'category' },
  categories: { name: 'Categories, most bought first', kind: 'unique_list', event: 'Order Completed', property: 'products[].category' },
  days_since_first_order: { name: 'Days since the first order', kind: 'days_since_first', event: 'Order Completed' },
  days_since_last_order: { name: 'Days since the last order', kind: 'days_since_last', event: 'Order Completed' },
  refunds: { name: 'Refunds', kind: 'count', event: 'Order Refunded' },
  refunded: { name: 'Refunded', kind: 'sum', event: 'Order Refunded', property: 'revenue' },
  orders_today: { name: 'Orders today', kind: 'count', event: 'Order Completed', window: { within_days: 1 } },
  orders_2d: { name: 'Orders today or yesterday', kind: 'count', event: 'Order Completed', window: { within_days: 2 } },
  orders_1_2: { name: 'Orders 1 to 2 days ago', kind: 'count', event: 'Order Completed', window: { between_days_ago: [1, 2] } },
  orders_month: { name: 'Orders this month', kind: 'count', event: 'Order Completed', window: { this: 'month' } },
  spend_today: { name: 'Spent today', kind: 'sum', event: 'Order Completed', property: 'revenue', window: { within_days: 1 } },
  big_orders: { name: 'Orders of 50 or more', kind: 'count', event: 'Order Completed', where: [{ property: 'revenue', op: 'gte', value: 50 }] },
  favourite_colour: { name: 'Favourite colour', kind: 'most_frequent', event: 'Product Viewed', property: 'colour' },
  usual_size: { name: 'Usual size', kind: 'most_frequent', event: 'Product Viewed', property: 'size' },
};

type Row = { value_number: number | null; value_string: string | null; value_list: string[] };
const num = (n: number): Row => ({ value_number: n, value_string: null, value_list: [] });
const str = (s: string, n: number | null = null): Row => ({ value_number: n, value_string: s, value_list: [] });
const list = (l: string[]): Row => ({ value_number: null, value_string: null, value_list: l });

/**
 * The snapshot as of AS_OF, worked out by hand: trait → user → row; a user not named has no row.
 * ann: a1 (1 Jun, 100, shoes; items shoes 60 + socks 40), a2 (10 Jun, 50, bags; loaded twice), a3 (14 Jun,
 *   "25.5", belts; item shoes 25.5), a4 (12 Jun, "n/a", hats; no items), a5 after as_of; a refund of 20.
 * bob: 5 on 13 Jun 23:30 local (14 Jun in UTC), 10 on 14 Jun 23:30 local (15 Jun in UTC), 20 on 15 Jun 00:30.
 * cat: 10 on 31 May 22:00 local (1 Jun in UTC), 10 on 2 Jun.
 * dan: 30 toys on 5 Jun (anonymous), 70 games on 8 Jun (logged in), both sent again after the merge.
 * eve: two orders of one order id (3 and 4 Jun, 40 each, different message ids).
 * fay, gus: product views with tied colours; hal: an identify only.
 */
const EXPECTED: Record<string, Partial<Record<User, Row>>> = {
  orders: { ann: num(4), bob: num(3), cat: num(2), dan: num(2), eve: num(2) },
  spend: { ann: num(175.5), bob: num(35), cat: num(20), dan: num(100), eve: num(80) },
  avg_order: { ann: num(58.5), bob: num(35 / 3), cat: num(10), dan: num(50), eve: num(40) },
  min_order: { ann: num(25.5), bob: num(5), cat: num(10), dan: num(30), eve: num(40) },
  max_item: { ann: num(60), dan: num(70) },
  first_category: { ann: str('shoes'), dan: str('toys') },
  last_category: { ann: str('belts'), dan: str('games') },
  // ann: shoes in a1 and a3; dan: toys and games once each, games the later.
  favourite_category: { ann: str('shoes'), dan: str('games') },
  category_count: { ann: num(4), dan: num(2) },
  // ann: shoes twice; bags (10 Jun) and socks (1 Jun) once each, the more recent first.
  categories: { ann: list(['shoes', 'bags', 'socks']), dan: list(['games', 'toys']) },
  // Local days: ann 1 → 15 Jun and 14 → 15 Jun; bob 13 → 15 Jun (1 day in UTC) and 15 Jun; cat 31 May.
  days_since_first_order: { ann: num(14), bob: num(2), cat: num(15), dan: num(10), eve: num(12) },
  days_since_last_order: { ann: num(1), bob: num(0), cat: num(13), dan: num(7), eve: num(11) },
  refunds: { ann: num(1) },
  refunded: { ann: num(20) },
  orders_today: { bob: num(1) },
  orders_2d: { ann: num(1), bob: num(2) },
  orders_1_2: { ann: num(1), bob: num(2) },
  orders_month: { ann: num(4), bob: num(3), cat: num(1), dan: num(2), eve: num(2) },
  spend_today: { bob: num(20) },
  // ann: a1 (100) and a2 (50, loaded twice); dan: d2 (70).
  big_orders: { ann: num(2), dan: num(1) },
  // Two of each colour: the most recent wins (blue for fay, red for gus); sizes read as numbers too.
  favourite_colour: { fay: str('blue'), gus: str('red') },
  usual_size: { fay: str('42', 42), gus: str('40', 40) },
};

beforeAll(async () => {
  product = await startTestProduct({ env: { SEGMENTS_TIME_ZONE: 'America/New_York', DEDUPE_WINDOW_SECONDS: '0' } });
  readKey = await product.keys.create('read', 'traits-reader');
  await send([
    { type: 'identify', userId: 'ann', timestamp: '2026-05-01T10:00:00Z', traits: { city: 'Boston' } },
    ...Object.values(ann),
    order('bob', 'b0', '2026-06-14T03:30:00Z', { revenue: 5 }),
    order('bob', 'b1', '2026-06-15T03:30:00Z', { revenue: 10 }),
    order('bob', 'b2', '2026-06-15T04:30:00Z', { revenue: 20 }),
    order('cat', 'c1', '2026-06-01T02:00:00Z', { revenue: 10 }),
    order('cat', 'c2', '2026-06-02T12:00:00Z', { revenue: 10 }),
    dan.d1,
    dan.d2,
    order('eve', 'e1', '2026-06-03T10:00:00Z', { order_id: 'o-e', revenue: 40 }),
    order('eve', 'e2', '2026-06-04T10:00:00Z', { order_id: 'o-e', revenue: 40 }),
    viewed('fay', 'f1', '2026-06-10T10:00:00Z', 'red', 42),
    viewed('fay', 'f2', '2026-06-11T10:00:00Z', 'blue', 41),
    viewed('fay', 'f3', '2026-06-12T10:00:00Z', 'red', 42),
    viewed('fay', 'f4', '2026-06-13T10:00:00Z', 'blue', 38),
    viewed('gus', 'g1', '2026-06-10T10:00:00Z', 'blue', 40),
    viewed('gus', 'g2', '2026-06-11T10:00:00Z', 'red', 40),
    viewed('gus', 'g3', '2026-06-12T10:00:00Z', 'blue', 44),
    viewed('gus', 'g4', '2026-06-13T10:00:00Z', 'red', 45),
    { type: 'identify', userId: 'hal', timestamp: '2026-06-01T10:00:00Z', traits: { city: 'Salem' } },
  ]);
  await loaded('1', 25);
  await send([{ type: 'identify', userId: 'dan', anonymousId: 'dan-device', timestamp: '2026-06-09T10:00:00Z' }]);
  await loaded('1', 26);
  // Resends, as they were: ann's a2, and dan's two orders, which now load under his surviving profile, so
  // that the order first loaded under the other one has copies under both.
  await send([ann.a2, dan.d1, dan.d2]);
  await loaded(`message_id IN ('a2', 'd1', 'd2')`, 6);

  for (const row of await product.sql<{ identifier: string; profile_id: string }>(`SELECT identifier, profile_id FROM profile_identifiers WHERE identifier_type = 'user_id'`)) {
    profile.set(row.identifier as User, row.profile_id);
  }
  expect([...profile.keys()].sort()).toEqual([...users]);
  const split = await product.sql<{ profile_id: string }>(`SELECT DISTINCT profile_id FROM events WHERE message_id IN ('d1', 'd2')`);
  expect(split).toHaveLength(2);
  danMerged = split.map((r) => r.profile_id).find((id) => id !== profile.get('dan'))!;
  const [copies] = await product.sql<{ n: string }>(`SELECT count() AS n FROM (SELECT message_id FROM events WHERE message_id IN ('d1', 'd2') GROUP BY message_id HAVING uniqExact(profile_id) = 2)`);
  expect(copies!.n).toBe('1');

  for (const [id, definition] of Object.entries(TRAITS)) {
    const res = await call('PUT', `/v1/computed-traits/${id}`, definition);
    expect(res.status, `${id}: ${JSON.stringify(res.body)}`).toBe(201);
  }
  for (const asOf of [AS_OF, PAST]) {
    const res = await call('POST', '/v1/jobs/traits/run', { as_of: asOf });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
});

afterAll(async () => {
  await product?.destroy();
});

/** The snapshot of one as_of: trait → user → row. */
async function snapshot(asOfCh: string): Promise<Record<string, Partial<Record<User, Row>>>> {
  const byProfile = new Map([...profile].map(([u, p]) => [p, u]));
  const rows = await product.sql<Row & { trait_id: string; profile_id: string }>(
    `SELECT trait_id, profile_id, value_number, value_string, value_list FROM computed_traits WHERE as_of = '${asOfCh}' ORDER BY trait_id, profile_id`,
  );
  const out: Record<string, Partial<Record<User, Row>>> = {};
  for (const r of rows) {
    const user = byProfile.get(r.profile_id) ?? (`unknown:${r.profile_id}` as User);
    (out[r.trait_id] ??= {})[user] = { value_number: r.value_number, value_string: r.value_string, value_list: r.value_list };
  }
  return out;
}

describe('the traits job', () => {
  test('every kind and window, as worked out by hand: merged customers, resends, refunds, ties, local days', async () => {
    const got = await snapshot(AS_OF_CH);
    for (const trait of Object.keys(TRAITS)) expect(got[trait] ?? {}, trait).toEqual(EXPECTED[trait]);
  });

  test('as of a past date, only the events up to it count', async () => {
    const got = await snapshot(PAST_CH);
    // ann had a1 (1 Jun) and a2 (10 Jun); dan both orders; bob none yet.
    expect(got.orders).toEqual({ ann: num(2), cat: num(2), dan: num(2), eve: num(2) });
    expect(got.spend!.ann).toEqual(num(150));
    expect(got.last_category!.ann).toEqual(str('bags'));
    expect(got.days_since_last_order!.ann).toEqual(num(1));
    // bags (10 Jun) is more recent than shoes and socks (1 Jun), each bought once.
    expect(got.favourite_category!.ann).toEqual(str('bags'));
    expect(got.categories!.ann!.value_list[0]).toBe('bags');
    expect([...got.categories!.ann!.value_list].sort()).toEqual(['bags', 'shoes', 'socks']);
  });

  test('a re-run for the same as_of writes the same snapshot once; the summary lists every trait with its rows', async () => {
    const before = await snapshot(AS_OF_CH);
    const res = await call('POST', '/v1/jobs/traits/run', { as_of: AS_OF });
    expect(res.status).toBe(200);
    expect(await snapshot(AS_OF_CH)).toEqual(before);
    const rows = Object.values(EXPECTED).reduce((n, byUser) => n + Object.keys(byUser).length, 0);
    expect(res.body.result.rows).toBe(rows);
    const listed = res.body.result.traits as { id: string; version: number; kind: string; rows: number }[];
    expect(listed.map((t) => t.id).sort()).toEqual(Object.keys(TRAITS).sort());
    for (const t of listed) expect(t.rows, t.id).toBe(Object.keys(EXPECTED[t.id]!).length);
    expect(listed.find((t) => t.id === 'spend')).toMatchObject({ version: 1, kind: 'sum' });
  });

  test('computed_traits_current holds the latest snapshot of current traits, for analysts', async () => {
    const [row] = await product.sql<{ n: string; as_of: string }>(`SELECT count() AS n, max(as_of) AS as_of FROM computed_traits_current WHERE trait_id = 'orders'`);
    expect(row).toEqual({ n: '5', as_of: AS_OF_CH });
  });
});

describe('preview', () => {
  const preview = (definition: unknown, profileId: string, asOf?: string, key: string | null = readKey) =>
    call('POST', '/v1/computed-traits/preview', { definition, profile_id: profileId, ...(asOf ? { as_of: asOf } : {}) }, key);

  test("a merged id answers its survivor's value over every merged id, with the SQL", async () => {
    const res = await preview(TRAITS.spend, danMerged, AS_OF);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ success: true, profile_id: profile.get('dan'), requested_profile_id: danMerged, value: 100, as_of: AS_OF });
    expect(res.body.sql).toContain('{profile_ids:Array(String)}');
    expect(Object.values(res.body.params)).toContain('revenue');
  });

  test('typed values, as of the given time; a customer without a matching event has 0, [] or null', async () => {
    const value = async (trait: string, user: User, asOf = AS_OF) => {
      const res = await preview(TRAITS[trait], profile.get(user)!, asOf);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.value;
    };
    expect(await value('categories', 'ann')).toEqual(['shoes', 'bags', 'socks']);
    expect(await value('favourite_colour', 'fay')).toBe('blue');
    expect(await value('avg_order', 'ann')).toBe(58.5);
    expect(await value('spend', 'ann', PAST)).toBe(150);
    expect(await value('orders', 'hal')).toBe(0);
    expect(await value('category_count', 'hal')).toBe(0);
    expect(await value('categories', 'hal')).toEqual([]);
    expect(await value('spend', 'hal')).toBeNull();
    expect(await value('first_category', 'hal')).toBeNull();
    // Now: a5 (after AS_OF) counts.
    const now = await preview(TRAITS.orders, profile.get('ann')!);
    expect(now.body.value).toBe(5);
  });

  test('the definition may also come as its fields beside profile_id, as a PUT body carries them', async () => {
    const res = await call('POST', '/v1/computed-traits/preview', { ...TRAITS.spend, profile_id: danMerged, as_of: AS_OF }, readKey);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ profile_id: profile.get('dan'), value: 100 });
    const bad = await call('POST', '/v1/computed-traits/preview', { name: 'x', kind: 'sum', event: 'Order Completed', profile_id: danMerged }, readKey);
    expect([bad.status, bad.body.code]).toEqual([400, 'CDP_TRAIT_INVALID']);
    expect(bad.body.problems.map((p: { path: string }) => p.path)).toContain('property');
  });

  test('an unknown profile is 404; a bad definition is 400 with problems by path', async () => {
    const unknown = await preview(TRAITS.orders, 'p_nobody');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'CDP_TRAIT_PROFILE_NOT_FOUND']);
    const bad = await preview({ name: 'x', kind: 'sum', event: 'Order Completed' }, profile.get('ann')!);
    expect([bad.status, bad.body.code]).toEqual([400, 'CDP_TRAIT_INVALID']);
    expect(bad.body.problems).toEqual([{ path: 'definition.property', message: expect.stringMatching(/sum needs a property/) }]);
    const noProfile = await call('POST', '/v1/computed-traits/preview', { definition: TRAITS.orders }, readKey);
    expect(noProfile.body.problems.map((p: { path: string }) => p.path)).toEqual(['profile_id']);
  });
});

describe('segment conditions', () => {
  const members = async (conditions: unknown, asOf = AS_OF): Promise<string[]> => {
    const res = await call('POST', '/v1/segments/preview', { conditions, as_of: asOf });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const byProfile = new Map([...profile].map(([u, p]) => [p, u]));
    return (res.body.sample as string[]).map((p) => byProfile.get(p) ?? `unknown:${p}`).sort();
  };
  const trait = (id: string, op: string, value?: unknown) => ({ type: 'computed_trait', trait: id, op, ...(value === undefined ? {} : { value }) });

  test.each([
    // Fewer than 3 orders includes the customers without any (no row is 0 for a count).
    [trait('orders', 'lt', 3), ['cat', 'dan', 'eve', 'fay', 'gus', 'hal']],
    [trait('orders', 'gte', 3), ['ann', 'bob']],
    [trait('orders', 'eq', 0), ['fay', 'gus', 'hal']],
    [trait('spend', 'gte', 100), ['ann', 'dan']],
    // No value (no row) for a sum: nothing matches, not even lt.
    [trait('spend', 'lt', 30), ['cat']],
    [trait('favourite_colour', 'eq', 'blue'), ['fay']],
    [trait('first_category', 'exists'), ['ann', 'dan']],
    [trait('first_category', 'in', ['toys', 'belts']), ['dan']],
    [trait('usual_size', 'gt', 41), ['fay']],
    // On a list, contains is an element equal to the value; neq is no element equal (an empty list too).
    [trait('categories', 'contains', 'socks'), ['ann']],
    [trait('categories', 'contains', 'sock'), []],
    [trait('categories', 'neq', 'shoes'), ['bob', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal']],
    [trait('categories', 'eq', 'toys'), ['dan']],
    [trait('categories', 'exists'), ['ann', 'dan']],
    [{ type: 'and', conditions: [trait('orders', 'gte', 2), { type: 'not', condition: trait('spend', 'gt', 50) }] }, ['bob', 'cat']],
  ])('%j', async (conditions, expected) => {
    expect(await members(conditions)).toEqual(expected);
  });

  test('reads the latest snapshot not after the run’s as_of', async () => {
    // As of PAST, bob had no order: the PAST snapshot is read, not the later one.
    expect(await members(trait('orders', 'gte', 2), PAST)).toEqual(['ann', 'cat', 'dan', 'eve']);
  });

  test('a segment naming an unknown computed trait is refused with its path; a trait a segment uses cannot be deleted', async () => {
    const unknown = await call('PUT', '/v1/segments/ghosts', { name: 'ghosts', conditions: { type: 'and', conditions: [trait('orders', 'gt', 1), trait('no-such-trait', 'gt', 1)] } });
    expect([unknown.status, unknown.body.code]).toEqual([400, 'CDP_SEGMENT_INVALID']);
    expect(unknown.body.problems).toEqual([{ path: 'conditions.conditions.1.trait', message: 'computed trait "no-such-trait" does not exist' }]);
    expect((await call('PUT', '/v1/segments/refunders', { name: 'refunders', conditions: trait('refunds', 'gte', 1) })).status).toBe(201);
    const refused = await call('DELETE', '/v1/computed-traits/refunds');
    expect([refused.status, refused.body.code]).toEqual([400, 'CDP_TRAIT_INVALID']);
    expect(refused.body.message).toMatch(/segments "refunders" use this computed trait/);
    expect((await call('GET', '/v1/computed-traits/refunds')).status).toBe(200);
  });
});

describe('audience traits', () => {
  const SEGMENT = 'everyone-with-events';
  const selected = 'orders,spend,categories,favourite_colour,city';

  beforeAll(async () => {
    expect((await call('PUT', `/v1/segments/${SEGMENT}`, { name: 'Everyone', conditions: { type: 'computed_trait', trait: 'orders', op: 'lt', value: 1000 } })).status).toBe(201);
    const run = await call('POST', `/v1/segments/${SEGMENT}/run`, { as_of: AS_OF });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.result.size).toBe(users.length);
  });

  test('members: a computed trait id answers its typed value (0, [] or null without a row); other names are profile traits', async () => {
    const res = await call('GET', `/v1/segments/${SEGMENT}/members?traits=${selected}`, undefined, readKey);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const byUser = new Map((res.body.members as { profile_id: string; traits: unknown }[]).map((m) => [[...profile].find(([, p]) => p === m.profile_id)![0], m.traits]));
    expect(byUser.get('ann')).toEqual({ orders: 4, spend: 175.5, categories: ['shoes', 'bags', 'socks'], favourite_colour: null, city: 'Boston' });
    expect(byUser.get('hal')).toEqual({ orders: 0, spend: null, categories: [], favourite_colour: null, city: 'Salem' });
    expect(byUser.get('fay')).toEqual({ orders: 0, spend: null, categories: [], favourite_colour: 'blue', city: null });
  });

  test('export: lists are JSON arrays in CSV cells; NDJSON keeps the types', async () => {
    const csv = await call('GET', `/v1/segments/${SEGMENT}/export?format=csv&traits=${selected}`, undefined, readKey);
    expect(csv.status).toBe(200);
    const lines = (csv.body as string).split('\r\n').filter(Boolean);
    expect(lines[0]).toBe(`profile_id,since,${selected}`);
    const annLine = lines.find((l) => l.startsWith(`${profile.get('ann')},`))!;
    expect(annLine.split(',').slice(2).join(',')).toBe('4,175.5,"[""shoes"",""bags"",""socks""]",,Boston');
    const halLine = lines.find((l) => l.startsWith(`${profile.get('hal')},`))!;
    expect(halLine.split(',').slice(2).join(',')).toBe('0,,[],,Salem');

    const ndjson = await call('GET', `/v1/segments/${SEGMENT}/export?format=ndjson&traits=${selected}`, undefined, readKey);
    const records = (ndjson.body as string).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(records.find((r) => r.profile_id === profile.get('dan')).traits).toEqual({ orders: 2, spend: 100, categories: ['games', 'toys'], favourite_colour: null, city: null });
  });
});

describe('definitions API', () => {
  const body = { name: 'Orders this year', kind: 'count', event: 'Order Completed', window: { this: 'year' } };

  test('PUT creates (201), the same PUT again is 200 keeping the version, a change is the next version; GET lists and reads; DELETE removes', async () => {
    const created = await call('PUT', '/v1/computed-traits/orders_year', body);
    expect(created.status).toBe(201);
    expect(created.body.trait).toMatchObject({ id: 'orders_year', version: 1, kind: 'count', call: 'track', event: 'Order Completed', window: { this: 'year' }, created_by: expect.any(String) });
    const again = await call('PUT', '/v1/computed-traits/orders_year', { id: 'orders_year', ...body });
    expect([again.status, again.body.trait.version]).toEqual([200, 1]);
    const changed = await call('PUT', '/v1/computed-traits/orders_year', { ...body, window: { within_days: 365 } });
    expect([changed.status, changed.body.trait.version]).toEqual([200, 2]);
    const read = await call('GET', '/v1/computed-traits/orders_year', undefined, readKey);
    expect(read.body.trait).toMatchObject({ version: 2, window: { within_days: 365 } });
    const listed = await call('GET', '/v1/computed-traits', undefined, readKey);
    expect((listed.body.traits as { id: string }[]).map((t) => t.id)).toEqual([...Object.keys(TRAITS), 'orders_year'].sort());
    const [stored] = await product.sql<{ n: string; last: string }>(`SELECT count() AS n, max(version) AS last FROM computed_trait_definitions WHERE trait_id = 'orders_year'`);
    expect(stored).toEqual({ n: '2', last: 2 });
    const versions = await call('GET', '/v1/computed-traits/orders_year/versions', undefined, readKey);
    expect((versions.body.versions as { version: number; window: unknown }[]).map((v) => [v.version, v.window])).toEqual([[2, { within_days: 365 }], [1, { this: 'year' }]]);

    expect((await call('DELETE', '/v1/computed-traits/orders_year')).body).toEqual({ success: true, deleted: 'orders_year' });
    // The history stays readable after the deletion (the tombstone is not a version).
    expect((await call('GET', '/v1/computed-traits/orders_year/versions', undefined, readKey)).body.versions).toHaveLength(2);
    expect((await call('GET', '/v1/computed-traits/nothing_here/versions', undefined, readKey)).status).toBe(404);
    expect((await call('GET', '/v1/computed-traits/orders_year', undefined, readKey)).status).toBe(404);
    expect((await call('DELETE', '/v1/computed-traits/orders_year')).status).toBe(404);
    const clash = await call('POST', '/v1/computed-traits', { id: 'orders', ...body });
    expect([clash.status, clash.body.code]).toEqual([409, 'already_exists']);
    const generated = await call('POST', '/v1/computed-traits', body);
    expect(generated.status).toBe(201);
    expect(generated.body.trait.id).toMatch(/^trait_[0-9a-f]{12}$/);
    expect((await call('DELETE', `/v1/computed-traits/${generated.body.trait.id}`)).status).toBe(200);
  });

  test('bad definitions and ids are 400 CDP_TRAIT_INVALID naming each problem by path', async () => {
    const cases: [string, string, unknown, string[]][] = [
      ['PUT', '/v1/computed-traits/x', { ...body, kind: 'median' }, ['kind']],
      ['PUT', '/v1/computed-traits/x', { ...body, kind: 'sum' }, ['property']],
      ['PUT', '/v1/computed-traits/x', { ...body, kind: 'unique_list', property: 'products[0].category' }, ['property']],
      ['PUT', '/v1/computed-traits/x', { ...body, kind: 'unique_list', property: 'a[].b[].c' }, ['property']],
      ['PUT', '/v1/computed-traits/x', { ...body, kind: 'first', property: 'products[].category' }, ['property']],
      ['PUT', '/v1/computed-traits/x', { ...body, window: { within_days: -1 } }, ['window.within_days']],
      ['PUT', '/v1/computed-traits/x', { ...body, window: { between_days_ago: [9, 2] } }, ['window']],
      ['PUT', '/v1/computed-traits/x', { ...body, event: undefined }, ['event']],
      ['PUT', '/v1/computed-traits/x', { id: 'y', ...body }, ['id']],
      ['PUT', '/v1/computed-traits/Bad%20Id', body, ['id']],
      ['PUT', `/v1/computed-traits/${encodeURIComponent("x'; DROP TABLE events --")}`, body, ['id']],
      ['PUT', `/v1/computed-traits/${'a'.repeat(65)}`, body, ['id']],
      ['GET', `/v1/computed-traits/${encodeURIComponent('../../keys')}`, undefined, ['id']],
      ['DELETE', '/v1/computed-traits/UPPER', undefined, ['id']],
    ];
    for (const [method, route, payload, expected] of cases) {
      const res = await call(method, route, payload);
      expect([res.status, res.body.code], `${method} ${route} ${JSON.stringify(payload)}`).toEqual([400, 'CDP_TRAIT_INVALID']);
      expect(res.body.problems.map((p: { path: string }) => p.path), `${method} ${route} ${JSON.stringify(payload)}`).toEqual(expected);
    }
    expect((await call('GET', '/v1/computed-traits/x', undefined, readKey)).status).toBe(404);
  });

  test('bodies too large or nested too deep are refused as they are read', async () => {
    const large = await call('PUT', '/v1/computed-traits/large', { ...body, name: 'x'.repeat(600_000) });
    expect([large.status, large.body.code]).toEqual([413, 'payload_too_large']);
    let deep = '1';
    for (let i = 0; i < 300; i++) deep = `[${deep}]`;
    for (const [method, route] of [['PUT', '/v1/computed-traits/deep'], ['POST', '/v1/computed-traits/preview']] as const) {
      const res = await call(method, route, `{"name":"deep","kind":"count","event":"x","where":${deep}}`);
      expect([res.status, res.body.code], route).toEqual([400, 'too_deep']);
    }
    expect((await call('GET', '/v1/computed-traits/deep', undefined, readKey)).status).toBe(404);
  });

  test('writing takes an admin key, checked before the body; reading and previews a read key', async () => {
    for (const [method, route] of [['PUT', '/v1/computed-traits/keyless'], ['POST', '/v1/computed-traits'], ['DELETE', '/v1/computed-traits/orders']] as const) {
      for (const payload of method === 'DELETE' ? [undefined] : [body, 'not json']) {
        const none = await call(method, route, payload, null);
        expect([none.status, none.body.code], `${method} ${route} without a key`).toEqual([401, 'missing_key']);
        const write = await call(method, route, payload, WRITE_KEY);
        expect([write.status, write.body.code], `${method} ${route} with a write key`).toEqual([401, 'invalid_key']);
        const read = await call(method, route, payload, readKey);
        expect([read.status, read.body.code], `${method} ${route} with a read key`).toEqual([403, 'forbidden']);
      }
    }
    for (const [method, route, payload] of [['GET', '/v1/computed-traits', undefined], ['GET', '/v1/computed-traits/orders', undefined], ['GET', '/v1/computed-traits/orders/versions', undefined], ['POST', '/v1/computed-traits/preview', { definition: TRAITS.orders, profile_id: 'x' }]] as const) {
      expect((await call(method, route, payload, null)).status, `${method} ${route}`).toBe(401);
      expect((await call(method, route, payload, WRITE_KEY)).status, `${method} ${route}`).toBe(401);
    }
    expect((await call('GET', '/v1/computed-traits/keyless', undefined, readKey)).status).toBe(404);
    expect((await call('GET', '/v1/computed-traits/orders', undefined, readKey)).body.trait.kind).toBe('count');
  });
});

describe('deletion', () => {
  test("deleting a customer clears their computed traits from every snapshot; other customers' stay", async () => {
    const eve = profile.get('eve')!;
    const count = async (profileId: string) => Number((await product.sql<{ n: string }>(`SELECT count() AS n FROM computed_traits WHERE profile_id = '${profileId}'`))[0]!.n);
    expect(await count(eve)).toBeGreaterThan(0);
    const before = await count(profile.get('ann')!);
    const res = await fetch(`${product.url}/v1/profiles/${eve}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(res.status).toBe(200);
    expect(await count(eve)).toBe(0);
    expect(await count(profile.get('ann')!)).toBe(before);
  });
});
