import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openClickHouse } from '../../pipeline/clickhouse/open-clickhouse.js';
import { churnScore, recordChurnRuns, runJobThroughApi } from '../helpers/churn-fixtures.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The kpis job and GET /v1/kpis on a hand-built shop, in America/New_York (KPI_TIME_ZONE; SEGMENTS_TIME_ZONE
// stays UTC, so the KPI zone is the one applied). Orders (local times):
//   ann  a1 Sun 3 May 100; a2 Wed 20 May 50; a3 Tue 2 Jun 30, refunded in full (not counted)
//   bob  b1 Sun 31 May 23:30 local (1 Jun 03:30 UTC: May here, June in UTC) 40; b2 Wed 10 Jun 60
//   dan  d1 Fri 5 Jun 10 on his device; d2 Sun 7 Jun 20 logged in; two profiles until his login on the device
//        merges them (after both loaded)
//   eve  e1 Mon 8 Jun 25 in USD (SHOP_CURRENCY is EUR: counted as an order, left out of the money)
// as_of: Mon 15 Jun 12:00 local, so June and the week of 15 Jun are partial.
// Campaign touches (page views with context.campaign): ann 20 Apr 13:00 UTC old-promo (google / cpc; an hour
// more than 30 days before a2, within 30 days of a1) and 1 May spring (google / cpc); dan's device 4 Jun
// summer (facebook / social), before the order that is merged into his profile; bob 9 Jun june-mail
// (newsletter / email), after his first event (so his channel stays direct). Eve has none.
// NPS answers: ann 9 (10 May) then 6 (25 May: May's latest, a detractor) and "10" (2 Jun); bob 8 (5 Jun); dan 0
// on his device (4 Jun, 15:00 UTC); eve 11, 7.5 and a csat survey (none of them an NPS answer).
// Complaints: c1 (ann, delivery) opened 5 May 14:00 UTC, resolved 12 hours later, reopened 20 May, resolved
// 3 Jun; c2 (bob, product) opened 9 Jun, still open; c3 resolved but never opened (left out).
// Referrals: ann sent 15 May and 1 Jun, one converted 10 Jun; bob sent 11 Jun.
// Months:
//   May: orders 3 (a1 a2 b1), revenue 190, aov 190/3, buyers 2, new 2, returning 0, repeat by May's end 1/2
//        (ann two orders; bob one), no retention (nobody bought in April), frequency 1.5.
//   June: orders 4 (b2 d1 d2 e1), revenue 90 (e1 left out), aov 90/3, buyers 3 (bob, dan, eve), new 2 (dan,
//        eve), returning 1/3, repeat 3/4 (ann, bob, dan of ann bob dan eve), retention 1/2 (bob of ann and
//        bob), frequency 4/3, orders_other_currency 1.

let product: TestProduct;
const AS_OF = '2026-06-15T16:00:00.000Z';

const touch = (who: { userId?: string; anonymousId?: string }, at: string, source: string, medium: string, name: string) => ({
  type: 'page', ...who, name: 'Landing', timestamp: at, context: { campaign: { source, medium, name } },
});

const nps = (who: { userId?: string; anonymousId?: string }, at: string, score: unknown, survey = 'nps') => ({
  type: 'track', ...who, event: 'Survey Responded', timestamp: at, properties: { survey, score },
});
const complaint = (userId: string, event: string, at: string, properties: Record<string, unknown>) => ({ type: 'track', userId, event, timestamp: at, properties });
const referral = (userId: string, event: string, at: string) => ({ type: 'track', userId, event, timestamp: at, properties: { referred_user_id: 'zed' } });

const order = (who: { userId?: string; anonymousId?: string }, id: string, revenue: number, at: string, currency = 'EUR') => ({
  type: 'track', ...who, event: 'Order Completed', timestamp: at, properties: { order_id: id, revenue, currency },
});

beforeAll(async () => {
  product = await startTestProduct({ env: { KPI_TIME_ZONE: 'America/New_York', SHOP_CURRENCY: 'EUR' } });
  const batch = [
    touch({ userId: 'ann' }, '2026-04-20T13:00:00Z', 'google', 'cpc', 'old-promo'),
    touch({ userId: 'ann' }, '2026-05-01T14:00:00Z', 'google', 'cpc', 'spring'),
    touch({ anonymousId: 'dan-device' }, '2026-06-04T14:00:00Z', 'facebook', 'social', 'summer'),
    touch({ userId: 'bob' }, '2026-06-09T14:00:00Z', 'newsletter', 'email', 'june-mail'),
    order({ userId: 'ann' }, 'a1', 100, '2026-05-03T14:00:00Z'),
    order({ userId: 'ann' }, 'a2', 50, '2026-05-20T14:00:00Z'),
    order({ userId: 'ann' }, 'a3', 30, '2026-06-02T14:00:00Z'),
    { type: 'track', userId: 'ann', event: 'Order Refunded', timestamp: '2026-06-03T14:00:00Z', properties: { order_id: 'a3' } },
    order({ userId: 'bob' }, 'b1', 40, '2026-06-01T03:30:00Z'),
    order({ userId: 'bob' }, 'b2', 60, '2026-06-10T14:00:00Z'),
    order({ anonymousId: 'dan-device' }, 'd1', 10, '2026-06-05T14:00:00Z'),
    order({ userId: 'dan' }, 'd2', 20, '2026-06-07T14:00:00Z'),
    order({ userId: 'eve' }, 'e1', 25, '2026-06-08T14:00:00Z', 'USD'),
    nps({ userId: 'ann' }, '2026-05-10T14:00:00Z', 9),
    nps({ userId: 'ann' }, '2026-05-25T14:00:00Z', 6),
    nps({ userId: 'ann' }, '2026-06-02T14:00:00Z', '10'),
    nps({ userId: 'bob' }, '2026-06-05T14:00:00Z', 8),
    nps({ anonymousId: 'dan-device' }, '2026-06-04T15:00:00Z', 0),
    nps({ userId: 'eve' }, '2026-06-06T14:00:00Z', 11),
    nps({ userId: 'eve' }, '2026-06-06T15:00:00Z', 7.5),
    nps({ userId: 'eve' }, '2026-06-06T16:00:00Z', 3, 'csat'),
    complaint('ann', 'Complaint Opened', '2026-05-05T14:00:00Z', { complaint_id: 'c1', category: 'delivery', severity: 'high' }),
    complaint('ann', 'Complaint Resolved', '2026-05-06T02:00:00Z', { complaint_id: 'c1' }),
    complaint('ann', 'Complaint Reopened', '2026-05-20T14:00:00Z', { complaint_id: 'c1' }),
    complaint('ann', 'Complaint Resolved', '2026-06-03T14:00:00Z', { complaint_id: 'c1' }),
    complaint('bob', 'Complaint Opened', '2026-06-09T14:00:00Z', { complaint_id: 'c2', category: 'product', severity: 2 }),
    complaint('bob', 'Complaint Resolved', '2026-06-09T15:00:00Z', { complaint_id: 'c3' }),
    referral('ann', 'Referral Sent', '2026-05-15T14:00:00Z'),
    referral('ann', 'Referral Sent', '2026-06-01T14:00:00Z'),
    referral('ann', 'Referral Converted', '2026-06-10T14:00:00Z'),
    referral('bob', 'Referral Sent', '2026-06-11T14:00:00Z'),
    // After as_of: not counted.
    order({ userId: 'bob' }, 'b3', 999, '2026-06-15T17:00:00Z'),
  ];
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === batch.length);
  const login = { type: 'identify', userId: 'dan', anonymousId: 'dan-device', timestamp: '2026-06-08T14:00:00Z', traits: {} };
  expect((await product.post('/v1/batch', { batch: [login] })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === batch.length + 1);
  const danProfiles = await product.sql(`SELECT DISTINCT profile_id FROM events WHERE user_id = 'dan' OR anonymous_id = 'dan-device'`);
  expect(danProfiles).toHaveLength(2);
  // Spring's costs: 30 and 20, the second posted again as 45 (it replaces); 1000 USD left out (the shop's
  // currency is EUR). Ghost won no order.
  for (const [name, cost] of [
    ['spring', { date: '2026-05-10', amount: 30, currency: 'EUR' }],
    ['spring', { date: '2026-05-11', amount: 20, currency: 'EUR' }],
    ['spring', { date: '2026-05-11', amount: 45, currency: 'eur' }],
    ['spring', { date: '2026-05-12', amount: 1000, currency: 'USD' }],
    ['ghost', { date: '2026-06-01', amount: 10, currency: 'EUR' }],
  ] as const) {
    const res = await product.post(`/v1/campaigns/${name}/costs`, cost, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  const summary = await runJobThroughApi(product, ADMIN_KEY, 'kpis', AS_OF);
  expect(summary).toMatchObject({ job: 'kpis', status: 'succeeded', time_zone: 'America/New_York', periods: { month: { count: 2, first: '2026-05-01' } } });
});

afterAll(async () => {
  await product?.destroy();
});

const admin = { auth: `Bearer ${ADMIN_KEY}` };
const ORDER_METRICS = ['orders', 'revenue', 'aov', 'buyers', 'new_buyers', 'returning_buyer_rate', 'repeat_purchase_rate', 'retention_rate', 'purchase_frequency', 'orders_other_currency'];
const kpis = async (query: string, route = '/v1/kpis') => product.request('GET', `${route}?${query}`, undefined, admin);

describe('the kpis job', () => {
  test('months, as worked out by hand: refunds, a merged customer, another currency, the local time zone', async () => {
    const res = await kpis(`period=month&metrics=${ORDER_METRICS.join(',')}`);
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

describe('satisfaction and referrals', () => {
  const monthly = async (metrics: string) => (await kpis(`period=month&metrics=${metrics}`)).body.periods.map((p: { metrics: unknown }) => p.metrics);

  test('NPS: each customer\'s latest answer in the period; only integer scores 0 to 10 of the nps survey', async () => {
    expect(await monthly('nps,nps_answers,nps_promoters,nps_passives,nps_detractors')).toEqual([
      { nps: -100, nps_answers: 1, nps_promoters: 0, nps_passives: 0, nps_detractors: 1 },
      { nps: 0, nps_answers: 3, nps_promoters: 1, nps_passives: 1, nps_detractors: 1 },
    ]);
  });

  test('NPS per first-touch channel and per value tier (no tiers run: every answer is a prospect\'s)', async () => {
    const rows = await product.sql<{ dimension: string; value: number }>(
      `SELECT dimension, value FROM kpi_values WHERE period = 'month' AND period_start = '2026-06-01' AND metric = 'nps' AND dimension != '' ORDER BY dimension`,
    );
    expect(rows).toEqual([
      { dimension: 'channel:(direct)', value: 0 },
      { dimension: 'channel:facebook / social', value: -100 },
      { dimension: 'channel:google / cpc', value: 100 },
      { dimension: 'value_tier:prospect', value: 0 },
    ]);
  });

  test('one dimension through GET /v1/kpis: NPS of a value tier', async () => {
    const res = await kpis(`period=month&metrics=nps,nps_answers&dimension=${encodeURIComponent('value_tier:prospect')}`);
    expect(res.body).toMatchObject({ dimension: 'value_tier:prospect' });
    expect(res.body.periods.map((p: { metrics: unknown }) => p.metrics)).toEqual([
      { nps: -100, nps_answers: 1 },
      { nps: 0, nps_answers: 3 },
    ]);
  });

  test('complaints: opened, resolved, open at the period end (as_of for the partial one), median hours, reopen rate; by category', async () => {
    expect(await monthly('complaints_opened,complaints_resolved,complaints_open,complaint_median_hours,complaint_reopen_rate')).toEqual([
      { complaints_opened: 1, complaints_resolved: 1, complaints_open: 1, complaint_median_hours: 12, complaint_reopen_rate: 1 },
      { complaints_opened: 1, complaints_resolved: 1, complaints_open: 1, complaint_median_hours: null, complaint_reopen_rate: 0 },
    ]);
    const rows = await product.sql<{ start: string; dimension: string; metric: string; value: number }>(
      `SELECT toString(period_start) AS start, dimension, metric, value FROM kpi_values WHERE period = 'month' AND dimension LIKE 'category:%' ORDER BY start, dimension, metric`,
    );
    expect(rows.map((r) => `${r.start} ${r.dimension} ${r.metric} ${r.value}`)).toEqual([
      '2026-05-01 category:delivery complaint_median_hours 12',
      '2026-05-01 category:delivery complaint_reopen_rate 1',
      '2026-05-01 category:delivery complaints_open 1',
      '2026-05-01 category:delivery complaints_opened 1',
      '2026-05-01 category:delivery complaints_resolved 1',
      '2026-06-01 category:delivery complaint_reopen_rate 0',
      '2026-06-01 category:delivery complaints_open 0',
      '2026-06-01 category:delivery complaints_opened 0',
      '2026-06-01 category:delivery complaints_resolved 1',
      '2026-06-01 category:product complaints_open 1',
      '2026-06-01 category:product complaints_opened 1',
      '2026-06-01 category:product complaints_resolved 0',
    ]);
  });

  test('referrals: referrers, sent, conversions and the rate, sent for the referrer', async () => {
    expect(await monthly('referrers,referrals_sent,referral_conversions,referral_rate')).toEqual([
      { referrers: 1, referrals_sent: 1, referral_conversions: 0, referral_rate: 0 },
      { referrers: 2, referrals_sent: 2, referral_conversions: 1, referral_rate: 0.5 },
    ]);
  });
});

describe('NPS and complaints on the profile and in segments', () => {
  const profiles = async () => new Map((await product.sql<{ identifier: string; profile_id: string }>(`SELECT identifier, profile_id FROM profile_identifiers WHERE identifier_type = 'user_id'`)).map((r) => [r.identifier, r.profile_id]));
  const members = async (conditions: unknown, asOf: string): Promise<string[]> => {
    const res = await product.post('/v1/segments/preview', { conditions, as_of: asOf }, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const userOf = new Map([...(await profiles())].map(([u, p]) => [p, u]));
    return (res.body.sample as string[]).map((p) => userOf.get(p) ?? `unknown:${p}`).sort();
  };

  test('the profile API: the latest NPS answer\'s group and the complaints open now', async () => {
    const ids = await profiles();
    const got = async (user: string) => (await product.request('GET', `/v1/profiles/${ids.get(user)}`, undefined, admin)).body;
    expect(await got('ann')).toMatchObject({ nps_group: 'promoter', open_complaints: 0 });
    expect(await got('bob')).toMatchObject({ nps_group: 'passive', open_complaints: 1 });
    // Dan answered on his device before his login merged it into his profile.
    expect(await got('dan')).toMatchObject({ nps_group: 'detractor', open_complaints: 0 });
    expect(await got('eve')).toMatchObject({ nps_group: null, open_complaints: 0 });
  });

  test.each([
    [{ type: 'nps', group: ['detractor'] }, AS_OF, ['dan']],
    [{ type: 'nps', group: ['promoter', 'passive'] }, AS_OF, ['ann', 'bob']],
    // As of 1 June ann's latest answer was the 6 of 25 May.
    [{ type: 'nps', group: ['detractor'] }, '2026-06-01T12:00:00.000Z', ['ann']],
    [{ type: 'complaints', open: { gte: 1 } }, AS_OF, ['bob']],
    // On 21 May c1 was open again (reopened on the 20th).
    [{ type: 'complaints', open: { gte: 1 } }, '2026-05-21T12:00:00.000Z', ['ann']],
    // Customers with no open complaint have 0: leaving out those with one keeps everyone else.
    [{ type: 'complaints', open: { lt: 1 } }, AS_OF, ['ann', 'dan', 'eve']],
    [{ type: 'complaints', open: { gte: 1, lte: 1 } }, AS_OF, ['bob']],
  ])('%j as of %s', async (conditions, asOf, expected) => {
    expect(await members(conditions, asOf)).toEqual(expected);
  });

  test('bad nps and complaints conditions are 400 with their path', async () => {
    for (const conditions of [{ type: 'nps', group: [] }, { type: 'nps', group: ['fan'] }, { type: 'complaints', open: {} }, { type: 'complaints', open: { gte: -1 } }, { type: 'complaints', open: { gte: 1.5 } }, { type: 'complaints', open: { over: 1 } }, { type: 'complaints' }]) {
      const res = await product.post('/v1/segments/preview', { conditions, as_of: AS_OF }, admin);
      expect(res.status, JSON.stringify(conditions)).toBe(400);
      expect(JSON.stringify(res.body), JSON.stringify(conditions)).toMatch(/conditions/);
    }
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

describe('channels and campaigns', () => {
  test('first-touch channels per month: buyers, revenue, mean CLV (none without a churn run), NPS', async () => {
    const res = await kpis('period=month', '/v1/kpis/channels');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.periods).toEqual([
      {
        period_start: '2026-05-01',
        partial: false,
        entries: [
          { channel: '(direct)', buyers: 1, revenue: 40, mean_clv: null, nps: null, nps_answers: 0 },
          { channel: 'google / cpc', buyers: 1, revenue: 150, mean_clv: null, nps: -100, nps_answers: 1 },
        ],
      },
      {
        period_start: '2026-06-01',
        partial: true,
        entries: [
          { channel: '(direct)', buyers: 2, revenue: 60, mean_clv: null, nps: 0, nps_answers: 1 },
          { channel: 'facebook / social', buyers: 1, revenue: 30, mean_clv: null, nps: -100, nps_answers: 1 },
          // Ann answered in June without buying.
          { channel: 'google / cpc', buyers: 0, revenue: 0, mean_clv: null, nps: 100, nps_answers: 1 },
        ],
      },
    ]);
  });

  test('last touch within the attribution window, first touch the earliest; costs replace per day; cost per order and ROI', async () => {
    const res = await kpis('period=month', '/v1/kpis/campaigns');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const none = { cost: null, cost_per_order: null, roi: null };
    expect(res.body.periods).toEqual([
      {
        period_start: '2026-05-01',
        partial: false,
        entries: [
          // First touch: old-promo for both of ann's May orders (its touch is outside a2's window, which only
          // last touch has); spring's costs stand under first touch with no order.
          { campaign: 'old-promo', model: 'first_touch', orders: 2, revenue: 150, ...none },
          { campaign: 'spring', model: 'first_touch', orders: 0, revenue: 0, cost: 75, cost_per_order: null, roi: -1 },
          { campaign: 'spring', model: 'last_touch', orders: 2, revenue: 150, cost: 75, cost_per_order: 37.5, roi: 1 },
        ],
      },
      {
        period_start: '2026-06-01',
        partial: true,
        entries: [
          { campaign: 'ghost', model: 'first_touch', orders: 0, revenue: 0, cost: 10, cost_per_order: null, roi: -1 },
          { campaign: 'june-mail', model: 'first_touch', orders: 1, revenue: 60, ...none },
          { campaign: 'summer', model: 'first_touch', orders: 2, revenue: 30, ...none },
          { campaign: 'ghost', model: 'last_touch', orders: 0, revenue: 0, cost: 10, cost_per_order: null, roi: -1 },
          { campaign: 'june-mail', model: 'last_touch', orders: 1, revenue: 60, ...none },
          { campaign: 'summer', model: 'last_touch', orders: 2, revenue: 30, ...none },
        ],
      },
    ]);
    const costs = await product.request('GET', '/v1/campaigns/spring/costs', undefined, admin);
    expect(costs.body.costs.map((c: { date: string; currency: string; amount: number }) => [c.date, c.currency, c.amount])).toEqual([
      ['2026-05-10', 'EUR', 30],
      ['2026-05-11', 'EUR', 45],
      ['2026-05-12', 'USD', 1000],
    ]);
  });

  test('campaign costs: bad bodies are 400; posting and reading take an admin key', async () => {
    for (const body of [{ date: '2026-05-32', amount: 1 }, { date: '2026-05-01', amount: -1 }, { date: '2026-05-01', amount: 1, currency: 'euro' }, { date: '2026-05-01' }, { date: '2026-05-01', amount: 1, extra: true }, 'not json']) {
      const res = await product.post('/v1/campaigns/spring/costs', body, admin);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const readKey = await product.keys.create('read', 'campaign-reader');
    for (const method of ['GET', 'POST'] as const) {
      const body = method === 'POST' ? { date: '2026-05-01', amount: 1 } : undefined;
      expect((await product.request(method, '/v1/campaigns/spring/costs', body, { auth: null })).status).toBe(401);
      expect((await product.request(method, '/v1/campaigns/spring/costs', body, { auth: `Bearer ${readKey}` })).status).toBe(403);
    }
  });
});

describe('GET /v1/kpis', () => {
  test('bad input is 400; a read key is needed', async () => {
    for (const query of ['period=year', 'metrics=orders,profit', 'from=2026-13-01', 'from=2026-06-02&to=2026-06-01', 'bogus=1']) {
      const res = await kpis(query);
      expect(res.status, query).toBe(400);
      expect(res.body.success, query).toBe(false);
    }
    for (const route of ['/v1/kpis/channels', '/v1/kpis/campaigns']) expect((await kpis('period=year', route)).status, route).toBe(400);
    for (const route of ['/v1/kpis', '/v1/kpis/cohorts', '/v1/kpis/channels', '/v1/kpis/campaigns']) expect((await product.request('GET', route, undefined, { auth: null })).status, route).toBe(401);
    expect((await product.request('GET', '/v1/kpis/cohorts?x=1', undefined, { auth: `Bearer ${ADMIN_KEY}` })).status).toBe(400);
    // The default credentials of the test product: a source's write key, which is no API key.
    expect((await product.request('GET', '/v1/kpis')).status).toBe(401);
    const readKey = await product.keys.create('read', 'kpi-reader');
    expect((await product.request('GET', '/v1/kpis', undefined, { auth: `Bearer ${readKey}` })).status).toBe(200);
  });
});

describe('mean CLV per channel', () => {
  test('reads the churn snapshot standing at as_of', async () => {
    // A churn snapshot a day before as_of: ann 100, bob 40, dan 10 (half under the profile merged away, as a
    // snapshot written before the merge holds it), eve 20. A failed run at as_of is never read.
    const profileOf = new Map((await product.sql<{ identifier: string; profile_id: string }>(`SELECT identifier, profile_id FROM profile_identifiers WHERE identifier_type = 'user_id'`)).map((r) => [r.identifier, r.profile_id]));
    const [mergedAway] = await product.sql<{ profile_id: string }>(`SELECT DISTINCT profile_id FROM events WHERE (user_id = 'dan' OR anonymous_id = 'dan-device') AND profile_id != '${profileOf.get('dan')}'`);
    const clickhouse = await openClickHouse(product.config);
    try {
      const db = product.config.CLICKHOUSE_DATABASE;
      const day = '2026-06-14T16:00:00.000Z';
      const scores = [churnScore(day, profileOf.get('ann'), { clv: 100 }), churnScore(day, profileOf.get('bob'), { clv: 40 }), churnScore(day, profileOf.get('dan'), { clv: 4 }), churnScore(day, mergedAway!.profile_id, { clv: 6 }), churnScore(day, profileOf.get('eve'), { clv: 20 }), churnScore(AS_OF, profileOf.get('bob'), { clv: 9999 })];
      await clickhouse.insert({ table: `${db}.churn_scores`, format: 'JSONEachRow', values: scores });
      await recordChurnRuns(clickhouse, db, [[day, 'succeeded'], [AS_OF, 'failed']]);
    } finally {
      await clickhouse.close();
    }
    expect(await runJobThroughApi(product, ADMIN_KEY, 'kpis', AS_OF)).toMatchObject({ churn_snapshot: '2026-06-14T16:00:00.000Z' });
    const res = await kpis('period=month', '/v1/kpis/channels');
    const clv = res.body.periods.map((p: { entries: { channel: string; mean_clv: number | null }[] }) => p.entries.map((e) => [e.channel, e.mean_clv]));
    expect(clv).toEqual([
      [['(direct)', 40], ['google / cpc', 100]],
      [['(direct)', 30], ['facebook / social', 10], ['google / cpc', null]],
    ]);
  });
});
