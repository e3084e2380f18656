import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readProfileConsent } from '../../identity/consent/profile-consent-reader.js';
import { createClickHouse, type ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import type { EnrichedEvent } from '../../pipeline/core/load-job.js';
import { createMetrics } from '../../pipeline/core/metrics.js';
import type { LoadBatch, ResolvedEvent } from '../../pipeline/load/load-batch.js';
import type { StepContext } from '../../pipeline/load/step-runner.js';
import { buildRows } from '../../pipeline/load/steps/build-rows.js';
import { skipAlreadyInserted } from '../../pipeline/load/steps/skip-already-inserted.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// Consent as events state it (context.consent.categoryPreferences), kept per profile by the loader in
// profile_consent: the latest statement by event time wins, ties by message id, merged profiles included.
// Read by readProfileConsent (the destinations' reader), the profile API and the analyst view.

let product: TestProduct;
let clickhouse: ClickHouseClient;
let readKey: string;
const run = randomUUID().slice(0, 8);
const db = () => product.config.CLICKHOUSE_DATABASE;
const ann = `ann-${run}`;
const tie = `tie-${run}`;
const plain = `plain-${run}`;
const bea = `bea-${run}`;
const beaDevice = `bea-device-${run}`;
const cat = `cat-${run}`;
const catDevice = `cat-device-${run}`;
/** identifier → the profile its first event was loaded under */
const loadedAs = new Map<string, string>();
const ids: string[] = [];

const consent = (categoryPreferences: Record<string, unknown>) => ({ context: { consent: { categoryPreferences } } });

/** Sends a batch and waits until its events are loaded. */
async function send(batch: Record<string, unknown>[]) {
  const events = batch.map((e) => ({ messageId: `${run}-${randomUUID()}`, ...e }));
  ids.push(...events.map((e) => e.messageId as string));
  const res = await product.post('/v1/batch', { batch: events });
  expect(res.status).toBe(200);
  const list = ids.map((i) => `'${i}'`).join(',');
  await product.waitForRows(`SELECT count() AS n FROM events WHERE message_id IN (${list})`, (r) => Number((r[0] as { n: string }).n) === ids.length);
}

async function profileOf(column: 'user_id' | 'anonymous_id', value: string): Promise<string> {
  const [row] = await product.sql<{ profile_id: string }>(`SELECT any(profile_id) AS profile_id FROM events WHERE ${column} = '${value}'`);
  return row!.profile_id;
}

const api = (path: string, key = readKey, method = 'GET') => fetch(`${product.url}${path}`, { method, headers: { authorization: `Bearer ${key}` } });

beforeAll(async () => {
  product = await startTestProduct();
  clickhouse = createClickHouse(product.config);
  readKey = await product.keys.create('read', 'crm');
  // Ann grants marketing and denies analytics; a value that is not a boolean says nothing.
  await send([{ type: 'identify', userId: ann, timestamp: '2026-01-01T10:00:00Z', traits: {}, ...consent({ marketing: true, analytics: false, ads: 'yes' }) }]);
  // Later she withdraws marketing; an older event arriving after it (granting both) must not win marketing back.
  await send([
    { type: 'track', userId: ann, event: 'Settings Saved', timestamp: '2026-01-03T00:00:00Z', ...consent({ marketing: false }) },
    { type: 'track', userId: ann, event: 'Settings Saved', timestamp: '2026-01-02T00:00:00Z', ...consent({ marketing: true, analytics: true }) },
  ]);
  // Two statements in the same millisecond: the larger message id wins, whatever the order they came in.
  await send([
    { type: 'track', userId: tie, event: 'Banner', messageId: `${run}-tie-b`, timestamp: '2026-01-05T00:00:00Z', ...consent({ marketing: false, analytics: true }) },
    { type: 'track', userId: tie, event: 'Banner', messageId: `${run}-tie-a`, timestamp: '2026-01-05T00:00:00Z', ...consent({ marketing: true, analytics: false }) },
  ]);
  // A customer whose events state nothing.
  await send([{ type: 'track', userId: plain, event: 'Product Viewed', timestamp: '2026-01-06T00:00:00Z', properties: {} }]);
  // Bea granted marketing on 1 February; her device, anonymous, denied it on 10 February. Cat: the device
  // denied on 1 March, Cat granted on 5 March. Each is loaded as its own profile first.
  await send([
    { type: 'identify', userId: bea, timestamp: '2026-02-01T00:00:00Z', traits: {}, ...consent({ marketing: true }) },
    { type: 'track', anonymousId: beaDevice, event: 'Banner', timestamp: '2026-02-10T00:00:00Z', ...consent({ marketing: false }) },
    { type: 'track', anonymousId: catDevice, event: 'Banner', timestamp: '2026-03-01T00:00:00Z', ...consent({ marketing: false }) },
    { type: 'identify', userId: cat, timestamp: '2026-03-05T00:00:00Z', traits: {}, ...consent({ marketing: true }) },
  ]);
  for (const [column, value] of [['user_id', ann], ['user_id', tie], ['user_id', plain], ['user_id', bea], ['anonymous_id', beaDevice], ['user_id', cat], ['anonymous_id', catDevice]] as const) {
    loadedAs.set(value, await profileOf(column, value));
  }
});

afterAll(async () => {
  await clickhouse?.close();
  await product?.destroy();
});

describe('consent stated on events', () => {
  test('one row per category an event states with a boolean, under the profile it resolved to, dated by the event', async () => {
    const rows = await product.sql(
      `SELECT category, granted, toString(stated_at) AS stated_at, profile_id = '${loadedAs.get(ann)}' AS own FROM profile_consent
       WHERE message_id IN (SELECT message_id FROM events WHERE user_id = '${ann}') ORDER BY stated_at, category`,
    );
    expect(rows).toEqual([
      { category: 'analytics', granted: false, stated_at: '2026-01-01 10:00:00.000', own: 1 },
      { category: 'marketing', granted: true, stated_at: '2026-01-01 10:00:00.000', own: 1 },
      { category: 'analytics', granted: true, stated_at: '2026-01-02 00:00:00.000', own: 1 },
      { category: 'marketing', granted: true, stated_at: '2026-01-02 00:00:00.000', own: 1 },
      { category: 'marketing', granted: false, stated_at: '2026-01-03 00:00:00.000', own: 1 },
    ]);
  });

  test('the latest statement by event time wins, not the last to arrive; ties go to the larger message id', async () => {
    const read = await readProfileConsent(clickhouse, db(), [loadedAs.get(ann)!, loadedAs.get(tie)!]);
    expect(read.get(loadedAs.get(ann)!)).toEqual({ marketing: false, analytics: true });
    expect(read.get(loadedAs.get(tie)!)).toEqual({ marketing: false, analytics: true });
  });

  test('a profile without a statement, an unknown id and an empty id are absent', async () => {
    const read = await readProfileConsent(clickhouse, db(), [loadedAs.get(plain)!, `nobody-${run}`, '']);
    expect(read.size).toBe(0);
    expect((await readProfileConsent(clickhouse, db(), [])).size).toBe(0);
  });
});

describe('a merge changes consent: the most recent statement of any merged profile wins', () => {
  test('before the merge each profile has its own preference', async () => {
    const read = await readProfileConsent(clickhouse, db(), [bea, beaDevice, cat, catDevice].map((k) => loadedAs.get(k)!));
    expect(Object.fromEntries([bea, beaDevice, cat, catDevice].map((k) => [k, read.get(loadedAs.get(k)!)]))).toEqual({
      [bea]: { marketing: true },
      [beaDevice]: { marketing: false },
      [cat]: { marketing: true },
      [catDevice]: { marketing: false },
    });
  });

  test('after it, every loaded id answers the survivor’s latest: the later denial for Bea, the later grant for Cat', async () => {
    await send([
      { type: 'identify', userId: bea, anonymousId: beaDevice, timestamp: '2026-02-11T00:00:00Z', traits: {} },
      { type: 'identify', userId: cat, anonymousId: catDevice, timestamp: '2026-03-06T00:00:00Z', traits: {} },
    ]);
    await product.waitForRows(
      `SELECT count() AS n FROM profile_overrides_current WHERE old_profile_id IN ('${loadedAs.get(beaDevice)}', '${loadedAs.get(catDevice)}', '${loadedAs.get(bea)}', '${loadedAs.get(cat)}')`,
      (r) => Number((r[0] as { n: string }).n) === 2,
    );
    const read = await readProfileConsent(clickhouse, db(), [bea, beaDevice, cat, catDevice].map((k) => loadedAs.get(k)!));
    expect(Object.fromEntries([bea, beaDevice, cat, catDevice].map((k) => [k, read.get(loadedAs.get(k)!)]))).toEqual({
      [bea]: { marketing: false },
      [beaDevice]: { marketing: false },
      [cat]: { marketing: true },
      [catDevice]: { marketing: true },
    });
    // The analyst view says the same, once per surviving profile.
    const view = await product.sql<{ profile_id: string; granted: boolean }>(
      `SELECT profile_id, granted FROM profile_consent_current WHERE category = 'marketing'
       AND profile_id IN (SELECT profile_id FROM profile_identifiers WHERE identifier IN ('${bea}', '${cat}')) ORDER BY granted`,
    );
    expect(view.map((v) => v.granted)).toEqual([false, true]);
  });
});

describe('the profile API', () => {
  test('answers the latest statement per category with its time and message; a merged id answers its survivor’s', async () => {
    const res = await api(`/v1/profiles/${loadedAs.get(ann)}?events=0`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { consent: Record<string, { granted: boolean; stated_at: string; message_id: string }> };
    const [withdrawal] = await product.sql<{ message_id: string }>(`SELECT message_id FROM events WHERE user_id = '${ann}' AND timestamp = '2026-01-03 00:00:00'`);
    const [grant] = await product.sql<{ message_id: string }>(`SELECT message_id FROM events WHERE user_id = '${ann}' AND timestamp = '2026-01-02 00:00:00'`);
    expect(body.consent).toEqual({
      analytics: { granted: true, stated_at: '2026-01-02T00:00:00.000Z', message_id: grant!.message_id },
      marketing: { granted: false, stated_at: '2026-01-03T00:00:00.000Z', message_id: withdrawal!.message_id },
    });

    // Bea's two loaded ids: one survived, the other was merged into it; both answer the survivor's consent.
    const answers = await Promise.all([bea, beaDevice].map(async (k) => (await api(`/v1/profiles/${loadedAs.get(k)}?events=0`)).json()));
    const typed = answers as { profile_id: string; requested_profile_id?: string; consent: Record<string, { granted: boolean; stated_at: string }> }[];
    expect(typed.filter((a) => a.requested_profile_id !== undefined)).toHaveLength(1);
    expect(typed[0]!.profile_id).toBe(typed[1]!.profile_id);
    for (const a of typed) expect(a.consent).toEqual({ marketing: expect.objectContaining({ granted: false, stated_at: '2026-02-10T00:00:00.000Z' }) });
  });

  test('a profile whose events state nothing answers an empty consent', async () => {
    const res = await api(`/v1/profiles/${loadedAs.get(plain)}?events=0`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { consent: unknown }).consent).toEqual({});
  });
});

describe('exactly once', () => {
  const ctx = (): StepContext => ({ clickhouse, database: db(), metrics: createMetrics(), log: pino({ level: 'silent' }), dedupe: null as never, resolver: null as never, identityRules: null as never });
  const event = (messageId: string): EnrichedEvent => ({
    messageId,
    type: 'track',
    event: 'Banner',
    context: { consent: { categoryPreferences: { marketing: true } } },
    integrations: {},
    timestamp: Date.parse('2026-04-01T00:00:00Z'),
    originalTimestamp: Date.parse('2026-04-01T00:00:00Z'),
    receivedAt: Date.parse('2026-04-01T00:00:00Z'),
    sourceId: 'web',
    userId: `retry-${run}`,
  });

  test('a job seen before whose consent rows went in (but not its event) has them skipped; a first attempt is not looked up', async () => {
    const [inAlready, notYet] = [`${run}-retry-in`, `${run}-retry-not`];
    await clickhouse.insert({
      table: `${db()}.profile_consent`,
      values: [{ profile_id: `p-retry-${run}`, category: 'marketing', granted: true, message_id: inAlready, source_id: 'web', stated_at: '2026-04-01 00:00:00.000', received_at: '2026-04-01 00:00:00.000' }],
      format: 'JSONEachRow',
    });
    const batchOf = (attemptsStarted: number): LoadBatch<ResolvedEvent> => {
      const job = { id: `retry-${run}-${attemptsStarted}`, data: { events: [], rejected: [] }, attemptsStarted };
      const resolution = { profileId: `p-retry-${run}`, edges: [], assignments: [], overrides: [], merges: [], refusals: [], seq: 1 } as unknown as ResolvedEvent['resolution'];
      return {
        jobs: [job],
        mayBeLoaded: false,
        events: [inAlready, notYet].map((m) => ({ entry: { e: event(m), job }, resolution })),
        refusals: [],
        refusedAtLoad: [],
        alreadyLoaded: [],
        duplicates: 0,
        suppressed: 0,
      };
    };
    const consentOf = async (attemptsStarted: number) => {
      const kept = await skipAlreadyInserted.run(batchOf(attemptsStarted), ctx());
      const rows = await buildRows.run(kept, ctx());
      return Object.fromEntries(rows.rows.map((r) => [r.event.message_id, r.consent.map((c) => c.category)]));
    };
    expect(await consentOf(2)).toEqual({ [inAlready]: [], [notYet]: ['marketing'] });
    expect(await consentOf(1)).toEqual({ [inAlready]: ['marketing'], [notYet]: ['marketing'] });
  });
});

describe('erasure', () => {
  test('deleting a customer removes the consent rows of every profile merged into them, and only theirs', async () => {
    const held = async () =>
      (await product.sql<{ profile_id: string }>(`SELECT DISTINCT profile_id FROM profile_consent WHERE profile_id IN ('${[ann, bea, beaDevice].map((k) => loadedAs.get(k)).join("','")}') ORDER BY profile_id`)).map((r) => r.profile_id);
    expect(await held()).toEqual([ann, bea, beaDevice].map((k) => loadedAs.get(k)!).sort());
    const res = await api(`/v1/profiles/${loadedAs.get(bea)}`, ADMIN_KEY, 'DELETE');
    expect(res.status).toBe(200);
    expect(await held()).toEqual([loadedAs.get(ann)!]);
    expect((await readProfileConsent(clickhouse, db(), [loadedAs.get(bea)!, loadedAs.get(beaDevice)!])).size).toBe(0);
  });
});
