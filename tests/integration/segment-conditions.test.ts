import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { openClickHouse } from '../../pipeline/clickhouse/open-clickhouse.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The segment compiler, one condition type at a time, against hand-built customers whose membership is
// known by construction. Time windows run in Europe/Berlin (UTC+2 on these dates), and several events sit
// right beside a local-day or local-quarter boundary that falls on a different day in UTC.

let product: TestProduct;
let clickhouse: ClickHouseClient;
const AS_OF = '2026-06-15T10:00:00.000Z';
const admin = { auth: `Bearer ${ADMIN_KEY}` };
/** user id → profile id */
const profile = new Map<string, string>();
const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'] as const;
type User = (typeof users)[number];

const at = (iso: string) => ({ timestamp: iso });
const track = (userId: User, event: string, when: string, properties: Record<string, unknown> = {}) => ({ type: 'track', userId, event, ...at(when), properties });

beforeAll(async () => {
  product = await startTestProduct({ env: { SEGMENTS_TIME_ZONE: 'Europe/Berlin' } });
  const batch = [
    { type: 'identify', userId: 'u1', ...at('2026-01-10T09:00:00Z'), traits: { city: 'Berlin', age: 34, vip: true, signup: '2026-01-10', email: 'u1@example.com' } },
    { type: 'identify', userId: 'u2', ...at('2026-01-11T09:00:00Z'), traits: { city: 'Munich', age: 20 } },
    { type: 'identify', userId: 'u3', ...at('2026-01-12T09:00:00Z'), traits: { city: 'berlin-mitte', age: 'unknown' } },
    { type: 'identify', userId: 'u4', ...at('2026-01-13T09:00:00Z'), traits: { email: 'u4@example.com' } },
    { type: 'page', userId: 'u5', name: 'Home', ...at('2026-06-10T09:00:00Z'), properties: {} },
    // u1: two orders this quarter (shoes), viewed a product at 00:30 Berlin time today (22:30 UTC yesterday).
    track('u1', 'Order Completed', '2026-04-02T10:00:00Z', { order_id: 'o1', revenue: 120, category: 'shoes' }),
    track('u1', 'Order Completed', '2026-05-20T10:00:00Z', { order_id: 'o2', revenue: 80, category: 'shoes' }),
    track('u1', 'Product Viewed', '2026-06-14T22:30:00Z', { category: 'shoes' }),
    // u2: one order at 00:30 on 1 April in Berlin, which is still 31 March (Q1) in UTC; a view at 23:30
    // Berlin time yesterday (21:30 UTC), which is yesterday in both.
    track('u2', 'Order Completed', '2026-03-31T22:30:00Z', { order_id: 'o3', revenue: 15, category: 'socks' }),
    track('u2', 'Product Viewed', '2026-06-14T21:30:00Z', { category: 'socks' }),
    // u3: a view after as_of, which never counts.
    track('u3', 'Product Viewed', '2026-06-15T11:00:00Z', { category: 'bags' }),
    // u4: three orders of bags this quarter, with a nested product object.
    track('u4', 'Order Completed', '2026-06-01T10:00:00Z', { order_id: 'o4', revenue: 30, category: 'bags', product: { brand: 'Acme' } }),
    track('u4', 'Order Completed', '2026-06-02T10:00:00Z', { order_id: 'o5', revenue: 30, category: 'bags', product: { brand: 'Acme' } }),
    track('u4', 'Order Completed', '2026-06-03T10:00:00Z', { order_id: 'o6', revenue: 30, category: 'bags', product: { brand: 'Other' } }),
    // u6: a wishlist seen on a device before login (one profile), a gift card bought logged in elsewhere
    // (another), then a login on the first device merges them: conditions must follow the merge.
    { type: 'track', anonymousId: 'u6-device', event: 'Wishlist Viewed', ...at('2026-06-01T08:00:00Z'), properties: {} },
    { type: 'track', userId: 'u6', event: 'Gift Card Bought', ...at('2026-06-01T09:00:00Z'), properties: {} },
    { type: 'track', userId: 'u6', event: 'Gift Card Bought', ...at('2026-06-02T09:00:00Z'), properties: {} },
    { type: 'identify', userId: 'u6', anonymousId: 'u6-device', ...at('2026-06-03T09:00:00Z'), traits: {} },
  ];
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === batch.length);
  for (const row of await product.sql<{ identifier: string; profile_id: string }>(`SELECT identifier, profile_id FROM profile_identifiers WHERE identifier_type = 'user_id'`)) {
    profile.set(row.identifier, row.profile_id);
  }
  expect(profile.size).toBe(users.length);
  const [overrides] = await product.sql<{ n: string }>('SELECT count() AS n FROM profile_overrides_current');
  expect(Number(overrides!.n)).toBe(1);

  // RFM and churn scores as the jobs would have written them, for this as_of.
  clickhouse = await openClickHouse(product.config);
  const asOf = chTime(Date.parse(AS_OF));
  const db = product.config.CLICKHOUSE_DATABASE;
  const p = (u: User) => profile.get(u)!;
  await clickhouse.insert({
    table: `${db}.rfm_scores`,
    format: 'JSONEachRow',
    values: [
      { as_of: asOf, profile_id: p('u1'), recency_days: 26, frequency: 2, monetary: 200, r: 5, f: 5, m: 5, segment: 'Champions' },
      { as_of: asOf, profile_id: p('u2'), recency_days: 75, frequency: 1, monetary: 15, r: 1, f: 1, m: 1, segment: 'Lost' },
      { as_of: asOf, profile_id: p('u4'), recency_days: 12, frequency: 3, monetary: 90, r: 4, f: 3, m: 3, segment: 'Potential Loyalist' },
    ],
  });
  const churn = (u: User, p_alive: number, churn_flag: number, rule_flag: number, clv: number) => ({
    as_of: asOf, profile_id: p(u), x: 1, t_x: 1, T: 10, monetary: 10, days_since_last: 1, median_interval_days: null, rule_threshold_days: 30, rule_flag, p_alive, expected_30d: 0, expected_90d: 0, expected_value: 0, clv, churn_flag,
  });
  await clickhouse.insert({ table: `${db}.churn_scores`, format: 'JSONEachRow', values: [churn('u1', 0.9, 0, 0, 500), churn('u2', 0.1, 1, 1, 5), churn('u4', 0.25, 1, 0, 120)] });
  for (const job of ['rfm', 'churn']) {
    await clickhouse.insert({ table: `${db}.job_runs`, format: 'JSONEachRow', values: [{ run_id: `fixture-${job}`, job, as_of: asOf, started_at: asOf, finished_at: asOf, status: 'succeeded', rows: 3, error: '', summary: '{}', version: 2 }] });
  }
});

afterAll(async () => {
  await clickhouse?.close();
  await product?.destroy();
});

/** Members of a definition as of AS_OF, by user id. */
async function members(conditions: unknown, asOf = AS_OF): Promise<string[]> {
  const res = await product.post('/v1/segments/preview', { conditions, as_of: asOf }, admin);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const byProfile = new Map([...profile].map(([u, p]) => [p, u]));
  expect(res.body.size).toBe(res.body.sample.length);
  return (res.body.sample as string[]).map((p) => byProfile.get(p) ?? `unknown:${p}`).sort();
}

describe('profile_activity', () => {
  test('the profiles view counts, per surviving profile, what events_resolved holds', async () => {
    const fromEvents = await product.sql<{ profile_id: string; n: string; first: string; last: string }>(
      `SELECT profile_id, count() AS n, min(timestamp) AS first, max(timestamp) AS last FROM events_resolved WHERE profile_id != '' GROUP BY profile_id ORDER BY profile_id`,
    );
    const fromView = await product.sql<{ profile_id: string; n: string; first: string; last: string }>(
      `SELECT profile_id, event_count AS n, first_seen AS first, last_seen AS last FROM profiles ORDER BY profile_id`,
    );
    expect(fromView).toEqual(fromEvents);
    expect(fromView.length).toBe(users.length);
  });
});

describe('trait conditions', () => {
  test.each([
    [{ op: 'eq', trait: 'city', value: 'Berlin' }, ['u1']],
    [{ op: 'neq', trait: 'city', value: 'Berlin' }, ['u2', 'u3']],
    [{ op: 'contains', trait: 'city', value: 'BERL' }, ['u1', 'u3']],
    [{ op: 'in', trait: 'city', value: ['Berlin', 'Munich'] }, ['u1', 'u2']],
    [{ op: 'gt', trait: 'age', value: 30 }, ['u1']],
    [{ op: 'lte', trait: 'age', value: 20 }, ['u2']],
    [{ op: 'eq', trait: 'age', value: 34 }, ['u1']],
    [{ op: 'exists', trait: 'vip' }, ['u1']],
    [{ op: 'eq', trait: 'vip', value: true }, ['u1']],
    [{ op: 'before', trait: 'signup', value: '2026-02-01' }, ['u1']],
    [{ op: 'after', trait: 'signup', value: '2026-01-10' }, []],
    // A bare date trait is midnight in Berlin, 23:00 UTC the day before.
    [{ op: 'before', trait: 'signup', value: '2026-01-09T23:30:00Z' }, ['u1']],
    [{ op: 'after', trait: 'signup', value: '2026-01-09T22:30:00Z' }, ['u1']],
    [{ op: 'after', trait: 'signup', value: { days_ago: 365 } }, ['u1']],
    [{ op: 'before', trait: 'signup', value: { days_ago: 365 } }, []],
  ])('%j', async (cond, expected) => {
    expect(await members({ type: 'trait', ...cond })).toEqual(expected);
  });
});

describe('traits as of the run', () => {
  test('a trait counts from the time of the event that set it', async () => {
    const city = { type: 'trait', trait: 'city', op: 'eq', value: 'Berlin' };
    // u1's city was set on 2026-01-10.
    expect(await members(city, '2026-01-10T08:59:59Z')).toEqual([]);
    expect(await members(city, '2026-01-10T09:00:00Z')).toEqual(['u1']);
  });
});

describe('event conditions', () => {
  test.each([
    ['performed at all', { event: 'Order Completed' }, ['u1', 'u2', 'u4']],
    ['twice or more this quarter, in local time', { event: 'Order Completed', count: { op: 'gte', value: 2 }, window: { this: 'quarter' } }, ['u1', 'u4']],
    // u2's order is on 1 April in Berlin: this quarter locally, though 31 March in UTC.
    ['this quarter, local time', { event: 'Order Completed', window: { this: 'quarter' } }, ['u1', 'u2', 'u4']],
    // Today in Berlin starts at 22:00 UTC yesterday: u1's view (22:30 UTC) is today, u2's (21:30 UTC) is not; u3's is after as_of.
    ['within 1 day = today, local time', { event: 'Product Viewed', window: { within_days: 1 } }, ['u1']],
    ['within 2 days', { event: 'Product Viewed', window: { within_days: 2 } }, ['u1', 'u2']],
    ['between 1 and 30 days ago', { event: 'Product Viewed', window: { between_days_ago: [1, 30] } }, ['u2']],
    ['property filter', { event: 'Order Completed', where: [{ property: 'category', op: 'eq', value: 'shoes' }] }, ['u1']],
    ['numeric property filter', { event: 'Order Completed', where: [{ property: 'revenue', op: 'gte', value: 100 }] }, ['u1']],
    ['nested property', { event: 'Order Completed', where: [{ property: 'product.brand', op: 'eq', value: 'Acme' }], count: { op: 'eq', value: 2 } }, ['u4']],
    ['property exists', { event: 'Order Completed', where: [{ property: 'product', op: 'exists' }] }, ['u4']],
    // Fewer than two orders includes the profiles with none.
    ['count below 2 includes zero', { event: 'Order Completed', count: { op: 'lt', value: 2 } }, ['u2', 'u3', 'u5', 'u6']],
    ['count exactly 0', { event: 'Order Completed', count: { op: 'eq', value: 0 } }, ['u3', 'u5', 'u6']],
    // Events loaded under the merged-away profile count for the survivor, and counts add up across both.
    ['merged profiles: events of both count', { event: 'Wishlist Viewed' }, ['u6']],
    ['merged profiles: counts add up', { event: 'Gift Card Bought', count: { op: 'eq', value: 2 } }, ['u6']],
    ['page views by name', { call: 'page', name: 'Home' }, ['u5']],
  ])('%s', async (_name, cond, expected) => {
    expect(await members({ type: 'event', ...cond })).toEqual(expected);
  });

  test('did not perform, with and without a window', async () => {
    expect(await members({ type: 'no_event', event: 'Order Completed' })).toEqual(['u3', 'u5', 'u6']);
    expect(await members({ type: 'no_event', event: 'Order Completed', window: { within_days: 30 } })).toEqual(['u2', 'u3', 'u5', 'u6']);
  });
});

describe('scores', () => {
  test.each([
    [{ type: 'rfm', segment: ['Champions', 'Lost'] }, ['u1', 'u2']],
    [{ type: 'rfm', r: { gte: 4 } }, ['u1', 'u4']],
    [{ type: 'rfm', f: { lte: 3 }, m: { gte: 2 } }, ['u4']],
    [{ type: 'churn', flag: 'model' }, ['u2', 'u4']],
    [{ type: 'churn', flag: 'rule' }, ['u2']],
    [{ type: 'churn', flag: 'none' }, ['u1']],
    [{ type: 'churn', p_alive: { gte: 0.2, lte: 0.5 } }, ['u4']],
    [{ type: 'clv', gte: 100 }, ['u1', 'u4']],
    [{ type: 'clv', lte: 100 }, ['u2']],
  ])('%j', async (cond, expected) => {
    expect(await members(cond)).toEqual(expected);
  });
});

describe('scores as of the run', () => {
  test('a run for a past date reads the snapshot that stood then, not the latest', async () => {
    const db = product.config.CLICKHOUSE_DATABASE;
    const earlier = chTime(Date.parse(AS_OF) - 10 * 86_400_000);
    await clickhouse.insert({
      table: `${db}.rfm_scores`,
      format: 'JSONEachRow',
      values: [{ as_of: earlier, profile_id: profile.get('u5'), recency_days: 1, frequency: 9, monetary: 900, r: 5, f: 5, m: 5, segment: 'Champions' }],
    });
    await clickhouse.insert({ table: `${db}.job_runs`, format: 'JSONEachRow', values: [{ run_id: 'fixture-rfm-earlier', job: 'rfm', as_of: earlier, started_at: earlier, finished_at: earlier, status: 'succeeded', rows: 1, error: '', summary: '{}', version: 2 }] });
    const champions = { type: 'rfm', segment: ['Champions'] };
    expect(await members(champions)).toEqual(['u1']);
    expect(await members(champions, new Date(Date.parse(AS_OF) - 5 * 86_400_000).toISOString())).toEqual(['u5']);
    expect(await members(champions, new Date(Date.parse(AS_OF) - 20 * 86_400_000).toISOString())).toEqual([]);
  });
});

describe('combinations', () => {
  test('high-value customers at risk of churning', async () => {
    expect(await members({ type: 'and', conditions: [{ type: 'clv', gte: 100 }, { type: 'churn', flag: 'model' }] })).toEqual(['u4']);
  });
  test('viewed but did not buy', async () => {
    expect(await members({ type: 'and', conditions: [{ type: 'event', event: 'Product Viewed' }, { type: 'no_event', event: 'Order Completed', window: { within_days: 30 } }] })).toEqual(['u2']);
  });
  test('in Berlin and bought twice this quarter', async () => {
    expect(await members({ type: 'and', conditions: [{ type: 'trait', trait: 'city', op: 'eq', value: 'Berlin' }, { type: 'event', event: 'Order Completed', count: { op: 'gte', value: 2 }, window: { this: 'quarter' } }] })).toEqual(['u1']);
  });
  test('or, and not (which includes profiles without the trait)', async () => {
    expect(await members({ type: 'or', conditions: [{ type: 'trait', trait: 'city', op: 'eq', value: 'Munich' }, { type: 'rfm', segment: ['Champions'] }] })).toEqual(['u1', 'u2']);
    expect(await members({ type: 'not', condition: { type: 'trait', trait: 'city', op: 'eq', value: 'Berlin' } })).toEqual(['u2', 'u3', 'u4', 'u5', 'u6']);
    expect(await members({ type: 'and', conditions: [{ type: 'not', condition: { type: 'event', event: 'Order Completed' } }, { type: 'not', condition: { type: 'trait', trait: 'city', op: 'exists' } }] })).toEqual(['u5', 'u6']);
    expect(await members({ type: 'and', conditions: [{ type: 'event', event: 'Wishlist Viewed' }, { type: 'event', event: 'Gift Card Bought' }] })).toEqual(['u6']);
  });
});

describe('injection and bad definitions', () => {
  test('values are parameters: SQL in a value or a property name is just text', async () => {
    for (const value of [`Berlin' OR 1=1 --`, `'); DROP TABLE events; --`, `\\' OR '1'='1`]) {
      expect(await members({ type: 'trait', trait: 'city', op: 'eq', value })).toEqual([]);
      expect(await members({ type: 'trait', trait: value, op: 'exists' })).toEqual([]);
      expect(await members({ type: 'event', event: value, where: [{ property: value, op: 'eq', value }] })).toEqual([]);
    }
    const [count] = await product.sql<{ n: string }>('SELECT count() AS n FROM events');
    expect(Number(count!.n)).toBeGreaterThan(0);
  });

  test.each([
    [{ type: 'trait', trait: 'city', op: 'like', value: 'x' }, 'conditions.op'],
    [{ type: 'trait', trait: 'age', op: 'gt', value: 'thirty' }, 'conditions.value'],
    [{ type: 'event' }, 'conditions.event'],
    [{ type: 'event', event: 'x', window: { between_days_ago: [30, 1] } }, 'conditions.window'],
    [{ type: 'rfm', segment: ['Whales'] }, 'conditions.segment.0'],
    [{ type: 'segment', segment_id: 'nope' }, 'conditions'],
    [{ type: 'and', conditions: [] }, 'conditions.conditions'],
    [{ type: 'sql_injection', x: 1 }, 'conditions.type'],
  ])('%j is refused with a path', async (conditions, path) => {
    const res = await product.post('/v1/segments/preview', { conditions }, admin);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('CDP_SEGMENT_INVALID');
    expect(res.body.problems.map((p: { path: string }) => p.path)).toContain(path);
  });

  test('nesting deeper than the limit is refused', async () => {
    let cond: unknown = { type: 'trait', trait: 'city', op: 'exists' };
    for (let i = 0; i < 13; i++) cond = { type: 'not', condition: cond };
    const res = await product.post('/v1/segments/preview', { conditions: cond }, admin);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/nested deeper/);
  });
});
