import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { erasureTables, schemaColumns } from '../../identity/erasure-targets.js';
import { createClickHouse, type ClickHouseClient } from '../../pipeline/clickhouse/client.js';
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
    lifecycle_stages: ['profile_id'],
    lifecycle_transitions: ['profile_id'],
    orders: ['profile_id'],
    profile_activity: ['profile_id'],
    profile_overrides: ['old_profile_id', 'profile_id'],
    profile_traits: ['profile_id'],
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
