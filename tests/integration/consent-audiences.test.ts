import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// Consent in the segment language ({"type": "consent"}) and in the audience API (members and export with
// consent=): both read each profile's latest statement up to the run's as_of, merged profiles included, and
// a category never stated counts as not granted. Customers loaded through the tracking API.

let product: TestProduct;
let readKey: string;
const admin = { auth: `Bearer ${ADMIN_KEY}` };
const run = randomUUID().slice(0, 8);
const A = '2026-06-15T00:00:00.000Z';
const B = '2026-07-01T00:00:00.000Z';
/** profile id → user name */
const userOf = new Map<string, string>();
const segment = `seen-${run}`;

const consent = (categoryPreferences: Record<string, boolean>) => ({ context: { consent: { categoryPreferences } } });
const seen = (userId: string) => ({ type: 'track', userId, event: 'Seen', timestamp: '2026-05-01T00:00:00Z', properties: {} });
const stated = (userId: string, at: string, prefs: Record<string, boolean>) => ({ type: 'track', userId, event: 'Consent Saved', timestamp: at, properties: {}, ...consent(prefs) });

async function send(batch: Record<string, unknown>[], expected: number) {
  const res = await product.post('/v1/batch', { batch: batch.map((e) => ({ messageId: randomUUID(), ...e })) });
  expect(res.status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === expected);
}

beforeAll(async () => {
  product = await startTestProduct();
  readKey = await product.keys.create('read', 'crm');
  await send(
    [
      seen('grant'),
      stated('grant', '2026-05-01T00:00:00Z', { marketing: true, analytics: true }),
      seen('deny'),
      stated('deny', '2026-05-01T00:00:00Z', { marketing: false, analytics: true }),
      // never states anything
      seen('never'),
      // grants, then withdraws after A
      seen('late'),
      stated('late', '2026-05-01T00:00:00Z', { marketing: true }),
      stated('late', '2026-06-20T00:00:00Z', { marketing: false }),
      // states nothing until after A
      seen('future'),
      stated('future', '2026-06-20T00:00:00Z', { marketing: true, analytics: true }),
      // the device grants marketing before the customer is known; the customer grants analytics
      { type: 'track', anonymousId: `device-${run}`, event: 'Banner', timestamp: '2026-05-02T00:00:00Z', properties: {}, ...consent({ marketing: true }) },
      seen('merged'),
      stated('merged', '2026-05-03T00:00:00Z', { analytics: true }),
    ],
    13,
  );
  // The login on the device merges the two profiles.
  await send([{ type: 'identify', userId: 'merged', anonymousId: `device-${run}`, timestamp: '2026-05-04T00:00:00Z', traits: {} }], 14);
  await product.waitForRows(`SELECT count() AS n FROM profile_overrides_current`, (r) => Number((r[0] as { n: string }).n) === 1);
  for (const row of await product.sql<{ identifier: string; profile_id: string }>(`SELECT identifier, profile_id FROM profile_identifiers WHERE identifier_type = 'user_id'`)) {
    userOf.set(row.profile_id, row.identifier);
  }
  expect(userOf.size).toBe(6);
});

afterAll(async () => {
  await product?.destroy();
});

describe('the consent condition', () => {
  async function members(conditions: unknown, asOf: string): Promise<string[]> {
    const res = await product.post('/v1/segments/preview', { conditions, as_of: asOf }, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.size).toBe(res.body.sample.length);
    return (res.body.sample as string[]).map((p) => userOf.get(p) ?? `unknown:${p}`).sort();
  }

  test.each([
    ['granted marketing at A', { category: 'marketing', granted: true }, A, ['grant', 'late', 'merged']],
    // Not granted: denied, or never stated by then (no statement at all counts as not granted).
    ['not granted marketing at A', { category: 'marketing', granted: false }, A, ['deny', 'future', 'never']],
    ['granted marketing at B: late withdrew, future stated', { category: 'marketing', granted: true }, B, ['future', 'grant', 'merged']],
    ['not granted marketing at B', { category: 'marketing', granted: false }, B, ['deny', 'late', 'never']],
    ['granted analytics at A', { category: 'analytics', granted: true }, A, ['deny', 'grant', 'merged']],
    ['a category nobody stated: nobody granted it', { category: 'ads', granted: true }, B, []],
    ['a category nobody stated: everyone not granted', { category: 'ads', granted: false }, B, ['deny', 'future', 'grant', 'late', 'merged', 'never']],
  ])('%s', async (_, c, asOf, expected) => {
    expect(await members({ type: 'consent', ...c }, asOf)).toEqual(expected);
  });

  test('combines with the other conditions', async () => {
    const both = { type: 'and', conditions: [{ type: 'consent', category: 'marketing', granted: true }, { type: 'consent', category: 'analytics', granted: true }] };
    expect(await members(both, A)).toEqual(['grant', 'merged']);
    expect(await members({ type: 'not', condition: { type: 'consent', category: 'marketing', granted: false } }, A)).toEqual(['grant', 'late', 'merged']);
  });

  test.each([
    [{ type: 'consent', category: 'marketing' }, 'conditions.granted'],
    [{ type: 'consent', category: 'marketing', granted: 'yes' }, 'conditions.granted'],
    [{ type: 'consent', granted: true }, 'conditions.category'],
    [{ type: 'consent', category: '  ', granted: true }, 'conditions.category'],
    [{ type: 'consent', category: 'marketing,ads', granted: true }, 'conditions.category'],
    [{ type: 'consent', category: 'x'.repeat(101), granted: true }, 'conditions.category'],
    [{ type: 'consent', category: 'marketing', granted: true, op: 'eq' }, 'conditions'],
  ])('%j is refused with a path', async (conditions, path) => {
    const res = await product.post('/v1/segments/preview', { conditions }, admin);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('CDP_SEGMENT_INVALID');
    expect(res.body.problems.map((p: { path: string }) => p.path)).toContain(path);
  });

  test('a saved segment with a consent condition is refused the same way, and kept when valid', async () => {
    const bad = await product.request('PUT', `/v1/segments/consent-bad-${run}`, { name: 'bad', conditions: { type: 'consent', category: '', granted: true } }, admin);
    expect(bad.status).toBe(400);
    expect(bad.body.problems.map((p: { path: string }) => p.path)).toContain('conditions.category');
    const good = await product.request('PUT', `/v1/segments/consent-good-${run}`, { name: 'good', conditions: { type: 'consent', category: 'marketing', granted: true } }, admin);
    expect(good.status).toBe(201);
  });
});

describe('the audience API with consent=', () => {
  const get = async (path: string, key: string | null = readKey) => {
    const res = await fetch(`${product.url}${path}`, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
    return { status: res.status, text: await res.text(), headers: res.headers };
  };
  const members = async (query: string) => {
    const out: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/v1/segments/${segment}/members?limit=1&${query}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status, res.text).toBe(200);
      const body = JSON.parse(res.text) as { members: { profile_id: string }[]; next_cursor: string | null };
      out.push(...body.members.map((m) => userOf.get(m.profile_id)!));
      cursor = body.next_cursor;
    } while (cursor);
    return out.sort();
  };
  const exported = async (query: string) => {
    const res = await get(`/v1/segments/${segment}/export?${query}`);
    expect(res.status, res.text).toBe(200);
    return res.text;
  };
  const runAt = async (asOf: string) => {
    const res = await product.post(`/v1/segments/${segment}/run`, { as_of: asOf }, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };

  beforeAll(async () => {
    const res = await product.request('PUT', `/v1/segments/${segment}`, { name: 'Seen', conditions: { type: 'event', event: 'Seen' } }, admin);
    expect(res.status).toBe(201);
    await runAt(A);
  });

  test("members: only those who granted every listed category by the run's as_of, paged one by one", async () => {
    expect(await members('')).toEqual(['deny', 'future', 'grant', 'late', 'merged', 'never']);
    expect(await members('consent=marketing')).toEqual(['grant', 'late', 'merged']);
    expect(await members('consent=marketing,analytics')).toEqual(['grant', 'merged']);
    expect(await members('consent=%20analytics%20')).toEqual(['deny', 'grant', 'merged']);
    expect(await members('consent=ads')).toEqual([]);
    // An empty list asks for nothing, as traits= does.
    expect(await members('consent=')).toEqual(['deny', 'future', 'grant', 'late', 'merged', 'never']);
  });

  test('export, CSV and NDJSON, filters the same way', async () => {
    const csv = await exported('consent=marketing,analytics');
    const rows = csv.trimEnd().split('\r\n');
    expect(rows[0]).toBe('profile_id,since');
    expect(rows.slice(1).map((r) => userOf.get(r.split(',')[0]!)).sort()).toEqual(['grant', 'merged']);
    const ndjson = await exported('format=ndjson&consent=marketing');
    expect(ndjson.trimEnd().split('\n').map((l) => userOf.get((JSON.parse(l) as { profile_id: string }).profile_id)).sort()).toEqual(['grant', 'late', 'merged']);
  });

  test('a later run reads the statements up to its own as_of', async () => {
    await runAt(B);
    expect(await members('consent=marketing')).toEqual(['future', 'grant', 'merged']);
    expect(await members('consent=marketing,analytics')).toEqual(['future', 'grant', 'merged']);
    expect((await exported('format=ndjson&consent=marketing')).trimEnd().split('\n')).toHaveLength(3);
  });

  test.each([
    ['a,,b', 'consent: "" is not a consent category'],
    ['marketing,marketing', 'consent: "marketing" is listed twice'],
    [Array.from({ length: 21 }, (_, i) => `c${i}`).join(','), 'consent: at most 20 categories; got 21'],
    ['x'.repeat(101), 'is not a consent category'],
    ['%01bad', 'is not a consent category'],
  ])('consent=%s is refused: 400 invalid_consent', async (value, message) => {
    for (const route of ['members', 'export']) {
      const res = await get(`/v1/segments/${segment}/${route}?consent=${value}`);
      expect(res.status).toBe(400);
      const body = JSON.parse(res.text) as { code: string; message: string };
      expect(body.code).toBe('invalid_consent');
      expect(body.message).toContain(message);
    }
  });

  test('keys: none is 401, an audience key for other segments 403, an audience key for this one reads', async () => {
    expect((await get(`/v1/segments/${segment}/members?consent=marketing`, null)).status).toBe(401);
    const otherKey = await product.keys.create('audience', 'ads-other', { segments: [`other-${run}`] });
    expect((await get(`/v1/segments/${segment}/export?consent=marketing`, otherKey)).status).toBe(403);
    const ownKey = await product.keys.create('audience', 'ads-own', { segments: [segment] });
    const res = await get(`/v1/segments/${segment}/members?consent=marketing`, ownKey);
    expect(res.status).toBe(200);
    expect((JSON.parse(res.text) as { members: unknown[] }).members).toHaveLength(3);
  });
});
