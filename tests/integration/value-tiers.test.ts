import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { openClickHouse } from '../../pipeline/clickhouse/open-clickhouse.js';
import { createLogger } from '../../pipeline/core/logger.js';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { JOBS } from '../../segments/jobs/jobs.js';
import { churnScore, recordChurnRuns, runJobThroughApi } from '../helpers/churn-fixtures.js';
import { ADMIN_KEY, tempDir, testEnv, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The value-tiers job against hand-built buyers: b1..b10 buy once each, b_i on 1..10 March for 10 * i (b8 for 90,
// tying with b9), so an as_of on the evening of day n has exactly n buyers and the cut-offs can be checked at
// n = 1, 5, 6 and 10. Predicted values (CLV) come from churn snapshots written as fixtures. SHOP_CURRENCY is
// set (spelled in lower case), and a few buyers of April's as_of pay in other currencies.

let product: TestProduct;
let clickhouse: ClickHouseClient;
const admin = { auth: `Bearer ${ADMIN_KEY}` };
const db = () => product.config.CLICKHOUSE_DATABASE;

const X1 = '2026-03-01T12:00:00.000Z';
const X5 = '2026-03-05T12:00:00.000Z';
const X6 = '2026-03-06T12:00:00.000Z';
const X10 = '2026-03-10T12:00:00.000Z';
const Y = '2026-04-01T00:00:00.000Z';
const ch = (iso: string) => chTime(Date.parse(iso));

const profileOf = new Map<string, string>();
const userOf = new Map<string, string>();
const b = (i: number) => `b${i}`;

const order = (userId: string, id: string, revenue: number, at: string, currency: string | undefined = 'EUR') => ({
  type: 'track', userId, event: 'Order Completed', timestamp: at, properties: { order_id: id, revenue, ...(currency === undefined ? {} : { currency }) },
});

beforeAll(async () => {
  product = await startTestProduct({ env: { SHOP_CURRENCY: 'eur' } });
  const batch: Record<string, unknown>[] = [];
  for (let i = 1; i <= 10; i++) batch.push(order(b(i), `o${i}`, i === 8 ? 90 : 10 * i, `2026-03-${String(i).padStart(2, '0')}T04:00:00Z`));
  batch.push(
    order('f1', 'f1-eur', 100, '2026-03-20T04:00:00Z'),
    order('f1', 'f1-usd', 50, '2026-03-21T04:00:00Z', 'USD'),
    order('f2', 'f2-usd', 200, '2026-03-22T04:00:00Z', 'USD'),
    order('f3', 'f3-none', 30, '2026-03-23T04:00:00Z', undefined),
    order('f4', 'f4-lower', 40, '2026-03-24T04:00:00Z', 'eur'),
    order('f5', 'f5-refunded', 500, '2026-03-25T04:00:00Z'),
    { type: 'track', userId: 'f5', event: 'Order Refunded', timestamp: '2026-03-26T04:00:00Z', properties: { order_id: 'f5-refunded' } },
    // One customer, two profiles until the device logs in.
    { type: 'track', anonymousId: 'dev-v', event: 'Order Completed', timestamp: '2026-03-20T04:00:00Z', properties: { order_id: 'm-anon', revenue: 70, currency: 'EUR' } },
    order('m', 'm-user', 30, '2026-03-21T04:00:00Z'),
    { type: 'identify', userId: 'm', anonymousId: 'dev-v', timestamp: '2026-03-22T04:00:00Z', traits: {} },
  );
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === batch.length);
  for (const row of await product.sql<{ identifier: string; profile_id: string }>(`SELECT identifier, profile_id FROM profile_identifiers WHERE identifier_type = 'user_id'`)) {
    profileOf.set(row.identifier, row.profile_id);
    userOf.set(row.profile_id, row.identifier);
  }
  expect(profileOf.size).toBe(16);
  const loaded = await product.sql<{ profile_id: string }>(`SELECT DISTINCT profile_id FROM events WHERE user_id = 'm' OR anonymous_id = 'dev-v'`);
  const mergedAway = loaded.map((r) => r.profile_id).filter((p) => p !== profileOf.get('m'));
  expect(mergedAway).toHaveLength(1);

  clickhouse = await openClickHouse(product.config);
  const score = (asOf: string, profileId: string | undefined, clv: number) => churnScore(asOf, profileId, { clv });
  const clvs = (asOf: string, values: number[]) => values.map((clv, i) => score(asOf, profileOf.get(b(i + 1)), clv));
  const failed = '2026-03-06T11:00:00.000Z';
  await clickhouse.insert({
    table: `${db()}.churn_scores`,
    format: 'JSONEachRow',
    values: [
      ...clvs(X5, [500, 10, 40, 30, 20]),
      // A failed run before X6: never read.
      ...clvs(failed, [0, 9999, 0, 0, 0, 9999]),
      // b1 and b2 tie at the top.
      ...clvs(X10, [1000, 1000, 900, 1, 2, 3, 800, 700, 600, 500]),
      // Scored before the merge: both halves of m.
      score(Y, profileOf.get('m'), 7),
      score(Y, mergedAway[0], 5),
    ],
  });
  const runs = [[X1, 'succeeded'], [X5, 'succeeded'], [failed, 'failed'], [X10, 'succeeded'], [Y, 'succeeded']] as const;
  await recordChurnRuns(clickhouse, db(), runs);
});

afterAll(async () => {
  await clickhouse?.close();
  await product?.destroy();
});

const runJob = (name: string, asOf: string) => runJobThroughApi(product, ADMIN_KEY, name, asOf);

const runDirectly = (asOf: string, config = product.config) =>
  JOBS.value_tiers.run({ clickhouse, config, log: createLogger({ LOG_LEVEL: 'silent' }), database: db() }, Date.parse(asOf));

interface TierRow {
  user: string;
  tier: string;
  historical_value: string;
  predicted_value: number;
  historical_rank: number;
  predicted_rank: number;
  orders: number;
}

async function tiersAt(asOf: string): Promise<Record<string, Omit<TierRow, 'user'>>> {
  const rows = await product.sql<TierRow & { profile_id: string }>(
    `SELECT profile_id, tier, toString(historical_value) AS historical_value, predicted_value, historical_rank, predicted_rank, orders FROM value_tiers WHERE as_of = '${ch(asOf)}'`,
  );
  return Object.fromEntries(rows.map(({ profile_id, ...r }) => [userOf.get(profile_id) ?? `unknown:${profile_id}`, r]));
}

/** user → tier */
async function tierOf(asOf: string): Promise<Record<string, string>> {
  return Object.fromEntries(Object.entries(await tiersAt(asOf)).map(([u, r]) => [u, r.tier]));
}

/** Of two users, the one whose profile id sorts first. */
const firstById = (u: string, v: string) => (profileOf.get(u)! < profileOf.get(v)! ? [u, v] : [v, u]);

describe('cut-offs', () => {
  test('n = 1: the only buyer is in the top 20 %', async () => {
    const summary = await runJob('value_tiers', X1);
    expect(summary.ran_dependencies.map((d: { job: string }) => d.job)).toEqual(['orders']);
    expect(summary).toMatchObject({
      rows: 1,
      high_percent: 20,
      low_percent: 40,
      shop_currency: 'EUR',
      churn_snapshot: X1,
      tiers: { high_value: { profiles: 1, revenue: 10 }, potential: { profiles: 0, revenue: 0 }, ordinary: { profiles: 0, revenue: 0 }, low: { profiles: 0, revenue: 0 } },
      orders_other_currency: 0,
    });
    // No CLV in the X1 snapshot: predicted 0.
    expect(await tiersAt(X1)).toEqual({ b1: { tier: 'high_value', historical_value: '10', predicted_value: 0, historical_rank: 0, predicted_rank: 0, orders: 1 } });
  });

  test('n = 5: ranks step by 1/4; read from the churn snapshot of that day, not the later one', async () => {
    const summary = await runJob('value_tiers', X5);
    expect(summary.churn_snapshot).toBe(X5);
    const rows = await tiersAt(X5);
    // Historical, from the top: b5 b4 b3 b2 b1; predicted (500, 10, 40, 30, 20): b1 b3 b4 b5 b2.
    expect(Object.fromEntries(Object.entries(rows).map(([u, r]) => [u, [r.historical_rank, r.predicted_rank, r.predicted_value]]))).toEqual({
      b5: [0, 0.75, 20],
      b4: [0.25, 0.5, 30],
      b3: [0.5, 0.25, 40],
      b2: [0.75, 1, 10],
      b1: [1, 0, 500],
    });
    expect(await tierOf(X5)).toEqual({ b5: 'high_value', b1: 'potential', b2: 'low', b3: 'ordinary', b4: 'ordinary' });
  });

  test('n = 6: a rank exactly at a cut-off is outside the band; the latest successful churn run not after as_of counts', async () => {
    await runJob('orders', X6);
    // Run without its dependencies: X6 has no churn run, a failed one an hour before it.
    const summary = await runDirectly(X6);
    expect(summary.churn_snapshot).toBe(X5);
    const rows = await tiersAt(X6);
    // Historical from the top: b6 (0) b5 (.2) b4 (.4) b3 (.6) b2 (.8) b1 (1). Predicted (X5's; b6 has none, 0):
    // b1 (0) b3 (.2) b4 (.4) b5 (.6) b2 (.8) b6 (1). b5's .2 is not in the top 20 %, nor b3's predicted .2; b3's
    // historical .6 is not in the bottom 40 %.
    expect(rows.b6).toMatchObject({ historical_rank: 0, predicted_rank: 1, predicted_value: 0 });
    expect(rows.b5).toMatchObject({ historical_rank: 0.2, predicted_rank: 0.6 });
    expect(rows.b3).toMatchObject({ historical_rank: 0.6, predicted_rank: 0.2 });
    expect(await tierOf(X6)).toEqual({ b6: 'high_value', b1: 'potential', b2: 'low', b3: 'ordinary', b4: 'ordinary', b5: 'ordinary' });
  });

  test('n = 10, by the `tiers` name: equal values are split by profile id', async () => {
    const summary = await runJob('tiers', X10);
    expect(summary.job).toBe('value_tiers');
    // b8 and b9 both spent 90, second and third from the top (1/9 and 2/9): only the one first by profile id
    // is in the top 20 %. b1 and b2 tie on the highest CLV: 0 and 1/9, both below .2.
    const [tiedHigh, tiedOrdinary] = firstById('b8', 'b9');
    const [clvFirst, clvSecond] = firstById('b1', 'b2');
    const rows = await tiersAt(X10);
    expect([rows[tiedHigh!]!.historical_rank, rows[tiedOrdinary!]!.historical_rank]).toEqual([1 / 9, 2 / 9]);
    expect([rows[clvFirst!]!.predicted_rank, rows[clvSecond!]!.predicted_rank]).toEqual([0, 1 / 9]);
    // b3's CLV (900) is third: 2/9 is not below .2. The bottom 40 % by history is b4, b3, b2, b1 (6/9 and up),
    // of whom only b4 is also there by CLV (its 1 is the lowest).
    expect(await tierOf(X10)).toEqual({
      b10: 'high_value',
      [tiedHigh!]: 'high_value',
      b1: 'potential',
      b2: 'potential',
      b4: 'low',
      b3: 'ordinary',
      b5: 'ordinary',
      b6: 'ordinary',
      b7: 'ordinary',
      [tiedOrdinary!]: 'ordinary',
    });
    expect(summary.tiers).toEqual({
      high_value: { profiles: 2, revenue: 190 },
      potential: { profiles: 2, revenue: 30 },
      ordinary: { profiles: 5, revenue: 300 },
      low: { profiles: 1, revenue: 40 },
    });
  });
});

describe('money', () => {
  const shopRows = {
    f1: { historical_value: '100', orders: 2 },
    f2: { historical_value: '0', orders: 1 },
    f3: { historical_value: '30', orders: 1 },
    f4: { historical_value: '40', orders: 1 },
    m: { historical_value: '100', orders: 2, predicted_value: 12 },
  };

  test('SHOP_CURRENCY: other currencies are left out of the money and counted; refunded in full is no order; merged customers are one buyer', async () => {
    const summary = await runJob('value_tiers', Y);
    expect(summary).toMatchObject({ rows: 15, shop_currency: 'EUR', orders_other_currency: 2 });
    const revenue = Object.values(summary.tiers as Record<string, { revenue: number }>).reduce((sum, t) => sum + t.revenue, 0);
    expect(revenue).toBe(560 + 100 + 0 + 30 + 40 + 100);
    const rows = await tiersAt(Y);
    expect(rows).toMatchObject(shopRows);
    expect(rows.f5).toBeUndefined();
  });

  test('without SHOP_CURRENCY, money is summed as given', async () => {
    const summary = await runDirectly(Y, { ...product.config, SHOP_CURRENCY: undefined });
    expect(summary).toMatchObject({ shop_currency: null, orders_other_currency: 0 });
    expect(await tiersAt(Y)).toMatchObject({ f1: { historical_value: '150' }, f2: { historical_value: '200' } });
  });

  test('re-running an as_of writes the same rows, not more', async () => {
    await runJob('value_tiers', Y);
    const first = await tiersAt(Y);
    expect(first).toMatchObject(shopRows);
    await runJob('value_tiers', Y);
    expect(await tiersAt(Y)).toEqual(first);
    const [count] = await product.sql<{ n: string }>(`SELECT count() AS n FROM value_tiers WHERE as_of = '${ch(Y)}'`);
    expect(count!.n).toBe('15');
    const [current] = await product.sql<{ as_of: string; n: string }>(`SELECT any(as_of) AS as_of, count() AS n FROM value_tiers_current`);
    expect(current).toEqual({ as_of: ch(Y), n: '15' });
  });
});

describe('segment condition', () => {
  async function members(conditions: unknown, asOf: string): Promise<string[]> {
    const res = await product.post('/v1/segments/preview', { conditions, as_of: asOf }, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.size).toBe(res.body.sample.length);
    return (res.body.sample as string[]).map((p) => userOf.get(p) ?? `unknown:${p}`).sort();
  }

  test('the tiers of the latest successful snapshot not after the run', async () => {
    const [tiedHigh] = firstById('b8', 'b9');
    expect(await members({ type: 'value_tier', tier: ['high_value'] }, X10)).toEqual(['b10', tiedHigh].sort());
    expect(await members({ type: 'value_tier', tier: ['low', 'potential'] }, X10)).toEqual(['b1', 'b2', 'b4']);
    // After X6, whose snapshot was written without a job run: X5's stands.
    expect(await members({ type: 'value_tier', tier: ['high_value'] }, '2026-03-06T13:00:00Z')).toEqual(['b5']);
    expect(await members({ type: 'value_tier', tier: ['high_value'] }, '2026-02-01T00:00:00Z')).toEqual([]);
  });

  test.each([
    [{ type: 'value_tier', tier: ['vip'] }, 'conditions.tier.0'],
    [{ type: 'value_tier', tier: [] }, 'conditions.tier'],
    [{ type: 'value_tier' }, 'conditions.tier'],
  ])('%j is refused with a path', async (conditions, path) => {
    const res = await product.post('/v1/segments/preview', { conditions }, admin);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('CDP_SEGMENT_INVALID');
    expect(res.body.problems.map((p: { path: string }) => p.path)).toContain(path);
  });
});

describe('running it', () => {
  test('POST /v1/jobs/tiers/run takes an admin key and a valid as_of, like every job', async () => {
    expect((await product.post('/v1/jobs/tiers/run', { as_of: Y }, { auth: null })).status).toBe(401);
    expect((await product.post('/v1/jobs/tiers/run', { as_of: Y }, { auth: 'Bearer nope' })).status).toBe(401);
    const bad = await product.post('/v1/jobs/tiers/run', { as_of: 'yesterday' }, admin);
    expect([bad.status, bad.body.code]).toEqual([400, 'invalid_request']);
    const unknown = await product.post('/v1/jobs/tier/run', { as_of: Y }, admin);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown_job']);
  });

  test('cdp jobs run tiers', () => {
    const dataDir = tempDir();
    try {
      const res = spawnSync(process.execPath, [path.join(projectRoot(), 'bin', 'cdp.js'), 'jobs', 'run', 'tiers', '--as-of', '2026-01-01T00:00:00Z'], {
        env: { ...process.env, ...testEnv(dataDir) },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(res.status, res.stderr).toBe(0);
      const summary = JSON.parse(res.stdout);
      expect(summary).toMatchObject({ job: 'value_tiers', status: 'succeeded', rows: 0 });
      expect(summary.ran_dependencies.map((d: { job: string }) => d.job)).toEqual(['orders', 'churn']);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
