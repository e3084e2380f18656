import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runJobThroughApi } from '../helpers/churn-fixtures.js';
import { LOYALTY_ENV } from '../helpers/loyalty-fixtures.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The loyalty job's ledger rules on hand-built customers, with the programme of LOYALTY_ENV (Europe/Berlin;
// Member 0 / Silver 100 / Gold 300 over 30 days; Silver × 1.5, Gold × 2; a month to expire). Worked out by hand:
//   c1  o1 10 Jan 10:00Z 120.70 → 120 (Member), Silver from then; o1b 10 Jan 15:00Z 10 → 10 (the level at the start
//       of 10 Jan was Member); o2 10 Jan 23:30Z = 11 Jan 00:30 local, 10.99 → floor(16.485) = 16 (Silver at the
//       start of the local day; the UTC day would say Member). 10 Jan's spend leaves the window at the start of
//       9 Feb local (8 Feb 23:00Z): down to Member. Points of 10 Jan expire at the end of 10 Feb local (23:00Z),
//       of 11 Jan at the end of 11 Feb. o5 20 Feb 10:00Z 50 → 50 (after AS_OF_PAST).
//   c2  p1 1 Feb 400 → 400, Gold; p2 2 Feb 100 → 200 (Gold × 2); 3 Feb refund 33.33 of p2 → −66; 4 Feb full
//       refund of p1 → −400, down to Member (spend 66.67); a second full refund of p1 → nothing left to refund;
//       5 Feb redeem 150 → rejected (balance 134); 6 Feb redeem 100 → applied. Balance 34.
//   c3  order 50 → 50; redeem 50; full refund → −50 (balance −50); Review Submitted → +50 pays the debt: 0, no lot.
//   c4  q1 4 Jan 23:30Z (5 Jan local) 100 → 100, Silver; q2 20 Jan 100 → 150 (× 1.5); 25 Jan redeem 60 takes
//       from q1's points first; q1's 40 left expire at the end of 5 Feb local (23:00Z), q2's 150 on 20 Feb.
//   r1  Referral Converted naming r2 → 200 for r1, nothing for r2; the same message sent twice counts once.
//   m   an order as device dev-m (15 Jan, 60) and one as m (16 Jan, 50: Member at the start of the day) → one
//       member with 110 under the survivor.
//   c5  orders in USD (nothing), eur (30) and without a currency (20); an order resent with another message
//       id counts once.

let product: TestProduct;
const admin = { auth: `Bearer ${ADMIN_KEY}` };
const AS_OF = '2026-03-01T00:00:00.000Z';
const AS_OF_PAST = '2026-02-10T12:00:00.000Z';
const profileOf = new Map<string, string>();
let mergedAway = '';

const order = (who: Record<string, string> | string, id: string, revenue: number, at: string, currency: string | undefined = 'EUR', messageId?: string) => ({
  type: 'track',
  ...(typeof who === 'string' ? { userId: who } : who),
  event: 'Order Completed',
  timestamp: at,
  ...(messageId ? { messageId } : {}),
  properties: { order_id: id, revenue, ...(currency === undefined ? {} : { currency }) },
});
const refund = (userId: string, id: string, at: string, amount?: number) => ({
  type: 'track', userId, event: 'Order Refunded', timestamp: at, properties: { order_id: id, ...(amount === undefined ? {} : { revenue: amount }) },
});
const redeem = (userId: string, points: number, at: string) => ({ type: 'track', userId, event: 'Points Redeemed', timestamp: at, properties: { points } });

beforeAll(async () => {
  product = await startTestProduct({ env: LOYALTY_ENV });
  const batch = [
    order('c1', 'o1', 120.7, '2026-01-10T10:00:00Z'),
    order('c1', 'o1b', 10, '2026-01-10T15:00:00Z'),
    order('c1', 'o2', 10.99, '2026-01-10T23:30:00Z'),
    order('c1', 'o5', 50, '2026-02-20T10:00:00Z'),
    order('c2', 'p1', 400, '2026-02-01T10:00:00Z'),
    order('c2', 'p2', 100, '2026-02-02T10:00:00Z'),
    refund('c2', 'p2', '2026-02-03T10:00:00Z', 33.33),
    refund('c2', 'p1', '2026-02-04T10:00:00Z'),
    refund('c2', 'p1', '2026-02-04T11:00:00Z'),
    redeem('c2', 150, '2026-02-05T10:00:00Z'),
    redeem('c2', 100, '2026-02-06T10:00:00Z'),
    order('c3', 's1', 50, '2026-01-20T10:00:00Z'),
    redeem('c3', 50, '2026-01-21T10:00:00Z'),
    refund('c3', 's1', '2026-01-22T10:00:00Z'),
    { type: 'track', userId: 'c3', event: 'Review Submitted', timestamp: '2026-01-23T10:00:00Z', properties: {} },
    order('c4', 'q1', 100, '2026-01-04T23:30:00Z'),
    order('c4', 'q2', 100, '2026-01-20T10:00:00Z'),
    redeem('c4', 60, '2026-01-25T10:00:00Z'),
    { type: 'identify', userId: 'r2', timestamp: '2026-01-30T09:00:00Z', traits: {} },
    { type: 'track', userId: 'r1', event: 'Referral Converted', messageId: 'ref-1', timestamp: '2026-01-30T10:00:00Z', properties: { referred_user_id: 'r2' } },
    { type: 'track', userId: 'r1', event: 'Referral Converted', messageId: 'ref-1', timestamp: '2026-01-30T10:00:00Z', properties: { referred_user_id: 'r2' } },
    { type: 'track', userId: 'r1', event: 'Wishlist Shared', timestamp: '2026-01-30T11:00:00Z', properties: { points: 10 } },
    { type: 'page', userId: 'm', name: 'Home', timestamp: '2026-01-14T10:00:00Z' },
    order({ anonymousId: 'dev-m' }, 'm-anon', 60, '2026-01-15T10:00:00Z'),
    order('m', 'm-user', 50, '2026-01-16T10:00:00Z'),
    { type: 'identify', userId: 'm', anonymousId: 'dev-m', timestamp: '2026-01-17T10:00:00Z', traits: {} },
    order('c5', 'u-usd', 500, '2026-01-10T10:00:00Z', 'USD'),
    order('c5', 'u-eur', 30, '2026-01-11T10:00:00Z', 'eur'),
    order('c5', 'u-none', 20, '2026-01-12T10:00:00Z', undefined),
    order('c5', 'u-none', 20, '2026-01-12T10:05:00Z', undefined, 'u-none-resent'),
  ];
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === batch.length);
  for (const row of await product.sql<{ identifier: string; profile_id: string }>(`SELECT identifier, profile_id FROM profile_identifiers WHERE identifier_type = 'user_id'`)) {
    profileOf.set(row.identifier, row.profile_id);
  }
  const loaded = await product.sql<{ profile_id: string }>(`SELECT DISTINCT profile_id FROM events WHERE user_id = 'm' OR anonymous_id = 'dev-m'`);
  mergedAway = loaded.map((r) => r.profile_id).find((p) => p !== profileOf.get('m'))!;
  expect(mergedAway).toBeTruthy();
});

afterAll(async () => {
  await product?.destroy();
});

const chAt = (iso: string) => iso.replace('T', ' ').replace('Z', '');
const iso = (ch: string | null) => (ch === null ? null : `${ch.replace(' ', 'T')}Z`);

type Entry = [kind: string, points: number, status: string, at: string, expires: string | null];

async function ledgerAt(asOf: string): Promise<Record<string, Entry[]>> {
  const rows = await product.sql<{ profile_id: string; kind: string; points: string | number; status: string; occurred_at: string; expires_at: string | null }>(
    `SELECT profile_id, kind, points, status, occurred_at, expires_at FROM loyalty_ledger WHERE as_of = '${chAt(asOf)}' ORDER BY profile_id, occurred_at, entry_id`,
  );
  const userOf = new Map([...profileOf].map(([u, p]) => [p, u]));
  const out: Record<string, Entry[]> = {};
  for (const r of rows) (out[userOf.get(r.profile_id) ?? r.profile_id] ??= []).push([r.kind, Number(r.points), r.status, iso(r.occurred_at)!, iso(r.expires_at)]);
  return out;
}

interface Standing { balance: number; level: string; level_since: string | null; expiring_30d: number; expiring: [string, number][] }
async function standingsAt(asOf: string): Promise<Record<string, Standing>> {
  const rows = await product.sql<{ profile_id: string; balance: string; level: string; level_since: string | null; expiring_30d: string; expiring: { on: string; points: string }[] }>(
    `SELECT profile_id, balance, level, level_since, expiring_30d, expiring FROM loyalty_standings WHERE as_of = '${chAt(asOf)}'`,
  );
  const userOf = new Map([...profileOf].map(([u, p]) => [p, u]));
  return Object.fromEntries(
    rows.map((r) => [
      userOf.get(r.profile_id) ?? r.profile_id,
      { balance: Number(r.balance), level: r.level, level_since: iso(r.level_since), expiring_30d: Number(r.expiring_30d), expiring: r.expiring.map((e) => [e.on, Number(e.points)] as [string, number]) },
    ]),
  );
}

async function changesAt(asOf: string): Promise<Record<string, [string, string, string, string][]>> {
  const rows = await product.sql<{ profile_id: string; changed_at: string; from_level: string; to_level: string; direction: string }>(
    `SELECT profile_id, changed_at, from_level, to_level, direction FROM loyalty_level_changes WHERE as_of = '${chAt(asOf)}' ORDER BY profile_id, changed_at`,
  );
  const userOf = new Map([...profileOf].map(([u, p]) => [p, u]));
  const out: Record<string, [string, string, string, string][]> = {};
  for (const r of rows) (out[userOf.get(r.profile_id) ?? r.profile_id] ??= []).push([iso(r.changed_at)!, r.from_level, r.to_level, r.direction]);
  return out;
}

describe('the loyalty job', () => {
  let ledger: Record<string, Entry[]>;
  let standings: Record<string, Standing>;
  let changes: Record<string, [string, string, string, string][]>;
  let summary: Record<string, unknown>;

  beforeAll(async () => {
    summary = await runJobThroughApi(product, ADMIN_KEY, 'loyalty', AS_OF);
    [ledger, standings, changes] = await Promise.all([ledgerAt(AS_OF), standingsAt(AS_OF), changesAt(AS_OF)]);
  });

  test('earn: floored per order, with the multiplier of the level standing at the start of the local day', () => {
    expect(ledger.c1!.filter((e) => e[0] === 'earn')).toEqual([
      ['earn', 120, 'applied', '2026-01-10T10:00:00.000Z', '2026-02-10T23:00:00.000Z'],
      ['earn', 10, 'applied', '2026-01-10T15:00:00.000Z', '2026-02-10T23:00:00.000Z'],
      ['earn', 16, 'applied', '2026-01-10T23:30:00.000Z', '2026-02-11T23:00:00.000Z'],
      ['earn', 50, 'applied', '2026-02-20T10:00:00.000Z', '2026-03-20T23:00:00.000Z'],
    ]);
    expect(summary).toMatchObject({ job: 'loyalty', time_zone: 'Europe/Berlin', shop_currency: 'EUR' });
  });

  test('levels go up with spend and down when it leaves the rolling window, at the start of a local day', () => {
    expect(changes.c1).toEqual([
      ['2026-01-10T10:00:00.000Z', 'Member', 'Silver', 'up'],
      ['2026-02-08T23:00:00.000Z', 'Silver', 'Member', 'down'],
    ]);
    expect(standings.c1).toEqual({ balance: 50, level: 'Member', level_since: '2026-02-08T23:00:00.000Z', expiring_30d: 50, expiring: [['2026-03-20', 50]] });
  });

  test('refunds take back floor(amount × rate × the order\'s multiplier), once per refunded amount', () => {
    expect(ledger.c2).toEqual([
      ['earn', 400, 'applied', '2026-02-01T10:00:00.000Z', '2026-03-01T23:00:00.000Z'],
      ['earn', 200, 'applied', '2026-02-02T10:00:00.000Z', '2026-03-02T23:00:00.000Z'],
      ['refund', -66, 'applied', '2026-02-03T10:00:00.000Z', null],
      ['refund', -400, 'applied', '2026-02-04T10:00:00.000Z', null],
      ['redeem', -150, 'rejected', '2026-02-05T10:00:00.000Z', null],
      ['redeem', -100, 'applied', '2026-02-06T10:00:00.000Z', null],
    ]);
    expect(changes.c2).toEqual([
      ['2026-02-01T10:00:00.000Z', 'Member', 'Gold', 'up'],
      ['2026-02-04T10:00:00.000Z', 'Gold', 'Member', 'down'],
    ]);
    expect(standings.c2).toMatchObject({ balance: 34, level: 'Member', expiring: [['2026-03-02', 34]] });
  });

  test('a refund may leave the balance negative; the next points pay the debt first', () => {
    expect(ledger.c3!.map((e) => [e[0], e[1], e[2]])).toEqual([
      ['earn', 50, 'applied'],
      ['redeem', -50, 'applied'],
      ['refund', -50, 'applied'],
      ['bonus', 50, 'applied'],
    ]);
    expect(standings.c3).toMatchObject({ balance: 0, expiring_30d: 0, expiring: [] });
  });

  test('a redemption spends the oldest points first; the rest expires at the end of the local day a month on', () => {
    expect(ledger.c4).toEqual([
      ['earn', 100, 'applied', '2026-01-04T23:30:00.000Z', '2026-02-05T23:00:00.000Z'],
      ['earn', 150, 'applied', '2026-01-20T10:00:00.000Z', '2026-02-20T23:00:00.000Z'],
      ['redeem', -60, 'applied', '2026-01-25T10:00:00.000Z', null],
      ['expire', -40, 'applied', '2026-02-05T23:00:00.000Z', null],
      ['expire', -150, 'applied', '2026-02-20T23:00:00.000Z', null],
    ]);
    expect(standings.c4).toMatchObject({ balance: 0, level: 'Member' });
  });

  test('a bonus event earns for the profile whose event it is, once per message id', () => {
    expect(ledger.r1).toEqual([
      ['bonus', 200, 'applied', '2026-01-30T10:00:00.000Z', '2026-02-28T23:00:00.000Z'],
      ['expire', -200, 'applied', '2026-02-28T23:00:00.000Z', null],
    ]);
    expect(ledger.r2).toBeUndefined();
  });

  test('a merged customer is one member, under the survivor', () => {
    expect(ledger.m!.map((e) => [e[0], e[1]])).toEqual([['earn', 60], ['earn', 50], ['expire', -60], ['expire', -50]]);
    expect(ledger[mergedAway]).toBeUndefined();
    // 15 January's 60 leave the window at the start of 14 February local.
    expect(changes.m).toEqual([
      ['2026-01-16T10:00:00.000Z', 'Member', 'Silver', 'up'],
      ['2026-02-13T23:00:00.000Z', 'Silver', 'Member', 'down'],
    ]);
    expect(standings.m).toMatchObject({ balance: 0, level: 'Member' });
    expect(standings[mergedAway]).toBeUndefined();
  });

  test('SHOP_CURRENCY: orders in another currency earn nothing; an order resent counts once', () => {
    expect(ledger.c5!.filter((e) => e[0] === 'earn').map((e) => e[1])).toEqual([30, 20]);
  });

  test('an as_of in the past reads nothing at or after it', async () => {
    await runJobThroughApi(product, ADMIN_KEY, 'loyalty', AS_OF_PAST);
    const [past, pastStandings] = await Promise.all([ledgerAt(AS_OF_PAST), standingsAt(AS_OF_PAST)]);
    expect(past.c1!.map((e) => [e[0], e[1]])).toEqual([['earn', 120], ['earn', 10], ['earn', 16]]);
    expect(pastStandings.c1).toEqual({ balance: 146, level: 'Member', level_since: '2026-02-08T23:00:00.000Z', expiring_30d: 146, expiring: [['2026-02-10', 130], ['2026-02-11', 16]] });
    expect(past.c4!.map((e) => e[0])).toEqual(['earn', 'earn', 'redeem', 'expire']);
    expect(past.c2!.map((e) => e[1])).toEqual([400, 200, -66, -400, -150, -100]);
  });

  test('a re-run for the same as_of writes the same rows', async () => {
    const all = (t: string) => product.sql(`SELECT * FROM ${t} WHERE as_of = '${chAt(AS_OF)}' ORDER BY ALL`);
    const before = await Promise.all(['loyalty_ledger', 'loyalty_standings', 'loyalty_level_changes'].map(all));
    await runJobThroughApi(product, ADMIN_KEY, 'loyalty', AS_OF);
    expect(await Promise.all(['loyalty_ledger', 'loyalty_standings', 'loyalty_level_changes'].map(all))).toEqual(before);
  });
});
