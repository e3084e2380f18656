import { createHash, randomInt, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { acceptBatch } from '../../ingest/accept.js';
import { identityRules } from '../../identity/identity-rules.js';
import { dlqReplayCommand } from '../../pipeline/cli/commands/dlq.js';
import { createClickHouse, type ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { LOAD_JOB_NAME, type LoadJobData } from '../../pipeline/core/load-job.js';
import { redisDump } from '../helpers/redis-dump.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';
import { redisKeyNames } from '../../pipeline/redis/key-names.js';

// Deleting a customer reaches what is not in ClickHouse yet: their events and refused items waiting in
// load jobs (dead letters and delayed retries), while the other events of those jobs still load once.
// Their refused events are found however the identifiers were written, and what is kept of their
// identifiers is a keyed hash that nobody can recompute from a guessed value.

let product: TestProduct;
let admin: ClickHouseClient;
let redis: Redis;
const run = randomUUID().slice(0, 8);
// Written as the customer's systems write them: a numeric user id, an email with capitals and a space,
// a phone with its national trunk prefix in brackets.
const userId = 900_000_000 + randomInt(99_999_999);
const email = `Dave.${run}@Example.com `;
const phoneDigits = `9${randomInt(10_000, 99_999)}`;
const phone = `+44 (0) 7700 ${phoneDigits}`;
const other = `other-${run}`;
const normalised = { user_id: String(userId), email: email.trim().toLowerCase(), phone: `+447700${phoneDigits}` };

const count = async (query: string) => Number((await product.sql<{ n: string }>(query))[0]!.n);
/** Whether a text holds any of the customer's identifiers, in any of the forms they were sent in. */
const holdsCustomer = (text: string) => {
  const t = text.toLowerCase();
  return [String(userId), normalised.email, phoneDigits, `laptop-${run}`].some((n) => t.includes(n));
};

beforeAll(async () => {
  product = await startTestProduct({ env: { LOAD_RETRY_ATTEMPTS: '1' } });
  admin = createClickHouse(product.config);
  redis = new Redis(product.redis.options);
});

afterAll(async () => {
  redis?.disconnect();
  await admin?.close();
  await product?.destroy();
});

test('DELETE clears the customer from queued jobs and refused events, keeps the rest loading once, and keeps only keyed hashes', async () => {
  // The customer, loaded: one profile holding the three identifiers.
  const loaded = await product.post('/v1/batch', {
    batch: [
      { type: 'identify', userId, traits: { email, phone } },
      { type: 'track', userId: other, event: 'Loaded' },
    ],
  });
  expect(loaded.status).toBe(200);
  const [profile] = await product.waitForRows<{ profile_id: string }>(`SELECT profile_id FROM events WHERE user_id = '${userId}'`, (r) => r.length === 1);

  // Refused events of the customer, each carrying one identifier in a form other than the loaded one...
  const refused = await product.post('/v1/batch', {
    batch: [
      { type: 'track', userId, properties: { note: 'no event name' } },
      { type: 'idenitfy', anonymousId: `kiosk-${run}`, traits: { email } },
      { type: 'track', event: 'Bad Time', anonymousId: `tablet-${run}`, timestamp: 'yesterday', context: { traits: { phone } } },
      // ...and one of someone else, which stays.
      { type: 'track', userId: other, properties: { note: 'no event name either' } },
    ],
  });
  expect(refused.status).toBe(400);
  await product.waitForRows(`SELECT 1 FROM rejected_events WHERE request_id != '' AND (position(payload, '${run}') > 0 OR position(payload, '${userId}') > 0)`, (r) => r.length === 4);
  expect(await count(`SELECT count() AS n FROM rejected_events WHERE has(identifiers, concat('email', char(31), '${normalised.email}'))`)).toBe(1);

  // A dead letter: a job that failed its only attempt while the events table was away.
  await admin.command({ query: 'DETACH TABLE cdp.events' });
  const queued = await product.post('/v1/batch', {
    batch: [
      { type: 'track', anonymousId: `laptop-${run}`, event: 'Queued', context: { traits: { email: ` ${email.toUpperCase()}` } } },
      { type: 'track', userId: other, event: 'Queued', messageId: `failed-${run}` },
      { type: 'track', userId, properties: { note: 'refused while queued' } },
    ],
  });
  expect(queued.status).toBe(200);
  await waitFor('the job to fail', async () => (await product.queue!.getFailedCount()) === 1);
  await admin.command({ query: 'ATTACH TABLE cdp.events' });
  const [failed] = await product.queue!.getFailed();

  // A delayed job, as a retry waits: built as the API builds its jobs.
  const limits = { maxEventBytes: 32 * 1024, maxBatchEvents: 100, maxCorrectionMs: 0, identityRules: identityRules(product.config), anonymizeIp: false };
  const info = { route: '/v1/batch', requestId: `delayed-${run}`, sourceId: 'web', ip: '127.0.0.1', receivedAt: Date.now() };
  const built = acceptBatch(
    {
      batch: [
        { type: 'identify', anonymousId: `phone-${run}`, traits: { phone: `0044 7700 ${phoneDigits}` } },
        { type: 'track', userId: other, event: 'Queued', messageId: `delayed-${run}` },
        { type: 'page', userId: String(userId), category: 42 },
        { type: 'page', userId: other, category: 42 },
      ],
    },
    info,
    limits,
  );
  // A refused item queued by a version that did not keep identifiers: found by its payload.
  const { identifiers: _dropped, ...older } = built.rejected[0]!;
  const delayedData: LoadJobData = { events: built.events, rejected: [...built.rejected, { ...older, rejectionId: randomUUID() }] };
  expect(delayedData.rejected.filter((r) => holdsCustomer(r.payload))).toHaveLength(2);
  const delayed = await product.queue!.add(LOAD_JOB_NAME, delayedData, { delay: 3_600_000 });
  expect(await delayed.getState()).toBe('delayed');

  // Every table of the schema, as ClickHouse lists it, searched in every column.
  // (Read on a connection of the test's own: the SQL console reads the product's tables only.)
  const tables = (await (await admin.query({ query: `SELECT name FROM system.tables WHERE database = {db:String} AND engine LIKE '%MergeTree%' ORDER BY name`, query_params: { db: product.config.CLICKHOUSE_DATABASE }, format: 'JSONEachRow' })).json<{ name: string }>()).map((t) => t.name);
  expect(tables).toEqual(expect.arrayContaining(['events', 'rejected_events', 'identity_edges', 'identities', 'suppressed_identifiers']));
  const customerRows = async () => {
    const found: Record<string, number> = {};
    for (const table of tables) {
      const n = await count(`SELECT count() AS n FROM ${table} WHERE ${[String(userId), normalised.email, phoneDigits, `laptop-${run}`].map((v) => `position(lower(toString(tuple(*))), '${v}') > 0`).join(' OR ')}`);
      if (n > 0) found[table] = n;
    }
    return found;
  };
  // The search sees the customer before the deletion: its finding nothing afterwards means something.
  expect(Object.keys(await customerRows())).toEqual(expect.arrayContaining(['events', 'identities', 'identity_edges', 'rejected_events']));

  const res = await fetch(`${product.url}/v1/profiles/${profile!.profile_id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(res.status).toBe(200);
  const result = await res.json();
  // The dead letter's event was resolved before its insert failed: its anonymous id joined the profile.
  expect(result).toMatchObject({ success: true, identifiers: 4, queued_events: 2, queued_rejected: 3, unfinished_load_jobs: 0 });

  // The jobs keep everyone else, and nothing of the customer is left in any job of the queue.
  const failedAfter = (await product.queue!.getJob(failed!.id!))!;
  expect(failedAfter.data.events.map((e) => e.userId)).toEqual([other]);
  expect(failedAfter.data.rejected).toEqual([]);
  const delayedAfter = (await product.queue!.getJob(delayed.id!))!;
  expect(await delayedAfter.getState()).toBe('delayed');
  expect(delayedAfter.data.events.map((e) => e.userId)).toEqual([other]);
  expect(delayedAfter.data.rejected.map((r) => JSON.parse(r.payload).userId)).toEqual([other]);
  // Nor anywhere else in Redis: queues, job payloads, the identity graph.
  for (const [key, value] of Object.entries(await redisDump(redis, product.config.QUEUE_PREFIX))) expect(holdsCustomer(`${key} ${value}`), key).toBe(false);

  // Refused events: the customer's are gone, however their identifiers were written; the other one stays.
  expect(await customerRows()).toEqual({});
  expect(await count(`SELECT count() AS n FROM rejected_events WHERE position(payload, '${other}') > 0`)).toBe(1);

  // What is kept of the identifiers is keyed: the SHA-1 that anyone could compute is nowhere.
  const sha1 = (type: string, value: string) => createHash('sha1').update(`${type}\u001f${value}`).digest('hex');
  const plain = Object.entries(normalised).map(([type, value]) => sha1(type, value));
  expect(await count(`SELECT count() AS n FROM suppressed_identifiers WHERE identifier_hash IN (${plain.map((h) => `'${h}'`).join(',')})`)).toBe(0);
  expect(await count(`SELECT count() AS n FROM suppressed_identifiers WHERE scheme = 'hmac-sha256' AND match(identifier_hash, '^[0-9a-f]{64}$')`)).toBe(4);
  for (const h of plain) expect(await redis.sismember(redisKeyNames(product.config.QUEUE_PREFIX).identity.suppressed, h)).toBe(0);

  // The jobs run again: everyone else's events load exactly once, and nothing of the customer's.
  expect(JSON.parse(await dlqReplayCommand(product.config))).toEqual({ replayed: 1 });
  await delayedAfter.promote();
  await product.waitForRows(`SELECT message_id FROM events WHERE user_id = '${other}' AND event = 'Queued'`, (r) => r.length === 2);
  await product.waitForRows(`SELECT 1 FROM rejected_events WHERE request_id = 'delayed-${run}'`, (r) => r.length === 1);
  await waitFor('the queue to empty', async () => Object.values(await product.queue!.getJobCounts('wait', 'active', 'delayed', 'failed')).every((n) => n === 0));
  expect(await count(`SELECT count() AS n FROM events WHERE user_id = '${other}' AND event = 'Queued'`)).toBe(2);
  expect(await count(`SELECT count() AS n FROM events WHERE anonymous_id IN ('laptop-${run}', 'phone-${run}') OR user_id = '${userId}'`)).toBe(0);
  expect(await customerRows()).toEqual({});
  expect(await count(`SELECT count() AS n FROM rejected_events WHERE position(payload, '${other}') > 0`)).toBe(2);

  // A later event of the customer, with the email written yet another way, is still suppressed, and so
  // is a later refused event of theirs; someone else's refused event is kept.
  expect((await product.post('/v1/batch', {
    batch: [
      { type: 'track', anonymousId: `later-${run}`, event: 'Later', context: { traits: { email: normalised.email.toUpperCase() } } },
      { type: 'track', userId, properties: { note: 'refused after the deletion' } },
      { type: 'track', userId: other, event: 'Later' },
      { type: 'track', userId: other, properties: { note: 'refused after the deletion' } },
    ],
  })).status).toBe(200);
  await product.waitForRows(`SELECT 1 FROM events WHERE user_id = '${other}' AND event = 'Later'`, (r) => r.length === 1);
  await product.waitForRows(`SELECT 1 FROM rejected_events WHERE position(payload, '${other}') > 0`, (r) => r.length === 3);
  expect(await count(`SELECT count() AS n FROM events WHERE anonymous_id = 'later-${run}'`)).toBe(0);
  expect(await customerRows()).toEqual({});
});
