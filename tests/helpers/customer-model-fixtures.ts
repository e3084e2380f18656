import { randomUUID } from 'node:crypto';
import { createClickHouse } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { recordRun } from '../../segments/jobs/job-runs.js';
import type { TestProduct } from './test-product.js';

// Customers sent through the tracking API (one merged), and the customer model's snapshots written straight
// into ClickHouse as the traits, lifecycle and value_tiers jobs write them, each with its job_runs row: the
// profile API, the read endpoints and the dashboard only read these tables. The figures the tests expect are
// worked out by hand in the tests from the rows below. SEGMENTS_TIME_ZONE is Europe/Berlin in both tests,
// and L3 / V2 (23:30 UTC on 10 March) fall on the local day 11 March.

export const ZONE = 'Europe/Berlin';

const at = (iso: string) => Date.parse(iso);
export const SNAPSHOTS = {
  L1: at('2026-01-10T00:00:00Z'),
  L2: at('2026-02-10T00:00:00Z'),
  /** A lifecycle run that failed: its rows must never be read. */
  L_FAILED: at('2026-02-20T00:00:00Z'),
  L3: at('2026-03-10T23:30:00Z'),
  V1: at('2026-02-10T00:00:00Z'),
  V2: at('2026-03-10T23:30:00Z'),
  T1: at('2026-03-01T00:00:00Z'),
  T2: at('2026-03-10T00:00:00Z'),
  T_FAILED: at('2026-03-12T00:00:00Z'),
};

export interface Customers {
  /** Ann's surviving profile (her anonymous visit, the older one). */
  ann: string;
  /** The profile Ann's user id started, merged into `ann` by her login. */
  annMerged: string;
  bob: string;
  /** Pam only browsed: a prospect. */
  pam: string;
  annEmail: string;
  annUserId: string;
}

async function send(product: TestProduct, batch: Record<string, unknown>[]): Promise<void> {
  const res = await product.post('/v1/batch', { batch: batch.map((e) => ({ messageId: randomUUID(), ...e })) });
  if (res.status !== 200) throw new Error(`batch refused: ${JSON.stringify(res.body)}`);
}

const loaded = (product: TestProduct, n: number) => product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === n);

/** Ann (an anonymous visit, then her user id, then a login that merges the two), Bob and Pam. */
export async function sendCustomers(product: TestProduct, run: string): Promise<Customers> {
  const annAnon = `anon-ann-${run}`;
  const annUserId = `ann-${run}`;
  const annEmail = `ann.${run}@example.com`;
  await send(product, [
    { type: 'page', anonymousId: annAnon, name: 'Home' },
    { type: 'page', anonymousId: `anon-pam-${run}`, name: 'Sale' },
    { type: 'track', userId: `bob-${run}`, event: 'Order Completed', properties: { order_id: `o-bob-${run}`, revenue: 90 } },
  ]);
  await loaded(product, 3);
  await send(product, [{ type: 'track', userId: annUserId, event: 'Order Completed', properties: { order_id: `o-ann-${run}`, revenue: 250.5 } }]);
  await loaded(product, 4);
  await send(product, [{ type: 'identify', anonymousId: annAnon, userId: annUserId, traits: { email: annEmail } }]);
  await loaded(product, 5);
  const one = async (where: string) => (await product.sql<{ p: string }>(`SELECT profile_id AS p FROM events WHERE ${where} LIMIT 1`))[0]!.p;
  const [ann, annMerged, bob, pam] = [
    await one(`anonymous_id = '${annAnon}' AND type = 'page'`),
    await one(`user_id = '${annUserId}' AND type = 'track'`),
    await one(`user_id = 'bob-${run}'`),
    await one(`anonymous_id = 'anon-pam-${run}'`),
  ];
  return { ann, annMerged, bob, pam, annEmail, annUserId };
}

type LifecycleStage = 'prospect' | 'new' | 'active' | 'at_risk' | 'lost';

/** Writes the snapshots below; x1 to x5 are profiles with no events, only there to be counted. */
export async function writeCustomerModel(product: TestProduct, c: Customers): Promise<void> {
  const clickhouse = createClickHouse(product.config);
  const db = product.config.CLICKHOUSE_DATABASE;
  const { L1, L2, L_FAILED, L3, V1, V2, T1, T2, T_FAILED } = SNAPSHOTS;
  const insert = (table: string, values: Record<string, unknown>[]) => clickhouse.insert({ table: `${db}.${table}`, format: 'JSONEachRow', values });
  const run = (job: string, asOf: number, status: 'succeeded' | 'failed') => recordRun(clickhouse, db, { job, asOf, startedAt: asOf, finishedAt: asOf + 1000, status });
  try {
    // Lifecycle: [profile, stage, since] per snapshot.
    const lifecycle: [number, [string, LifecycleStage, number][]][] = [
      [L1, [[c.ann, 'new', L1], [c.annMerged, 'prospect', L1], [c.bob, 'active', L1], ['x1', 'active', L1], ['x2', 'at_risk', L1], ['x3', 'lost', L1], [c.pam, 'prospect', L1]]],
      [L2, [[c.ann, 'active', L2], [c.bob, 'at_risk', L2], ['x1', 'lost', L2], ['x2', 'active', L2], ['x3', 'lost', L1], [c.pam, 'prospect', L1], ['x4', 'new', L2]]],
      [L_FAILED, [[c.ann, 'lost', L_FAILED], ['x3', 'active', L_FAILED]]],
      [L3, [[c.ann, 'active', L2], [c.bob, 'active', L3], ['x1', 'active', L3], ['x2', 'active', L2], ['x3', 'lost', L1], [c.pam, 'prospect', L1], ['x4', 'active', L3], ['x5', 'new', L3]]],
    ];
    await insert(
      'lifecycle_stages',
      lifecycle.flatMap(([asOf, rows]) => rows.map(([profile_id, stage, since]) => ({ as_of: chTime(asOf), profile_id, stage, since: chTime(since), orders: stage === 'prospect' ? 0 : 1, first_order_at: null, last_order_at: null }))),
    );
    // Transitions as the job records them, each snapshot against the one before: [profile, from, to, reactivated].
    const transitions: [number, number, [string, LifecycleStage | '', LifecycleStage, number][]][] = [
      [L1, L2, [[c.ann, 'new', 'active', 0], [c.bob, 'active', 'at_risk', 0], ['x1', 'active', 'lost', 0], ['x2', 'at_risk', 'active', 1], ['x4', '', 'new', 0]]],
      [L2, L_FAILED, [['x3', 'lost', 'active', 1]]],
      [L2, L3, [[c.bob, 'at_risk', 'active', 1], ['x1', 'lost', 'active', 1], ['x4', 'new', 'active', 0], ['x5', '', 'new', 0]]],
    ];
    await insert(
      'lifecycle_transitions',
      transitions.flatMap(([from, to, rows]) => rows.map(([profile_id, from_stage, to_stage, reactivated]) => ({ profile_id, from_stage, to_stage, from_as_of: chTime(from), as_of: chTime(to), reactivated }))),
    );
    await run('lifecycle', L1, 'succeeded');
    await run('lifecycle', L2, 'succeeded');
    await run('lifecycle', L_FAILED, 'failed');
    await run('lifecycle', L3, 'succeeded');

    // Value tiers: [profile, tier, historical value, predicted value, historical rank, predicted rank].
    const tiers: [number, [string, string, number, number, number, number][]][] = [
      [V1, [[c.ann, 'potential', 100, 200, 0.5, 0], [c.bob, 'high_value', 150, 40, 0, 1]]],
      [
        V2,
        [
          [c.ann, 'high_value', 250.5, 120, 0, 0.25],
          [c.bob, 'potential', 90, 300, 0.25, 0],
          ['x1', 'ordinary', 60, 50, 0.5, 0.5],
          ['x2', 'low', 10, 5, 0.75, 0.75],
          ['x4', 'low', 5, 2, 1, 1],
          ['x5', 'ordinary', 20, 10, 0.2, 0.8],
        ],
      ],
    ];
    await insert(
      'value_tiers',
      tiers.flatMap(([asOf, rows]) =>
        rows.map(([profile_id, tier, historical_value, predicted_value, historical_rank, predicted_rank]) => ({ as_of: chTime(asOf), profile_id, tier, historical_value, predicted_value, historical_rank, predicted_rank, orders: 1 })),
      ),
    );
    await run('value_tiers', V1, 'succeeded');
    await run('value_tiers', V2, 'succeeded');

    // Computed traits: definitions (one renamed in a second version, one deleted), then the snapshots.
    const definition = (trait_id: string, version: number, name: string, kind: string, deleted = 0) => ({
      trait_id, version, name, kind, definition: JSON.stringify({ name, kind, event: 'Order Completed' }), created_at: chTime(T1), created_by: 'test', deleted,
    });
    await insert('computed_trait_definitions', [
      definition('orders', 1, 'orders', 'count'),
      definition('orders', 2, 'Orders', 'count'),
      definition('spend', 1, 'Spend', 'sum'),
      definition('fav', 1, 'Favourite category', 'most_frequent'),
      definition('cats', 1, 'Categories', 'unique_list'),
      definition('ncats', 1, 'Category count', 'unique_count'),
      definition('recency', 1, 'Days since last visit', 'days_since_last'),
      definition('gone', 1, 'Gone', 'count'),
      definition('gone', 2, 'Gone', 'count', 1),
    ]);
    const trait = (asOf: number, trait_id: string, profile_id: string, value: { n?: number; s?: string; list?: string[] }) => ({
      as_of: chTime(asOf), trait_id, trait_version: 1, profile_id, value_number: value.n ?? null, value_string: value.s ?? null, value_list: value.list ?? [],
    });
    await insert('computed_traits', [
      trait(T1, 'orders', c.ann, { n: 1 }),
      trait(T2, 'orders', c.ann, { n: 3 }),
      trait(T2, 'spend', c.ann, { n: 250.5 }),
      trait(T2, 'fav', c.ann, { s: 'shoes' }),
      trait(T2, 'cats', c.ann, { list: ['shoes', 'hats'] }),
      trait(T2, 'ncats', c.ann, { n: 2 }),
      trait(T2, 'recency', c.ann, { n: 4 }),
      trait(T2, 'gone', c.ann, { n: 7 }),
      // A row under the merged id, as a snapshot taken before the merge would hold: never Ann's figure.
      trait(T2, 'orders', c.annMerged, { n: 99 }),
      trait(T_FAILED, 'orders', c.ann, { n: 42 }),
    ]);
    await run('traits', T1, 'succeeded');
    await run('traits', T2, 'succeeded');
    await run('traits', T_FAILED, 'failed');
  } finally {
    await clickhouse.close();
  }
}
