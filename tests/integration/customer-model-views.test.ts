import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SNAPSHOTS, ZONE, sendCustomers, writeCustomerModel, type Customers } from '../helpers/customer-model-fixtures.js';
import { ADMIN_KEY, WRITE_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// Where a customer stands in the customer model, as the profile API and the read endpoints answer it: first
// before any job ran, then over snapshots written as the traits, lifecycle and value_tiers jobs write them
// (tests/helpers/customer-model-fixtures.ts; every expected figure below is worked out from those rows).

let product: TestProduct;
let readKey: string;
let audienceKey: string;
let c: Customers;
const run = randomUUID().slice(0, 8);
const iso = (ms: number) => new Date(ms).toISOString();
const { L1, L2, L3, V1, V2, T2 } = SNAPSHOTS;

const get = (route: string, key: string | null = readKey) => fetch(`${product.url}${route}`, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
async function json(route: string, status = 200): Promise<any> {
  const res = await get(route);
  const body = await res.json();
  expect(res.status, `${route}: ${JSON.stringify(body)}`).toBe(status);
  return body;
}

const stages = (counts: [number, number, number, number, number]) =>
  (['prospect', 'new', 'active', 'at_risk', 'lost'] as const).map((stage, i) => ({ stage, meaning: ['潜在', '新', '成熟', '衰退', '流失'][i], profiles: counts[i] }));
const TIER_NAMES = ['high_value', 'potential', 'ordinary', 'low'] as const;
const MEANINGS = ['高价值', '潜力', '一般', '低价值'];
/** The 25 cells, each 0 unless given as "h:p" → [tier, profiles, revenue][]. */
function grid(filled: Record<string, [string, number, number][]>) {
  const cells = [];
  for (const h of [5, 4, 3, 2, 1]) {
    for (const p of [1, 2, 3, 4, 5]) {
      const parts = filled[`${h}:${p}`] ?? [];
      const tiers = Object.fromEntries(TIER_NAMES.map((t) => [t, parts.filter(([tier]) => tier === t).reduce((n, [, k]) => n + k, 0)]));
      cells.push({ historical_quintile: h, predicted_quintile: p, profiles: parts.reduce((n, [, k]) => n + k, 0), revenue: parts.reduce((n, [, , r]) => n + r, 0), tiers });
    }
  }
  return cells;
}

beforeAll(async () => {
  product = await startTestProduct({ env: { SEGMENTS_TIME_ZONE: ZONE } });
  readKey = await product.keys.create('read', 'crm');
  audienceKey = await product.keys.create('audience', 'ads-tool');
  c = await sendCustomers(product, run);
});

afterAll(async () => {
  await product?.destroy();
});

describe('before any customer-model job ran', () => {
  test('a profile answers no computed traits, no stage and no tier', async () => {
    const profile = await json(`/v1/profiles/${c.ann}`);
    expect(profile).toMatchObject({ profile_id: c.ann, computed_traits: {}, computed_traits_as_of: null, lifecycle: null, value_tier: null, value_tier_figures: null });
  });

  test('the reports answer as_of null and zeros; an explicit date is refused with no_snapshot', async () => {
    expect(await json('/v1/lifecycle')).toEqual({ success: true, as_of: null, first_as_of: null, stages: stages([0, 0, 0, 0, 0]) });
    const tiers = await json('/v1/value-tiers');
    expect(tiers).toEqual({ success: true, as_of: null, tiers: TIER_NAMES.map((tier, i) => ({ tier, meaning: MEANINGS[i], profiles: 0, revenue: 0, mean_predicted_value: null })), grid: grid({}) });
    const refused = await json('/v1/lifecycle?as_of=2026-01-10', 400);
    expect(refused).toMatchObject({ success: false, code: 'no_snapshot', job: 'lifecycle', first_as_of: null });
    expect(refused.message).toContain('npx cdp jobs run lifecycle');
    expect(await json('/v1/lifecycle/transitions?from=2026-01-10&to=2026-03-11', 400)).toMatchObject({ code: 'no_snapshot' });
  });
});

describe('with snapshots', () => {
  beforeAll(async () => {
    await writeCustomerModel(product, c);
  });

  describe('profile fields', () => {
    // Values by trait id, typed by kind (as the audience API's traits= answers them).
    const annTraits = () => ({ cats: ['shoes', 'hats'], fav: 'shoes', ncats: 2, orders: 3, recency: 4, spend: 250.5 });

    test("the survivor: every current trait from the latest successful snapshot, its stage and since, its tier", async () => {
      const profile = await json(`/v1/profiles/${c.ann}`);
      expect(profile.requested_profile_id).toBeUndefined();
      // Not 1 (an older snapshot), not 42 (a failed run), and the deleted trait "gone" is not listed.
      expect(profile.computed_traits).toEqual(annTraits());
      expect(profile.computed_traits_as_of).toBe(iso(T2));
      expect(profile.lifecycle).toEqual({ stage: 'active', since: iso(L2), as_of: iso(L3) });
      expect(profile.value_tier).toBe('high_value');
      expect(profile.value_tier_figures).toEqual({ historical_value: 250.5, predicted_value: 120, as_of: iso(V2) });
    });

    test("a merged id answers the survivor's figures, not the rows still under its own id", async () => {
      const profile = await json(`/v1/profiles/${c.annMerged}`);
      expect(profile.profile_id).toBe(c.ann);
      expect(profile.requested_profile_id).toBe(c.annMerged);
      expect(profile.computed_traits).toEqual(annTraits());
      expect(profile.computed_traits.orders).not.toBe(99);
      expect(profile.lifecycle).toEqual({ stage: 'active', since: iso(L2), as_of: iso(L3) });
      expect(profile.value_tier).toBe('high_value');
    });

    test('the lookup answers the same fields', async () => {
      const profile = await json(`/v1/profiles/lookup?type=email&value=${encodeURIComponent(c.annEmail)}`);
      expect(profile.profile_id).toBe(c.ann);
      expect(profile.computed_traits).toEqual(annTraits());
      expect(profile.value_tier).toBe('high_value');
    });

    test('a profile with no trait rows: 0 for count and unique_count, [] for unique_list, null otherwise', async () => {
      const profile = await json(`/v1/profiles/${c.bob}`);
      const value = (id: string) => profile.computed_traits[id];
      expect(Object.keys(profile.computed_traits).sort()).toEqual(['cats', 'fav', 'ncats', 'orders', 'recency', 'spend']);
      expect([value('orders'), value('ncats'), value('cats'), value('spend'), value('fav'), value('recency')]).toEqual([0, 0, [], null, null, null]);
      expect(profile.computed_traits_as_of).toBe(iso(T2));
      expect(profile.lifecycle).toEqual({ stage: 'active', since: iso(L3), as_of: iso(L3) });
      expect(profile.value_tier).toBe('potential');
      expect(profile.value_tier_figures).toEqual({ historical_value: 90, predicted_value: 300, as_of: iso(V2) });
    });

    test('a prospect has a stage and no tier', async () => {
      const profile = await json(`/v1/profiles/${c.pam}`);
      expect(profile.lifecycle).toEqual({ stage: 'prospect', since: iso(L1), as_of: iso(L3) });
      expect(profile.value_tier).toBeNull();
      expect(profile.value_tier_figures).toBeNull();
    });
  });

  describe('GET /v1/lifecycle', () => {
    test('default: the latest successful snapshot, every stage listed', async () => {
      // L3: Pam; x5; Ann, Bob, x1, x2, x4; none; x3.
      expect(await json('/v1/lifecycle')).toEqual({ success: true, as_of: iso(L3), first_as_of: iso(L1), stages: stages([1, 1, 5, 0, 1]) });
    });

    test('a bare date is a local day (Europe/Berlin): L3, taken at 00:30 on 11 March there, stands from that day', async () => {
      // L2: Pam; x4; Ann, x2; Bob; x1, x3.
      const l2 = { success: true, as_of: iso(L2), first_as_of: iso(L1), stages: stages([1, 1, 2, 1, 2]) };
      expect(await json('/v1/lifecycle?as_of=2026-03-10')).toEqual(l2);
      expect((await json('/v1/lifecycle?as_of=2026-03-11')).as_of).toBe(iso(L3));
      // An instant: not after it.
      expect((await json('/v1/lifecycle?as_of=2026-03-10T23:30:00Z')).as_of).toBe(iso(L3));
      expect((await json('/v1/lifecycle?as_of=2026-03-11T00:29:59.999%2B01:00')).as_of).toBe(iso(L2));
      // The failed run of 20 February is passed over.
      expect(await json('/v1/lifecycle?as_of=2026-02-25')).toEqual(l2);
      // L1 (01:00 on 10 January in Berlin): Ann's merged id and Pam; Ann; Bob, x1; x2; x3.
      expect(await json('/v1/lifecycle?as_of=2026-01-10')).toEqual({ success: true, as_of: iso(L1), first_as_of: iso(L1), stages: stages([2, 1, 2, 1, 1]) });
    });

    test('before the first snapshot: 400 no_snapshot naming the first', async () => {
      const body = await json('/v1/lifecycle?as_of=2026-01-09', 400);
      expect(body).toEqual({ success: false, code: 'no_snapshot', job: 'lifecycle', first_as_of: iso(L1), message: `as_of: no lifecycle snapshot stands at 2026-01-09; the first is as of ${iso(L1)}` });
    });
  });

  describe('GET /v1/lifecycle/transitions', () => {
    const cell = (from: string, to: string, body: any) => body.transitions.find((t: any) => t.from_stage === from && t.to_stage === to)?.profiles;

    test('between L1 and L3: every pair listed, new and gone profiles under "", reactivations in between', async () => {
      const body = await json('/v1/lifecycle/transitions?from=2026-01-10&to=2026-03-11');
      expect(body.from_as_of).toBe(iso(L1));
      expect(body.to_as_of).toBe(iso(L3));
      // 6 from-stages ('' and five) × 6 to-stages (five and ''), without '' → ''.
      expect(body.transitions).toHaveLength(35);
      const nonZero = body.transitions.filter((t: any) => t.profiles > 0).map((t: any) => `${t.from_stage}>${t.to_stage}=${t.profiles}`).sort();
      expect(nonZero).toEqual(
        [
          'new>active=1', // Ann
          'prospect>=1', // Ann's merged id: gone
          'active>active=2', // Bob (at risk in between), x1 (lost in between)
          'at_risk>active=1', // x2
          'lost>lost=1', // x3
          'prospect>prospect=1', // Pam
          '>active=1', // x4
          '>new=1', // x5
        ].sort(),
      );
      // x2 at L2, Bob and x1 at L3; x3's reactivation belongs to a failed run.
      expect(body.reactivated).toBe(3);
    });

    test('between consecutive snapshots, and from a date to itself', async () => {
      const body = await json('/v1/lifecycle/transitions?from=2026-02-10&to=2026-03-10T23:30:00Z');
      expect([body.from_as_of, body.to_as_of]).toEqual([iso(L2), iso(L3)]);
      expect([cell('at_risk', 'active', body), cell('lost', 'active', body), cell('new', 'active', body), cell('', 'new', body), cell('active', 'active', body)]).toEqual([1, 1, 1, 1, 2]);
      expect(body.reactivated).toBe(2);
      const same = await json('/v1/lifecycle/transitions?from=2026-02-10&to=2026-02-10');
      expect(same.transitions.filter((t: any) => t.profiles > 0).every((t: any) => t.from_stage === t.to_stage)).toBe(true);
      expect(same.transitions.reduce((n: number, t: any) => n + t.profiles, 0)).toBe(7);
      expect(same.reactivated).toBe(0);
    });

    test('from after to, or a date no snapshot stands at: 400 with a clear code', async () => {
      expect(await json('/v1/lifecycle/transitions?from=2026-03-11&to=2026-03-10', 400)).toMatchObject({
        code: 'invalid_request',
        message: 'from (2026-03-11) is after to (2026-03-10)',
      });
      // Mixed forms compare as the points they stand for: the end of 11 March in Berlin is after 22:00 UTC that day.
      expect(await json('/v1/lifecycle/transitions?from=2026-03-11&to=2026-03-11T22:00:00Z', 400)).toMatchObject({ code: 'invalid_request' });
      expect(await json('/v1/lifecycle/transitions?from=2026-01-01&to=2026-03-11', 400)).toMatchObject({ code: 'no_snapshot', message: expect.stringMatching(/^from: /) });
      expect(await json('/v1/lifecycle/transitions?from=2026-01-10', 400)).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('to') });
    });
  });

  describe('GET /v1/value-tiers', () => {
    test('the latest: figures per tier, and the quintile grid with each cell’s tier mix', async () => {
      const body = await json('/v1/value-tiers');
      expect(body.as_of).toBe(iso(V2));
      expect(body.tiers).toEqual([
        { tier: 'high_value', meaning: '高价值', profiles: 1, revenue: 250.5, mean_predicted_value: 120 },
        { tier: 'potential', meaning: '潜力', profiles: 1, revenue: 90, mean_predicted_value: 300 },
        { tier: 'ordinary', meaning: '一般', profiles: 2, revenue: 80, mean_predicted_value: 30 },
        { tier: 'low', meaning: '低价值', profiles: 2, revenue: 15, mean_predicted_value: 3.5 },
      ]);
      // Ranks 0 → quintile 5; 0.2 (x5's historical) is not in the top fifth → 4; 0.8 (x5's predicted) → 1.
      expect(body.grid).toEqual(
        grid({
          '5:4': [['high_value', 1, 250.5]],
          '4:5': [['potential', 1, 90]],
          '3:3': [['ordinary', 1, 60]],
          '2:2': [['low', 1, 10]],
          '1:1': [['low', 1, 5]],
          '4:1': [['ordinary', 1, 20]],
        }),
      );
    });

    test('as of a date: the snapshot standing then; before the first: no_snapshot', async () => {
      const body = await json('/v1/value-tiers?as_of=2026-03-10');
      expect(body.as_of).toBe(iso(V1));
      expect(body.tiers).toEqual([
        { tier: 'high_value', meaning: '高价值', profiles: 1, revenue: 150, mean_predicted_value: 40 },
        { tier: 'potential', meaning: '潜力', profiles: 1, revenue: 100, mean_predicted_value: 200 },
        { tier: 'ordinary', meaning: '一般', profiles: 0, revenue: 0, mean_predicted_value: null },
        { tier: 'low', meaning: '低价值', profiles: 0, revenue: 0, mean_predicted_value: null },
      ]);
      expect(body.grid).toEqual(grid({ '5:1': [['high_value', 1, 150]], '3:5': [['potential', 1, 100]] }));
      expect(await json('/v1/value-tiers?as_of=2026-02-09T23:59:59Z', 400)).toMatchObject({ code: 'no_snapshot', job: 'value_tiers', first_as_of: iso(V1) });
    });
  });

  describe('keys and hostile input', () => {
    const routes = ['/v1/lifecycle', '/v1/lifecycle/transitions?from=2026-01-10&to=2026-03-11', '/v1/value-tiers'];

    test('no key or a write key: 401; an audience key: 403; a read or admin key reads', async () => {
      for (const route of routes) {
        const none = await get(route, null);
        expect(none.status, route).toBe(401);
        expect(await none.json()).toMatchObject({ code: 'missing_key' });
        expect((await get(route, WRITE_KEY)).status, route).toBe(401);
        const audience = await get(route, audienceKey);
        expect(audience.status, route).toBe(403);
        expect(await audience.json()).toMatchObject({ code: 'forbidden' });
        expect((await get(route, readKey)).status, route).toBe(200);
        expect((await get(route, ADMIN_KEY)).status, route).toBe(200);
      }
    });

    test('bad dates and unexpected parameters: 400 invalid_request naming the parameter', async () => {
      const bad = [
        'as_of=2026-02-30',
        'as_of=2026-13-01',
        'as_of=yesterday',
        'as_of=2026-03-10T10:00:00', // no offset: whose clock?
        'as_of=1969-12-31',
        'as_of=2100-01-01',
        'as_of=9999-12-31T00:00:00Z',
        `as_of=${encodeURIComponent("2026-03-10' OR 1=1 --")}`,
        `as_of=${encodeURIComponent('2026-03-10\u0000')}`,
        `as_of=${'9'.repeat(5000)}`,
        'as_of=2026-03-10&as_of=2026-03-11',
        'asof=2026-03-10',
        '__proto__=x',
        'constructor[prototype][x]=1',
      ];
      for (const route of ['/v1/lifecycle', '/v1/value-tiers']) {
        for (const query of bad) {
          const body = await json(`${route}?${query}`, 400);
          expect(body.code, `${route}?${query}`).toBe('invalid_request');
        }
      }
      expect((await json('/v1/lifecycle?as_of=yesterday', 400)).message).toMatch(/^as_of: must be an ISO 8601 date/);
      expect((await json('/v1/lifecycle?as_of=1969-12-31', 400)).message).toBe('as_of: must be from 1970 to 2099');
      for (const query of ['from=2026-01-10&to=tomorrow', 'from=&to=2026-03-11', 'from=2026-01-10&to=2026-03-11&x=1', 'to=2026-03-11']) {
        expect((await json(`/v1/lifecycle/transitions?${query}`, 400)).code, query).toBe('invalid_request');
      }
      // The product still answers as before.
      expect((await json('/v1/lifecycle')).as_of).toBe(iso(L3));
    });
  });
});
