import { describe, expect, test } from 'vitest';
import { generateIdentityScenario, identifierKey, scoreIdentity, type IdentifierKind, type ScenarioTruth } from '../../bench/identity-scenario.js';

// The scenario generator and its scoring are the yardstick of the stitching tests and bench: they are tested
// here on hand-made truths whose figures are worked out by hand, and on resolutions whose faults are known.

describe('generateIdentityScenario', () => {
  const small = { seed: 7, prefix: 'u', customers: 40 };

  test('is deterministic: the same options give the same events and truth; another seed does not', () => {
    const a = generateIdentityScenario(small);
    const b = generateIdentityScenario(small);
    expect(b.events).toEqual(a.events);
    expect([...b.truth.events.values()]).toEqual([...a.truth.events.values()]);
    expect(generateIdentityScenario({ ...small, seed: 8 }).events).not.toEqual(a.events);
  });

  test('batches hold every event once, in delivery order, at most batchSize each; the truth knows every event', () => {
    const s = generateIdentityScenario({ ...small, batchSize: 25 });
    expect(s.batches.flat()).toEqual(s.events);
    expect(s.batches.every((b) => b.length <= 25)).toBe(true);
    expect(new Set(s.events.map((e) => e.messageId)).size).toBe(s.events.length);
    expect(s.truth.events.size).toBe(s.events.length);
    for (const e of s.truth.events.values()) for (const key of e.identifiers) expect(s.truth.identifiers.has(key)).toBe(true);
  });

  test('timestamps stay true: delivery order differs from time order only by the events moved', () => {
    const s = generateIdentityScenario({ ...small, outOfOrderRate: 0 });
    const times = s.events.map((e) => Date.parse(e.timestamp));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    const shuffled = generateIdentityScenario({ ...small, outOfOrderRate: 0.3 });
    expect(shuffled.stats.outOfOrder).toBeGreaterThan(0);
    const late = shuffled.events.filter((e, i) => i > 0 && Date.parse(e.timestamp) < Date.parse(shuffled.events[i - 1]!.timestamp));
    expect(late.length).toBeGreaterThan(0);
  });

  test('kinds: a customer value belongs to one customer, a kiosk to several, junk to many', () => {
    const s = generateIdentityScenario({ seed: 3, prefix: 'k', customers: 200 });
    const byKind = (kind: IdentifierKind) => [...s.truth.identifiers.values()].filter((i) => i.kind === kind);
    expect(byKind('customer').every((i) => i.customers.size === 1)).toBe(true);
    expect(byKind('shared').length).toBe(s.options.kiosks);
    expect(byKind('shared').every((i) => i.customers.size === s.options.kioskVisitors)).toBe(true);
    expect(Math.max(...byKind('junk').map((i) => i.customers.size))).toBeGreaterThan(3);
  });

  test('a perfect resolution scores 1, and the floors it is held to are at most 1', () => {
    const s = generateIdentityScenario(small);
    const oracle = [...s.truth.events.values()].map((e) => [e.messageId, `p-${e.customer}`] as const);
    const score = scoreIdentity(s.truth, { events: oracle });
    expect(score.precision).toBe(1);
    expect(score.recall).toBe(1);
    expect(score.overMerges.profiles).toEqual([]);
    // It even attributes what no resolver could (junk-only events): that is what the floors leave room for.
    expect(score.bounds.recallFloor).toBeLessThanOrEqual(1);
    expect(score.junkOnlyResolved).toBe(score.junkOnlyEvents);
  });
});

/** A truth made by hand: events with their customer and identifiers (type:value:kind). */
function handTruth(events: [messageId: string, customer: string, ids: string[]][]): ScenarioTruth {
  const truth: ScenarioTruth = { customers: new Map(), events: new Map(), identifiers: new Map() };
  events.forEach(([messageId, customer, ids], chronological) => {
    const keys = ids.map((spec) => {
      const [type, value, kind] = spec.split(':') as [string, string, IdentifierKind];
      const key = identifierKey(type, value);
      const id = truth.identifiers.get(key) ?? { type, value, kind, customers: new Set<string>() };
      id.customers.add(customer);
      truth.identifiers.set(key, id);
      return key;
    });
    truth.events.set(messageId, { messageId, customer, identifiers: keys, chronological });
    if (!truth.customers.has(customer)) truth.customers.set(customer, { id: customer, emails: [], phones: [], anonymousIds: [], kiosks: [], junk: false });
  });
  return truth;
}

describe('scoreIdentity', () => {
  // c1: e1 e2 e3 (e3 on a device never linked), c2: e4 e5.
  const truth = handTruth([
    ['e1', 'c1', ['user_id:u1:customer', 'anonymous_id:a1:customer']],
    ['e2', 'c1', ['anonymous_id:a1:customer']],
    ['e3', 'c1', ['anonymous_id:a9:customer']],
    ['e4', 'c2', ['user_id:u2:customer']],
    ['e5', 'c2', ['user_id:u2:customer']],
  ]);

  test('pairwise precision and recall from the (profile, customer) counts', () => {
    // p1 = {e1, e2, e4}, p2 = {e3, e5}. True pairs: C(3,2) + C(2,2) = 4. Predicted: 3 + 1 = 4.
    // True positives: (p1,c1) C(2,2) = 1; (p1,c2), (p2,c1), (p2,c2) none. Precision 1/4, recall 1/4.
    const score = scoreIdentity(truth, { events: [['e1', 'p1'], ['e2', 'p1'], ['e4', 'p1'], ['e3', 'p2'], ['e5', 'p2']] });
    expect(score).toMatchObject({ truePairs: 4, predictedPairs: 4, truePositives: 1, precision: 0.25, recall: 0.25, profiles: 2 });
  });

  test('attainable pairs: only what the customer’s own identifiers join', () => {
    // Components: {e1, e2} (u1, a1), {e3} (a9 alone), {e4, e5} (u2): A = 1 + 0 + 1 = 2 of 4 true pairs.
    const score = scoreIdentity(truth, { events: [['e1', 'p1'], ['e2', 'p1'], ['e3', 'p3'], ['e4', 'p2'], ['e5', 'p2']] });
    expect(score.bounds.attainablePairs).toBe(2);
    expect(score.bounds.recallFloor).toBe(0.5);
    expect(score.attributable).toMatchObject({ precision: 1, truePositives: 2, attainablePairs: 2 });
    expect(score.recall).toBe(0.5);
  });

  test('missing and unresolved events pair with nothing', () => {
    const score = scoreIdentity(truth, { events: [['e1', 'p1'], ['e2', ''], ['e4', 'p2'], ['e5', 'p2']] });
    expect(score).toMatchObject({ missingEvents: 1, unresolvedEvents: 1, resolvedEvents: 3, truePositives: 1, predictedPairs: 1 });
  });

  test('an over-merge through a junk value is counted as blocked; one no shared value explains, as other', () => {
    const junk = handTruth([
      ['e1', 'c1', ['anonymous_id:a1:customer', 'user_id:null:junk']],
      ['e2', 'c2', ['anonymous_id:a2:customer', 'user_id:null:junk']],
      ['e3', 'c3', ['anonymous_id:a3:customer']],
    ]);
    const fused = scoreIdentity(junk, { events: [['e1', 'p'], ['e2', 'p'], ['e3', 'q']] });
    expect(fused.overMerges).toMatchObject({ blocked: 1, other: 0 });
    expect(fused.overMerges.profiles[0]).toMatchObject({ profileId: 'p', cause: 'blocked' });
    expect(fused.precision).toBe(0);
    const unrelated = scoreIdentity(junk, { events: [['e1', 'p'], ['e3', 'p'], ['e2', 'q']] });
    expect(unrelated.overMerges).toMatchObject({ blocked: 0, other: 1 });
  });

  test('a kiosk’s anonymous events in a kiosk user’s profile are explained, and bounded by the precision floor', () => {
    const kiosk = handTruth([
      ['x1', 'cx', ['user_id:ux:customer', 'anonymous_id:kiosk:shared']],
      ['x2', 'cx', ['user_id:ux:customer']],
      ['y1', 'cy', ['anonymous_id:kiosk:shared']],
      ['y2', 'cy', ['user_id:uy:customer', 'anonymous_id:kiosk:shared']],
    ]);
    const score = scoreIdentity(kiosk, { events: [['x1', 'px'], ['x2', 'px'], ['y1', 'px'], ['y2', 'py']] });
    expect(score.overMerges.profiles).toEqual([]);
    expect(score.attributable.precision).toBe(1);
    // Predicted 3 pairs in px, 1 true: precision 1/3. Bound: a = 1 ambiguous event × max(n_cx, n_cy) = 2, + C(1,2) = 0.
    expect(score.precision).toBeCloseTo(1 / 3);
    expect(score.bounds.falsePairBound).toBe(2);
    expect(score.bounds.precisionFloor).toBeCloseTo(score.bounds.attainablePairs / (score.bounds.attainablePairs + 2));
    expect(score.precision).toBeGreaterThanOrEqual(score.bounds.precisionFloor);
    // Two logged-in kiosk users fused: explained by the kiosk, but their own identifiers disagree.
    const fused = scoreIdentity(kiosk, { events: [['x1', 'p'], ['x2', 'p'], ['y1', 'p'], ['y2', 'p']] });
    expect(fused.overMerges).toMatchObject({ blocked: 0, other: 0, sharedCore: 1 });
  });

  test('identifier checks: junk held, mixed profiles, one profile per user id and all its events under it', () => {
    const score = scoreIdentity(truth, {
      events: [['e1', 'p1'], ['e2', 'p1'], ['e3', 'p1'], ['e4', 'p2'], ['e5', 'p3']],
      identifiers: [
        { profile_id: 'p1', identifier_type: 'user_id', identifier: 'u1' },
        { profile_id: 'p1', identifier_type: 'anonymous_id', identifier: 'a1' },
        { profile_id: 'p1', identifier_type: 'phone', identifier: '+00000000' },
        { profile_id: 'p2', identifier_type: 'user_id', identifier: 'u2' },
        { profile_id: 'p2', identifier_type: 'user_id', identifier: 'NULL' },
        { profile_id: 'p2', identifier_type: 'anonymous_id', identifier: 'a9' },
      ],
    });
    const ids = score.identifiers!;
    expect(ids.junkHeld.map((r) => r.identifier)).toEqual(['+00000000', 'NULL']);
    expect(ids.mixedProfiles).toEqual(['p2']);
    expect(ids.userIds).toMatchObject({ used: 2, heldByOneProfile: 2, notHeld: [], heldBySeveral: [], profilesWithSeveralUserIds: ['p2'], eventsSplit: ['u2'] });
  });
});
