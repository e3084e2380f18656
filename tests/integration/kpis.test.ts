import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runJobThroughApi } from '../helpers/churn-fixtures.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The kpis job and GET /v1/kpis on a hand-built shop, in America/New_York (KPI_TIME_ZONE; SEGMENTS_TIME_ZONE
// stays UTC, so the KPI zone is the one applied). Orders (local times):
//   ann  a1 Sun 3 May 100; a2 Wed 20 May 50; a3 Tue 2 Jun 30, refunded in full (not counted)
//   bob  b1 Sun 31 May 23:30 local (1 Jun 03:30 UTC: May here, June in UTC) 40; b2 Wed 10 Jun 60
//   dan  d1 Fri 5 Jun 10 anonymously, then logs in (one customer); d2 Sun 7 Jun 20
//   eve  e1 Mon 8 Jun 25 in USD (SHOP_CURRENCY is EUR: counted as an order, left out of the money)
// as_of: Mon 15 Jun 12:00 local, so June and the week of 15 Jun are partial.
// Months:
//   May: orders 3 (a1 a2 b1), revenue 190, aov 190/3, buyers 2, new 2, returning 0, repeat by May's end 1/2
//        (ann two orders; bob one), no retention (nobody bought in April), frequency 1.5.
//   June: orders 4 (b2 d1 d2 e1), revenue 90 (e1 left out), aov 90/3, buyers 3 (bob, dan, eve), new 2 (dan,
//        eve), returning 1/3, repeat 3/4 (ann, bob, dan of ann bob dan eve), retention 1/2 (bob of ann and
//        bob), frequency 4/3, orders_other_currency 1.

let product: TestProduct;
const AS_OF = '2026-06-15T16:00:00.000Z';

const order = (who: { userId?: string; anonymousId?: string }, id: string, revenue: number, at: string, currency = 'EUR') => ({
  type: 'track', ...who, event: 'Order Completed', timestamp: at, properties: { order_id: id, revenue, currency },
});

beforeAll(async () => {
  product = await startTestProduct({ env: { KPI_TIME_ZONE: 'America/New_York', SHOP_CURRENCY: 'EUR' } });
  const batch = [
    order({ userId: 'ann' }, 'a1', 100, '2026-05-03T14:00:00Z'),
    order({ userId: 'ann' }, 'a2', 50, '2026-05-20T14:00:00Z'),
    order({ userId: 'ann' }, 'a3', 30, '2026-06-02T14:00:00Z'),
    { type: 'track', userId: 'ann', event: 'Order Refunded', timestamp: '2026-06-03T14:00:00Z', properties: { order_id: 'a3' } },
    order({ userId: 'bob' }, 'b1', 40, '2026-06-01T03:30:00Z'),
    order({ userId: 'bob' }, 'b2', 60, '2026-06-10T14:00:00Z'),
    order({ anonymousId: 'dan-device' }, 'd1', 10, '2026-06-05T14:00:00Z'),
    { type: 'identify', userId: 'dan', anonymousId: 'dan-device', timestamp: '2026-06-06T14:00:00Z', traits: {} },
    order({ userId: 'dan' }, 'd2', 20, '2026-06-07T14:00:00Z'),
    order({ userId: 'eve' }, 'e1', 25, '2026-06-08T14:00:00Z', 'USD'),
    // After as_of: not counted.
    order({ userId: 'bob' }, 'b3', 999, '2026-06-15T17:00:00Z'),
  ];
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === batch.length);
  const summary = await runJobThroughApi(product, ADMIN_KEY, 'kpis', AS_OF);
  expect(summary).toMatchObject({ job: 'kpis', status: 'succeeded', time_zone: 'America/New_York', periods: { month: { count: 2, first: '2026-05-01' } } });
});

afterAll(async () => {
  await product?.destroy();
});

const kpis = async (query: string) => product.request('GET', `/v1/kpis?${query}`, undefined, { auth: `Bearer ${ADMIN_KEY}` });

describe('the kpis job', () => {
  test('months, as worked out by hand: refunds, a merged customer, another currency, the local time zone', async () => {
    const res = await kpis('period=month');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ success: true, as_of: AS_OF, time_zone: 'America/New_York', period: 'month' });
    const [may, june] = res.body.periods;
    expect(res.body.periods).toHaveLength(2);
    expect(may).toEqual({
      period_start: '2026-05-01',
      partial: false,
      metrics: {
        orders: 3, revenue: 190, aov: 190 / 3, buyers: 2, new_buyers: 2, returning_buyer_rate: 0, repeat_purchase_rate: 0.5,
        retention_rate: null, purchase_frequency: 1.5, orders_other_currency: 0,
      },
    });
    expect(june).toEqual({
      period_start: '2026-06-01',
      partial: true,
      metrics: {
        orders: 4, revenue: 90, aov: 30, buyers: 3, new_buyers: 2, returning_buyer_rate: 1 / 3, repeat_purchase_rate: 0.75,
        retention_rate: 0.5, purchase_frequency: 4 / 3, orders_other_currency: 1,
      },
    });
  });

  test('days and weeks from Monday: every period from the first order, empty ones with zeros', async () => {
    const days = (await kpis('period=day&metrics=orders,buyers,retention_rate&from=2026-05-30&to=2026-06-02')).body;
    expect(days.success, JSON.stringify(days)).toBe(true);
    expect(days.periods).toEqual([
      { period_start: '2026-05-30', partial: false, metrics: { orders: 0, buyers: 0, retention_rate: null } },
      { period_start: '2026-05-31', partial: false, metrics: { orders: 1, buyers: 1, retention_rate: null } },
      { period_start: '2026-06-01', partial: false, metrics: { orders: 0, buyers: 0, retention_rate: 0 } },
      { period_start: '2026-06-02', partial: false, metrics: { orders: 0, buyers: 0, retention_rate: null } },
    ]);
    const all = (await kpis('period=day&metrics=orders')).body.periods;
    expect(all[0].period_start).toBe('2026-05-03');
    expect(all.at(-1)).toEqual({ period_start: '2026-06-15', partial: true, metrics: { orders: 0 } });
    expect(all).toHaveLength(44);
    const weeks = (await kpis('period=week&metrics=orders,revenue&from=2026-05-25')).body.periods;
    // 25 May – 31 May holds b1 (Sunday night local); 8 – 14 Jun holds b2 and e1 (USD: no revenue).
    expect(weeks).toEqual([
      { period_start: '2026-05-25', partial: false, metrics: { orders: 1, revenue: 40 } },
      { period_start: '2026-06-01', partial: false, metrics: { orders: 2, revenue: 30 } },
      { period_start: '2026-06-08', partial: false, metrics: { orders: 2, revenue: 60 } },
      { period_start: '2026-06-15', partial: true, metrics: { orders: 0, revenue: 0 } },
    ]);
  });

  test('a re-run for the same as_of writes the same figures once', async () => {
    const before = await product.sql<{ n: string }>(`SELECT count() AS n FROM kpi_values`);
    await runJobThroughApi(product, ADMIN_KEY, 'kpis', AS_OF);
    expect(await product.sql(`SELECT count() AS n FROM kpi_values`)).toEqual(before);
  });
});

describe('cohorts', () => {
  test('by first order month, each month from it up to as_of: share ordering and revenue per customer', async () => {
    // May: ann and bob (b1 is May in New York); June: dan and eve (eve's USD order counts, its money not).
    const res = await product.request('GET', '/v1/kpis/cohorts', undefined, { auth: `Bearer ${ADMIN_KEY}` });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      success: true,
      as_of: AS_OF,
      time_zone: 'America/New_York',
      cohorts: [
        {
          cohort_month: '2026-05-01',
          customers: 2,
          months: [
            { months_since: 0, active_customers: 2, share: 1, revenue: 190, revenue_per_customer: 95 },
            { months_since: 1, active_customers: 1, share: 0.5, revenue: 60, revenue_per_customer: 30 },
          ],
        },
        { cohort_month: '2026-06-01', customers: 2, months: [{ months_since: 0, active_customers: 2, share: 1, revenue: 30, revenue_per_customer: 15 }] },
      ],
    });
  });
});

describe('GET /v1/kpis', () => {
  test('bad input is 400; a read key is needed', async () => {
    for (const query of ['period=year', 'metrics=orders,profit', 'from=2026-13-01', 'from=2026-06-02&to=2026-06-01', 'bogus=1']) {
      const res = await kpis(query);
      expect(res.status, query).toBe(400);
      expect(res.body.success, query).toBe(false);
    }
    for (const route of ['/v1/kpis', '/v1/kpis/cohorts']) expect((await product.request('GET', route, undefined, { auth: null })).status, route).toBe(401);
    expect((await product.request('GET', '/v1/kpis/cohorts?x=1', undefined, { auth: `Bearer ${ADMIN_KEY}` })).status).toBe(400);
    // The default credentials of the test product: a source's write key, which is no API key.
    expect((await product.request('GET', '/v1/kpis')).status).toBe(401);
    const readKey = await product.keys.create('read', 'kpi-reader');
    expect((await product.request('GET', '/v1/kpis', undefined, { auth: `Bearer ${readKey}` })).status).toBe(200);
  });
});
