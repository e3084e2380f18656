import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { erasureTables, schemaColumns } from '../../identity/erasure-targets.js';
import { createClickHouse, type ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// A customer's deletion clears every table of the schema that holds a customer column, the tables the
// migrations make and a table added later alike: the list is the schema's, not one kept by hand.

let product: TestProduct;
let admin: ClickHouseClient;
const run = randomUUID().slice(0, 8);
const customer = `erased-${run}`;
const other = `kept-${run}`;
const db = () => product.config.CLICKHOUSE_DATABASE;
const rows = async <T>(query: string) => (await (await admin.query({ query, format: 'JSONEachRow' })).json<T>());

beforeAll(async () => {
  product = await startTestProduct();
  // The test's own connection: the SQL console may not create tables.
  admin = createClickHouse(product.config);
});

afterAll(async () => {
  await admin?.close();
  await product?.destroy();
});

test('the tables of the migrations that hold a customer are every one the deletion clears, views and the deletion record aside', async () => {
  const cleared = erasureTables(await schemaColumns(admin, db()));
  expect(Object.fromEntries(cleared.map((t) => [t.table, t.columns]))).toEqual({
    churn_scores: ['profile_id'],
    churn_summaries: ['profile_id'],
    computed_traits: ['profile_id'],
    events: ['anonymous_id', 'previous_id', 'profile_id', 'user_id'],
    identities: ['identifier', 'profile_id'],
    identity_edges: ['identifier', 'profile_id'],
    identity_merges: ['from_profiles', 'identifier', 'profile_id'],
    journey_events: ['profile_id'],
    lifecycle_stages: ['profile_id'],
    lifecycle_transitions: ['profile_id'],
    loyalty_ledger: ['profile_id'],
    loyalty_level_changes: ['profile_id'],
    loyalty_standings: ['profile_id'],
    messages: ['profile_id'],
    orders: ['profile_id'],
    profile_activity: ['profile_id'],
    profile_consent: ['profile_id'],
    profile_consent_latest: ['profile_id'],
    profile_overrides: ['old_profile_id', 'profile_id'],
    profile_traits: ['profile_id'],
    recommendations: ['profile_id'],
    rejected_events: ['identifiers', 'payload'],
    rfm_scores: ['profile_id'],
    segment_changes: ['profile_id'],
    segment_membership: ['profile_id'],
    segment_staging: ['profile_id'],
    tracking_violations: ['profile_id'],
    value_tiers: ['profile_id'],
  });
});

test('a table added after the migrations, holding profile ids or user ids, is cleared of the customer too', async () => {
  // Two customers, loaded; an alias refused because both are user ids keeps the deleted one's id as the
  // other's previous_id.
  const res = await product.post('/v1/batch', {
    batch: [
      { type: 'identify', userId: customer, traits: { plan: 'gold' } },
      { type: 'identify', userId: other, traits: { plan: 'silver' } },
      { type: 'alias', userId: other, previousId: customer },
    ],
  });
  expect(res.status).toBe(200);
  const loaded = await product.waitForRows<{ user_id: string; profile_id: string }>(
    `SELECT user_id, profile_id FROM events WHERE user_id IN ('${customer}', '${other}') ORDER BY type, user_id`,
    (r) => r.length === 3,
  );
  const profileOf = Object.fromEntries(loaded.filter((r) => r.user_id !== '').map((r) => [r.user_id, r.profile_id]));
  expect(profileOf[customer]).not.toBe(profileOf[other]);
  const [alias] = await rows<{ profile_id: string }>(`SELECT profile_id FROM ${db()}.events WHERE type = 'alias' AND previous_id = '${customer}'`);
  expect(alias!.profile_id).toBe(profileOf[other]);

  await admin.command({ query: `CREATE TABLE ${db()}.loyalty_notes (profile_id String, note String) ENGINE = MergeTree ORDER BY profile_id` });
  await admin.command({ query: `CREATE TABLE ${db()}.newsletter_signups (user_id String, list String) ENGINE = MergeTree ORDER BY user_id` });
  await admin.insert({ table: `${db()}.loyalty_notes`, values: [{ profile_id: profileOf[customer], note: 'gold since 2020' }, { profile_id: profileOf[other], note: 'silver' }], format: 'JSONEachRow' });
  await admin.insert({ table: `${db()}.newsletter_signups`, values: [{ user_id: customer, list: 'weekly' }, { user_id: other, list: 'weekly' }], format: 'JSONEachRow' });

  const deleted = await fetch(`${product.url}/v1/profiles/${profileOf[customer]}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(deleted.status).toBe(200);

  expect(await rows(`SELECT profile_id, note FROM ${db()}.loyalty_notes`)).toEqual([{ profile_id: profileOf[other], note: 'silver' }]);
  expect(await rows(`SELECT user_id FROM ${db()}.newsletter_signups`)).toEqual([{ user_id: other }]);
  // The other customer's own events stay; the alias that named the deleted one goes with them.
  expect(await rows(`SELECT type, user_id, previous_id FROM ${db()}.events WHERE user_id IN ('${customer}', '${other}') OR previous_id = '${customer}' ORDER BY type`)).toEqual([
    { type: 'identify', user_id: other, previous_id: '' },
  ]);
});

test('a deleted customer leaves no lifecycle stage, transition or value tier', async () => {
  const erased = `states-erased-${run}`;
  const kept = `states-kept-${run}`;
  const batch = [erased, kept].flatMap((userId) => [
    { type: 'identify', userId, timestamp: '2026-01-01T00:00:00Z', traits: {} },
    { type: 'track', userId, event: 'Order Completed', timestamp: '2026-02-01T00:00:00Z', properties: { order_id: `${userId}-o`, revenue: 10 } },
  ]);
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  const loaded = await product.waitForRows<{ user_id: string; profile_id: string }>(
    `SELECT DISTINCT user_id, profile_id FROM events WHERE user_id IN ('${erased}', '${kept}')`,
    (r) => r.length === 2,
  );
  const profileOf = Object.fromEntries(loaded.map((r) => [r.user_id, r.profile_id]));
  // Prospects on 15 January, buyers on 1 March: a transition between them. Churn snapshots as fixtures, empty.
  const asOfs = ['2026-01-15T00:00:00Z', '2026-03-01T00:00:00Z'];
  await admin.insert({
    table: `${db()}.job_runs`,
    format: 'JSONEachRow',
    values: asOfs.map((asOf, i) => {
      const at = chTime(Date.parse(asOf));
      return { run_id: `fixture-churn-${run}-${i}`, job: 'churn', as_of: at, started_at: at, finished_at: at, status: 'succeeded', rows: 0, error: '', summary: '{}', version: 2 };
    }),
  });
  const runJob = async (name: string, asOf: string) => expect((await product.post(`/v1/jobs/${name}/run`, { as_of: asOf }, { auth: `Bearer ${ADMIN_KEY}` })).status).toBe(200);
  for (const asOf of asOfs) await runJob('lifecycle', asOf);
  await runJob('value_tiers', asOfs[1]!);
  const held = async () =>
    Object.fromEntries(
      await Promise.all(
        ['lifecycle_stages', 'lifecycle_transitions', 'value_tiers'].map(async (table) => {
          const r = await rows<{ profile_id: string }>(`SELECT DISTINCT profile_id FROM ${db()}.${table} WHERE profile_id IN ('${profileOf[erased]}', '${profileOf[kept]}') ORDER BY profile_id`);
          return [table, r.map((x) => x.profile_id)];
        }),
      ),
    );
  const both = [profileOf[erased], profileOf[kept]].sort();
  expect(await held()).toEqual({ lifecycle_stages: both, lifecycle_transitions: both, value_tiers: both });

  const deleted = await fetch(`${product.url}/v1/profiles/${profileOf[erased]}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(deleted.status).toBe(200);
  const left = [profileOf[kept]];
  expect(await held()).toEqual({ lifecycle_stages: left, lifecycle_transitions: left, value_tiers: left });
});
