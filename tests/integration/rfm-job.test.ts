import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// Orders and RFM against hand-checkable fixtures, run through POST /v1/jobs/:name/run.

let product: TestProduct;
const AS_OF = '2026-06-01T00:00:00.000Z';
const asOfMs = Date.parse(AS_OF);
const day = 86_400_000;
const run = randomUUID().slice(0, 8);

async function runJob(name: string, asOf = AS_OF) {
  const res = await product.post(`/v1/jobs/${name}/run`, { as_of: asOf }, { auth: `Bearer ${ADMIN_KEY}` });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.result;
}

const order = (userId: string, orderId: string, revenue: number | undefined, at: number, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  userId,
  event: 'Order Completed',
  timestamp: new Date(at).toISOString(),
  properties: { order_id: orderId, ...(revenue === undefined ? {} : { revenue }), currency: 'EUR', ...extra },
});

beforeAll(async () => {
  product = await startTestProduct();
  // Customer i (1..10): i orders of 10 * i each, the last one 11 - i days before as_of.
  const batch: Record<string, unknown>[] = [];
  for (let i = 1; i <= 10; i++) {
    for (let k = 0; k < i; k++) batch.push(order(`c${i}-${run}`, `c${i}-o${k}-${run}`, 10 * i, asOfMs - (11 - i) * day - k * 3 * day));
  }
  // Refunds: r1 bought 100 and got 30 back; r2's only order was refunded in full (no amount given).
  batch.push(order(`r1-${run}`, `r1-o-${run}`, 100, asOfMs - 400 * day));
  batch.push({ type: 'track', userId: `r1-${run}`, event: 'Order Refunded', timestamp: new Date(asOfMs - 399 * day).toISOString(), properties: { order_id: `r1-o-${run}`, total: 30 } });
  batch.push(order(`r2-${run}`, `r2-o-${run}`, 50, asOfMs - 5 * day));
  batch.push({ type: 'track', userId: `r2-${run}`, event: 'Order Refunded', timestamp: new Date(asOfMs - 4 * day).toISOString(), properties: { order_id: `r2-o-${run}` } });
  // A total but no revenue: the total counts. The same order sent twice counts once. After as_of: not counted.
  batch.push(order(`t1-${run}`, `t1-o-${run}`, undefined, asOfMs - 500 * day, { total: 42 }));
  batch.push(order(`t1-${run}`, `t1-o-${run}`, undefined, asOfMs - 500 * day + 1000, { total: 42 }));
  batch.push(order(`t1-${run}`, `t1-late-${run}`, 999, asOfMs + day));
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events WHERE event IN ('Order Completed', 'Order Refunded')`, (r) => Number((r[0] as { n: string }).n) === batch.length);
});

afterAll(async () => {
  await product?.destroy();
});

describe('orders', () => {
  test('orders minus refunds, one row per order_id, up to as_of', async () => {
    const summary = await runJob('orders');
    // c1..c10 place 55 orders; r1, r2 and t1 one each before as_of (t1's repeat counts once, its late order not at all).
    expect(summary).toMatchObject({ job: 'orders', status: 'succeeded', as_of: AS_OF, rows: 55 + 3 });
    const rows = await product.sql<{ order_id: string; revenue: string; refunded: string; net_revenue: string }>(
      `SELECT order_id, toString(revenue) AS revenue, toString(refunded) AS refunded, toString(net_revenue) AS net_revenue FROM orders
       WHERE as_of = '${AS_OF.replace('T', ' ').replace('Z', '')}' AND order_id IN ('r1-o-${run}', 'r2-o-${run}', 't1-o-${run}') ORDER BY order_id`,
    );
    expect(rows).toEqual([
      { order_id: `r1-o-${run}`, revenue: '100', refunded: '30', net_revenue: '70' },
      { order_id: `r2-o-${run}`, revenue: '50', refunded: '50', net_revenue: '0' },
      { order_id: `t1-o-${run}`, revenue: '42', refunded: '0', net_revenue: '42' },
    ]);
  });
});

describe('rfm', () => {
  test('quintile scores and segments of the fixtures', async () => {
    const summary = await runJob('rfm');
    expect(summary.status).toBe('succeeded');
    const rows = await product.sql<{ user: string; recency_days: number; frequency: number; monetary: string; r: number; f: number; m: number; segment: string }>(
      `SELECT splitByChar('-', e.user_id)[1] AS user, s.recency_days, s.frequency, toString(s.monetary) AS monetary, s.r, s.f, s.m, s.segment
       FROM rfm_current AS s
       INNER JOIN (SELECT DISTINCT profile_id, user_id FROM events_resolved WHERE user_id LIKE 'c%-${run}') AS e ON e.profile_id = s.profile_id
       ORDER BY s.frequency`,
    );
    // The buyers in the 365-day window are c1..c10 (r2's order was refunded in full; r1 and t1 bought
    // earlier). With 10 buyers ntile(5) puts two in each quintile: customer i scores ceil(i / 2) on every
    // dimension, since i orders more recent and larger as i grows.
    expect(rows).toHaveLength(10);
    rows.forEach((row, n) => {
      const i = n + 1;
      const score = Math.ceil(i / 2);
      expect(row).toMatchObject({ user: `c${i}`, frequency: i, recency_days: 11 - i, monetary: String(10 * i * i), r: score, f: score, m: score });
    });
    expect(rows.map((r) => r.segment)).toEqual(['Lost', 'Lost', 'Hibernating', 'Hibernating', 'Need Attention', 'Need Attention', 'Loyal', 'Loyal', 'Champions', 'Champions']);
    expect(Object.values(summary.segments as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(10);
  });

  test('a refund lowers monetary, and a fully refunded order does not count', async () => {
    // An as_of whose 365-day window reaches r1's order.
    const early = '2025-05-01T00:00:00.000Z';
    await runJob('orders', early);
    await runJob('rfm', early);
    const [r1] = await product.sql<{ monetary: string; frequency: number }>(
      `SELECT toString(monetary) AS monetary, frequency FROM rfm_scores AS s INNER JOIN (SELECT DISTINCT profile_id FROM events WHERE user_id = 'r1-${run}') AS p USING (profile_id)
       WHERE s.as_of = '2025-05-01 00:00:00.000'`,
    );
    expect(r1).toEqual({ monetary: '70', frequency: 1 });
    // r2's refunded order is 5 days before AS_OF: scored as of AS_OF, where the ten c buyers are.
    await runJob('rfm');
    const scored = `SELECT profile_id FROM rfm_scores WHERE as_of = '${AS_OF.replace('T', ' ').replace('Z', '')}'`;
    expect(await product.sql(`SELECT count() AS n FROM (${scored}) AS s INNER JOIN (SELECT DISTINCT profile_id FROM events WHERE user_id LIKE 'c%-${run}') AS p USING (profile_id)`)).toEqual([{ n: '10' }]);
    const r2 = await product.sql(`SELECT 1 FROM (${scored}) AS s INNER JOIN (SELECT DISTINCT profile_id FROM events WHERE user_id = 'r2-${run}') AS p USING (profile_id)`);
    expect(r2).toEqual([]);
  });

  test('re-running an as_of gives the same rows, not more; job_runs records each run', async () => {
    // An as_of no other test runs, so that its runs are these two.
    const asOf = '2026-06-03T00:00:00.000Z';
    const rows = `SELECT profile_id, r, f, m, segment FROM rfm_scores WHERE as_of = '2026-06-03 00:00:00.000' ORDER BY profile_id`;
    await runJob('rfm', asOf);
    const before = await product.sql(rows);
    expect(before.length).toBeGreaterThan(0);
    await runJob('rfm', asOf);
    const after = await product.sql(rows);
    expect(after).toEqual(before);
    const runs = await product.sql<{ status: string; n: string }>(`SELECT status, count() AS n FROM job_runs FINAL WHERE job = 'rfm' AND as_of = '2026-06-03 00:00:00.000' GROUP BY status`);
    expect(runs).toEqual([{ status: 'succeeded', n: '2' }]);
  });

  test('rfm runs the orders job first when its output for the as_of is missing', async () => {
    const summary = await runJob('rfm', '2026-07-01T00:00:00Z');
    expect(summary.ran_dependencies.map((d: { job: string }) => d.job)).toEqual(['orders']);
    const again = await runJob('rfm', '2026-07-01T00:00:00Z');
    expect(again.ran_dependencies).toEqual([]);
  });

  test('ties are broken by profile id: equal buyers get spread, the same way every run', async () => {
    const tieRun = randomUUID().slice(0, 8);
    const batch = Array.from({ length: 10 }, (_, i) => order(`tie${i}-${tieRun}`, `tie${i}-${tieRun}`, 5, asOfMs + 40 * day));
    expect((await product.post('/v1/batch', { batch })).status).toBe(200);
    await product.waitForRows(`SELECT count() AS n FROM events WHERE user_id LIKE 'tie%-${tieRun}'`, (r) => Number((r[0] as { n: string }).n) === 10);
    const asOf = new Date(asOfMs + 41 * day).toISOString();
    await runJob('rfm', asOf);
    const q = `SELECT s.profile_id, s.f FROM rfm_scores AS s INNER JOIN (SELECT DISTINCT profile_id FROM events WHERE user_id LIKE 'tie%-${tieRun}') AS p USING (profile_id)
               WHERE s.as_of = '${asOf.replace('T', ' ').replace('Z', '')}' ORDER BY s.profile_id`;
    const first = await product.sql<{ profile_id: string; f: number }>(q);
    // The tied buyers' f scores are non-decreasing in profile id order.
    expect(first.map((r) => r.f)).toEqual([...first.map((r) => r.f)].sort((a, b) => a - b));
    await runJob('rfm', asOf);
    expect(await product.sql(q)).toEqual(first);
  });
});

describe('merges', () => {
  test('an order placed anonymously moves to the customer once the devices are linked', async () => {
    const anon = `anon-${run}`;
    const user = `merge-${run}`;
    await product.post('/v1/batch', { batch: [{ ...order(user, `m-known-${run}`, 20, asOfMs - 2 * day) }, { ...order('x', `m-anon-${run}`, 30, asOfMs - day), userId: undefined, anonymousId: anon }] });
    await product.waitForRows(`SELECT 1 FROM events WHERE order_id IN ('m-known-${run}', 'm-anon-${run}')`, (r) => r.length === 2);
    await product.post('/v1/identify', { userId: user, anonymousId: anon });
    await product.waitForRows(`SELECT 1 FROM events WHERE type = 'identify' AND user_id = '${user}'`, (r) => r.length === 1);
    const asOf = '2026-06-02T00:00:00Z';
    await runJob('rfm', asOf);
    const rows = await product.sql<{ n: number; frequency: number; monetary: string }>(
      `SELECT count() AS n, any(frequency) AS frequency, toString(any(monetary)) AS monetary FROM rfm_scores AS s
       INNER JOIN (SELECT DISTINCT profile_id FROM events_resolved WHERE user_id = '${user}') AS p USING (profile_id)
       WHERE s.as_of = '2026-06-02 00:00:00.000'`,
    );
    expect(rows).toEqual([{ n: '1', frequency: 2, monetary: '50' }]);
  });
});
