import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { openClickHouse } from '../../pipeline/clickhouse/open-clickhouse.js';
import { createLogger } from '../../pipeline/core/logger.js';
import { JOBS } from '../../segments/jobs/jobs.js';
import { churnScore, recordChurnRuns, runJobThroughApi } from '../helpers/churn-fixtures.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The lifecycle job against hand-built customers, one per rule and boundary day, in Asia/Shanghai (UTC+8):
// A is 00:30 on 15 June there (16:30 UTC on the 14th), and the boundary orders sit an hour apart either side of
// a local midnight, so counting days in UTC would put several customers in another stage. The churn
// snapshots are written as fixtures, so which customer is flagged is known by construction.

let product: TestProduct;
let clickhouse: ClickHouseClient;
const admin = { auth: `Bearer ${ADMIN_KEY}` };
const db = () => product.config.CLICKHOUSE_DATABASE;

const A = '2026-06-14T16:30:00.000Z';
const T1 = '2026-07-01T04:00:00.000Z';
const T2 = '2026-08-01T04:00:00.000Z';
const T3 = '2026-09-01T04:00:00.000Z';
/** Between A and the next day, with no churn run of its own: the latest successful one before it is A's. */
const P = '2026-06-15T04:30:00.000Z';
const ms = (iso: string) => Date.parse(iso);
const ch = (iso: string) => chTime(ms(iso));

/** user id → profile id, and back. */
const profileOf = new Map<string, string>();
const userOf = new Map<string, string>();

const order = (userId: string, id: string, revenue: number, at: string) => ({ type: 'track', userId, event: 'Order Completed', timestamp: at, properties: { order_id: id, revenue, currency: 'EUR' } });
const refund = (userId: string, id: string, at: string, total?: number) => ({ type: 'track', userId, event: 'Order Refunded', timestamp: at, properties: { order_id: id, ...(total === undefined ? {} : { total }) } });
const identify = (userId: string, at: string) => ({ type: 'identify', userId, timestamp: at, traits: {} });

beforeAll(async () => {
  product = await startTestProduct({ env: { SEGMENTS_TIME_ZONE: 'Asia/Shanghai' } });
  const batch = [
    identify('prospect', '2026-01-01T00:00:00Z'),
    // First seen half an hour after A.
    identify('late', '2026-06-14T17:00:00Z'),
    // Local 17 May 00:30, day 29 before A's local day: new. Local 16 May 23:30, day 30: no longer new (in
    // UTC both are 16 May and A is the 14th: day 29, new).
    order('new29', 'n29', 30, '2026-05-16T16:30:00Z'),
    order('new30', 'n30', 30, '2026-05-16T15:30:00Z'),
    // Last order on local 16 June 2025 00:30 (day 364): not lost; on 15 June 2025 23:30 (day 365): lost (in UTC
    // both are 15 June, day 364).
    order('lost364', 'l364a', 10, '2025-01-05T04:00:00Z'),
    order('lost364', 'l364b', 10, '2025-06-15T16:30:00Z'),
    order('lost365', 'l365a', 10, '2025-01-05T04:00:00Z'),
    order('lost365', 'l365b', 10, '2025-06-15T15:30:00Z'),
    // Its only order refunded in full (no amount): no order at all.
    order('refunded', 'rf', 50, '2026-06-01T04:00:00Z'),
    refund('refunded', 'rf', '2026-06-02T04:00:00Z'),
    // A recent order refunded in full (the whole amount given), an old one kept: lost, not active.
    order('refundOld', 'ro-old', 40, '2025-03-01T04:00:00Z'),
    order('refundOld', 'ro-new', 60, '2026-06-10T04:00:00Z'),
    refund('refundOld', 'ro-new', '2026-06-11T04:00:00Z', 60),
    // Partly refunded: still an order.
    order('partial', 'pa', 80, '2026-06-05T04:00:00Z'),
    refund('partial', 'pa', '2026-06-06T04:00:00Z', 30),
    order('atrisk', 'ar1', 20, '2026-01-10T04:00:00Z'),
    order('atrisk', 'ar2', 20, '2026-04-01T04:00:00Z'),
    order('modelrisk', 'mr1', 20, '2026-02-01T04:00:00Z'),
    order('modelrisk', 'mr2', 20, '2026-05-01T04:00:00Z'),
    order('active', 'ac1', 20, '2026-03-01T04:00:00Z'),
    order('active', 'ac2', 20, '2026-06-01T04:00:00Z'),
    // An old order on a device, a recent one logged in, then the device logs in: one customer, active (apart,
    // the logged-in profile would be new and the device's lost).
    { type: 'track', anonymousId: 'dev-m', event: 'Order Completed', timestamp: '2025-05-01T04:00:00Z', properties: { order_id: 'mg-old', revenue: 20, currency: 'EUR' } },
    order('merged', 'mg-new', 25, '2026-06-01T04:00:00Z'),
    { type: 'identify', userId: 'merged', anonymousId: 'dev-m', timestamp: '2026-06-02T04:00:00Z', traits: {} },
    // The transitions' customers, first seen after A.
    order('s1', 's1a', 20, '2026-06-20T04:00:00Z'),
    order('s1', 's1b', 20, '2026-08-20T04:00:00Z'),
    order('s2', 's2a', 20, '2026-06-25T04:00:00Z'),
    order('s4', 's4a', 20, '2025-06-01T04:00:00Z'),
    order('s4', 's4b', 20, '2026-07-15T04:00:00Z'),
  ];
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === batch.length);
  for (const row of await product.sql<{ identifier: string; profile_id: string }>(`SELECT identifier, profile_id FROM profile_identifiers WHERE identifier_type = 'user_id'`)) {
    profileOf.set(row.identifier, row.profile_id);
    userOf.set(row.profile_id, row.identifier);
  }
  expect(profileOf.size).toBe(16);
  const [merge] = await product.sql<{ n: string }>(`SELECT count() AS n FROM profile_overrides_current WHERE profile_id = '${profileOf.get('merged')}'`);
  expect(Number(merge!.n)).toBe(1);

  // Churn snapshots: A flags atrisk by its rule and modelrisk by the model; a failed run after A and a
  // successful one a day later flag others, and must not count for A (nor for P, between them).
  clickhouse = await openClickHouse(product.config);
  const score = (asOf: string, user: string, rule_flag: number, churn_flag: number) => churnScore(asOf, profileOf.get(user), { rule_flag, churn_flag });
  const failedRun = '2026-06-14T22:30:00.000Z';
  const dayAfter = '2026-06-15T16:30:00.000Z';
  await clickhouse.insert({
    table: `${db()}.churn_scores`,
    format: 'JSONEachRow',
    values: [
      score(A, 'atrisk', 1, 0), score(A, 'modelrisk', 0, 1), score(A, 'active', 0, 0),
      score(failedRun, 'new30', 1, 1),
      score(dayAfter, 'active', 1, 1), score(dayAfter, 'atrisk', 0, 0), score(dayAfter, 'modelrisk', 0, 0),
      score(T2, 's1', 1, 0),
    ],
  });
  const runs = [[A, 'succeeded'], [failedRun, 'failed'], [dayAfter, 'succeeded'], [T1, 'succeeded'], [T2, 'succeeded'], [T3, 'succeeded']] as const;
  await recordChurnRuns(clickhouse, db(), runs);
});

afterAll(async () => {
  await clickhouse?.close();
  await product?.destroy();
});

const runJob = (name: string, asOf: string) => runJobThroughApi(product, ADMIN_KEY, name, asOf);

/** user → [stage, since] in the snapshot of as_of. */
async function stagesAt(asOf: string): Promise<Record<string, [string, string]>> {
  const rows = await product.sql<{ profile_id: string; stage: string; since: string }>(`SELECT profile_id, stage, since FROM lifecycle_stages WHERE as_of = '${ch(asOf)}'`);
  return Object.fromEntries(rows.map((r) => [userOf.get(r.profile_id) ?? `unknown:${r.profile_id}`, [r.stage, r.since]]));
}

/** The transitions written for as_of, as "user from→to" (R when reactivated). */
async function transitionsAt(asOf: string): Promise<string[]> {
  const rows = await product.sql<{ profile_id: string; from_stage: string; to_stage: string; from_as_of: string; reactivated: number }>(
    `SELECT profile_id, from_stage, to_stage, from_as_of, reactivated FROM lifecycle_transitions WHERE as_of = '${ch(asOf)}'`,
  );
  return rows.map((r) => `${userOf.get(r.profile_id)} ${r.from_stage}→${r.to_stage}${r.reactivated ? ' R' : ''} from ${r.from_as_of}`).sort();
}

describe('stages', () => {
  test('every rule and its boundary day, in local days, with refunds and merged customers', async () => {
    const summary = await runJob('lifecycle', A);
    // The orders snapshot was missing and is run first; churn has its (fixture) snapshot for A.
    expect(summary.ran_dependencies.map((d: { job: string }) => d.job)).toEqual(['orders']);
    expect(summary).toMatchObject({
      job: 'lifecycle',
      rows: 13,
      time_zone: 'Asia/Shanghai',
      new_days: 30,
      lost_days: 365,
      compared_with: null,
      churn_snapshot: A,
      stages: { prospect: 2, new: 2, active: 4, at_risk: 2, lost: 3 },
      transitions: 0,
      reactivated: 0,
    });
    const since = ch(A);
    // `late` was first seen after A; s1 and s2 too. The merged customer is one row, under the survivor.
    expect(await stagesAt(A)).toEqual({
      prospect: ['prospect', since],
      refunded: ['prospect', since],
      new29: ['new', since],
      partial: ['new', since],
      new30: ['active', since],
      lost364: ['active', since],
      active: ['active', since],
      merged: ['active', since],
      atrisk: ['at_risk', since],
      modelrisk: ['at_risk', since],
      lost365: ['lost', since],
      refundOld: ['lost', since],
      s4: ['lost', since],
    });
    expect(await transitionsAt(A)).toEqual([]);
  });

  test('orders, first and last order are the counted ones', async () => {
    const rows = await product.sql<{ profile_id: string; orders: number; first_order_at: string | null; last_order_at: string | null }>(
      `SELECT profile_id, orders, first_order_at, last_order_at FROM lifecycle_stages WHERE as_of = '${ch(A)}'`,
    );
    const of = (user: string) => rows.find((r) => r.profile_id === profileOf.get(user));
    expect(of('merged')).toMatchObject({ orders: 2, first_order_at: '2025-05-01 04:00:00.000', last_order_at: '2026-06-01 04:00:00.000' });
    expect(of('refundOld')).toMatchObject({ orders: 1, first_order_at: '2025-03-01 04:00:00.000', last_order_at: '2025-03-01 04:00:00.000' });
    expect(of('refunded')).toMatchObject({ orders: 0, first_order_at: null, last_order_at: null });
    expect(of('partial')).toMatchObject({ orders: 1 });
  });

  test('lifecycle_current is the latest successful snapshot', async () => {
    const [current] = await product.sql<{ as_of: string; n: string }>(`SELECT any(as_of) AS as_of, count() AS n FROM lifecycle_current`);
    expect(current).toEqual({ as_of: ch(A), n: '13' });
  });

  test('as of a past date, the churn snapshot that stood then: the latest successful one not after it', async () => {
    // P has no churn run of its own; after A come a failed run (flagging new30) and, after P, a successful one
    // (flagging active, clearing atrisk and modelrisk). The job itself, without its dependency runs.
    await runJob('orders', P);
    const summary = await JOBS.lifecycle.run({ clickhouse, config: product.config, log: createLogger({ LOG_LEVEL: 'silent' }), database: db() }, ms(P));
    expect(summary).toMatchObject({ churn_snapshot: A, compared_with: A });
    const stages = await stagesAt(P);
    expect([stages.atrisk?.[0], stages.modelrisk?.[0], stages.active?.[0], stages.new30?.[0]]).toEqual(['at_risk', 'at_risk', 'active', 'active']);
    // Seen by P, and nothing else changed since A: carried.
    expect(stages.late).toEqual(['prospect', ch(P)]);
    expect(stages.new29).toEqual(['new', ch(A)]);
  });
});

describe('history', () => {
  const expected = (over: Record<string, [string, string]>) => ({
    prospect: ['prospect', ch(A)],
    refunded: ['prospect', ch(A)],
    new30: ['active', ch(A)],
    active: ['active', ch(A)],
    merged: ['active', ch(A)],
    lost365: ['lost', ch(A)],
    refundOld: ['lost', ch(A)],
    late: ['prospect', ch(T1)],
    new29: ['active', ch(T1)],
    lost364: ['lost', ch(T1)],
    atrisk: ['active', ch(T1)],
    modelrisk: ['active', ch(T1)],
    ...over,
  });

  test('T1: compared with A; customers A did not hold come from ""', async () => {
    const summary = await runJob('lifecycle', T1);
    expect(summary).toMatchObject({ compared_with: A, churn_snapshot: T1, transitions: 7, reactivated: 2, stages: { prospect: 3, new: 3, active: 6, at_risk: 0, lost: 4 } });
    expect(await stagesAt(T1)).toEqual(expected({ partial: ['new', ch(A)], s1: ['new', ch(T1)], s2: ['new', ch(T1)], s4: ['lost', ch(A)] }));
    const from = ch(A);
    expect(await transitionsAt(T1)).toEqual([
      `atrisk at_risk→active R from ${from}`,
      `late →prospect from ${from}`,
      `lost364 active→lost from ${from}`,
      `modelrisk at_risk→active R from ${from}`,
      `new29 new→active from ${from}`,
      `s1 →new from ${from}`,
      `s2 →new from ${from}`,
    ]);
  });

  test('T2: a lost customer comes back (reactivated), a new one is flagged by the churn rule', async () => {
    const summary = await runJob('lifecycle', T2);
    expect(summary).toMatchObject({ compared_with: T1, transitions: 4, reactivated: 1 });
    expect(await stagesAt(T2)).toEqual(expected({ partial: ['active', ch(T2)], s1: ['at_risk', ch(T2)], s2: ['active', ch(T2)], s4: ['active', ch(T2)] }));
    const from = ch(T1);
    expect(await transitionsAt(T2)).toEqual([`partial new→active from ${from}`, `s1 new→at_risk from ${from}`, `s2 new→active from ${from}`, `s4 lost→active R from ${from}`]);
  });

  test('T3: at_risk to active is a reactivation; unchanged stages keep their since', async () => {
    const summary = await runJob('lifecycle', T3);
    expect(summary).toMatchObject({ compared_with: T2, transitions: 1, reactivated: 1 });
    expect(await stagesAt(T3)).toEqual(expected({ partial: ['active', ch(T2)], s1: ['active', ch(T3)], s2: ['active', ch(T2)], s4: ['active', ch(T2)] }));
    expect(await transitionsAt(T3)).toEqual([`s1 at_risk→active R from ${ch(T2)}`]);
  });

  test('re-running an as_of writes the same snapshot and transitions, not more', async () => {
    const before = [await stagesAt(T2), await transitionsAt(T2)];
    const summary = await runJob('lifecycle', T2);
    expect(summary).toMatchObject({ rows: 16, transitions: 4, ran_dependencies: [] });
    expect([await stagesAt(T2), await transitionsAt(T2)]).toEqual(before);
    const [rows] = await product.sql<{ n: string }>(`SELECT count() AS n FROM lifecycle_stages WHERE as_of = '${ch(T2)}'`);
    expect(rows!.n).toBe('16');
    const runs = await product.sql(`SELECT status, count() AS n FROM job_runs FINAL WHERE job = 'lifecycle' AND as_of = '${ch(T2)}' GROUP BY status`);
    expect(runs).toEqual([{ status: 'succeeded', n: '2' }]);
  });
});

describe('segment condition', () => {
  async function members(conditions: unknown, asOf: string): Promise<string[]> {
    const res = await product.post('/v1/segments/preview', { conditions, as_of: asOf }, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.size).toBe(res.body.sample.length);
    return (res.body.sample as string[]).map((p) => userOf.get(p) ?? `unknown:${p}`).sort();
  }

  test.each([
    ['new at A', { stage: ['new'] }, A, ['new29', 'partial']],
    ['at risk or lost at A', { stage: ['at_risk', 'lost'] }, A, ['atrisk', 'lost365', 'modelrisk', 'refundOld', 's4']],
    // Between T1 and T2 the T1 snapshot stands (P's, written without a job run, never does).
    ['new, between T1 and T2', { stage: ['new'] }, '2026-07-20T00:00:00Z', ['partial', 's1', 's2']],
    ['before any snapshot', { stage: ['prospect'] }, '2026-06-01T00:00:00Z', []],
    // T3 is 1 September, local; since T2 is 1 August, 31 local days before.
    ['entered active today', { stage: ['active'], entered_within_days: 1 }, T3, ['s1']],
    ['entered active within 31 days', { stage: ['active'], entered_within_days: 31 }, T3, ['s1']],
    ['entered active within 32 days', { stage: ['active'], entered_within_days: 32 }, T3, ['partial', 's1', 's2', 's4']],
  ])('%s', async (_name, cond, asOf, expected) => {
    expect(await members({ type: 'lifecycle', ...cond }, asOf)).toEqual(expected);
  });

  test('combined with other conditions', async () => {
    const cond = { type: 'and', conditions: [{ type: 'lifecycle', stage: ['active'] }, { type: 'not', condition: { type: 'event', event: 'Order Completed', window: { within_days: 60 } } }] };
    // Active at T3 without an order in the 60 local days up to it (4 July on): s1 and s4 ordered since.
    expect(await members(cond, T3)).toEqual(['active', 'atrisk', 'merged', 'modelrisk', 'new29', 'new30', 'partial', 's2']);
  });

  test.each([
    [{ type: 'lifecycle', stage: ['dormant'] }, 'conditions.stage.0'],
    [{ type: 'lifecycle', stage: [] }, 'conditions.stage'],
    [{ type: 'lifecycle' }, 'conditions.stage'],
    [{ type: 'lifecycle', stage: ['new'], entered_within_days: 0 }, 'conditions.entered_within_days'],
    [{ type: 'lifecycle', stage: ['new'], since: 3 }, 'conditions'],
  ])('%j is refused with a path', async (conditions, path) => {
    const res = await product.post('/v1/segments/preview', { conditions }, admin);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('CDP_SEGMENT_INVALID');
    expect(res.body.problems.map((p: { path: string }) => p.path)).toContain(path);
  });
});
