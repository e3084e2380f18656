import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateIdentityScenario, JUNK_VALUES, scoreIdentity, type ResolvedIdentifierRow } from '../../bench/identity-scenario.js';
import { startTestProduct, type TestProduct } from '../helpers/test-product.js';

// Identity stitching through the real product (API → queue → workers → Redis Lua → chDB), graded against the
// ground truth of a generated scenario, and the stitching paths one by one: retroactive attribution (the
// override path), devices linked later (a merge), shared kiosks (a refused merge), and alias.

let product: TestProduct;
beforeAll(async () => {
  product = await startTestProduct();
});
afterAll(async () => {
  await product?.destroy();
});

const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const list = (values: readonly string[]) => values.map(q).join(', ');

async function post(batch: Record<string, unknown>[]): Promise<void> {
  const res = await product.post('/v1/batch', { batch });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ success: true });
}

/**
 * Waits until everything posted so far is loaded, identity tables included. The loader inserts groups of jobs
 * one at a time, in the order the queue hands the jobs out, each group's identity rows and its events; so once
 * an identify posted after everything else has both its event row and its trait row, every earlier job's rows
 * are in (whichever of the two the loader writes first).
 */
async function settle(): Promise<void> {
  const messageId = `settle-${randomUUID()}`;
  await post([{ type: 'identify', userId: `settle-${randomUUID()}`, messageId, traits: { settle: true } }]);
  await product.waitForRows<{ events: string; traits: string }>(
    `SELECT (SELECT count() FROM events WHERE message_id = ${q(messageId)}) AS events, (SELECT count() FROM profile_traits WHERE message_id = ${q(messageId)}) AS traits`,
    (r) => Number(r[0]?.events) === 1 && Number(r[0]?.traits) === 1,
  );
}

async function profilesOf(messageIds: string[]): Promise<Map<string, { profile: string; original: string }>> {
  const rows = await product.sql<{ message_id: string; profile_id: string; original_profile_id: string }>(
    `SELECT message_id, profile_id, original_profile_id FROM events_resolved WHERE message_id IN (${list(messageIds)})`,
  );
  return new Map(rows.map((r) => [r.message_id, { profile: r.profile_id, original: r.original_profile_id }]));
}

async function holderOf(type: string, value: string): Promise<string[]> {
  const rows = await product.sql<{ profile_id: string }>(`SELECT profile_id FROM profile_identifiers WHERE identifier_type = ${q(type)} AND identifier = ${q(value)}`);
  return rows.map((r) => r.profile_id);
}

let seq = 0;
const event = (fields: Record<string, unknown>) => ({ type: 'track', event: 'Product Viewed', messageId: `t-${randomUUID()}`, timestamp: new Date(Date.UTC(2026, 3, 1) + seq++ * 60_000).toISOString(), ...fields });

describe('a generated scenario of a few hundred customers', () => {
  test('is stitched with exact precision on what identifies a customer, no over-merge, and junk never held', async () => {
    const scenario = generateIdentityScenario({ seed: 1729, prefix: 'idst', customers: 300 });
    const { stats, truth } = scenario;
    // The scenario exercises every behaviour it is meant to (a change of the generator must not hollow it out).
    expect(stats.aliases).toBeGreaterThan(10);
    expect(stats.anonymousBeforeLogin).toBeGreaterThan(100);
    expect(stats.checkoutEmails).toBeGreaterThan(50);
    expect(stats.kioskLogins).toBeGreaterThanOrEqual(10);
    expect(stats.kioskAnonymousEvents).toBeGreaterThan(0);
    expect(stats.junkCustomers).toBeGreaterThan(20);
    expect(stats.serverJunkEvents).toBeGreaterThan(0);
    expect(stats.outOfOrder).toBeGreaterThan(stats.events / 20);

    for (const batch of scenario.batches) await post(batch);
    await product.waitForRows<{ n: string }>(`SELECT count() AS n FROM events WHERE startsWith(message_id, 'idst-')`, (r) => Number(r[0]!.n) === stats.events, 60_000);
    await settle();

    const events = await product.sql<{ message_id: string; profile_id: string }>(`SELECT message_id, profile_id FROM events_resolved WHERE startsWith(message_id, 'idst-')`);
    const identifiers = await product.sql<ResolvedIdentifierRow>('SELECT profile_id, identifier_type, identifier FROM profile_identifiers');
    const score = scoreIdentity(truth, { events: events.map((r) => [r.message_id, r.profile_id] as const), identifiers });
    console.info(
      `identity scenario: ${stats.events} events, ${stats.customers} customers, ${score.profiles} profiles; precision ${score.precision.toFixed(4)} (floor ${score.bounds.precisionFloor.toFixed(4)}), ` +
        `recall ${score.recall.toFixed(4)} (floor ${score.bounds.recallFloor.toFixed(4)}); attributable precision ${score.attributable.precision}, ` +
        `recall ${score.attributable.recall.toFixed(4)} of attainable ${score.attributable.attainableRecall.toFixed(4)}; over-merges ${JSON.stringify({ ...score.overMerges, profiles: score.overMerges.profiles.length })}`,
    );

    // Soft assertions: a failure lists every property that does not hold, not only the first.
    expect.soft(score.missingEvents).toBe(0);
    // Only the server-side events with nothing but a junk user id have no profile.
    expect.soft(score.junkOnlyEvents).toBe(stats.serverJunkEvents);
    expect.soft(score.junkOnlyResolved).toBe(0);
    expect.soft(score.unresolvedEvents).toBe(score.junkOnlyEvents);

    // Why these thresholds (derived from the rules, not observed):
    // - Every value shared by two customers is a kiosk anonymousId or a blocked value. Blocked values are
    //   dropped before resolution. Every kiosk visitor logs in before giving anything but the kiosk id, so a
    //   link through a kiosk always meets a profile that already has another user_id and the kiosk id is refused
    //   (user_id limit 1). Hence events that carry a customer's own identifier are resolved exactly: no two
    //   customers share a profile (attributable precision 1) and every group of events joined by the customer's
    //   own identifiers ends in one profile (attributable true positives = attainable pairs), whatever the
    //   delivery order.
    expect.soft(score.overMerges.blocked).toBe(0);
    expect.soft(score.overMerges.profiles).toEqual([]);
    expect.soft(score.attributable.precision).toBe(1);
    expect.soft(score.attributable.truePositives).toBe(score.attributable.attainablePairs);
    // - Overall, recall can only be as good as what the events reveal: devices the customer never identified
    //   on, kiosk browsing before the visitor logs in, and junk-only server events cannot be attributed by any
    //   resolver. recallFloor = attainable pairs / true pairs, computed from the truth alone (with 10 % of
    //   second devices never linked it is below 0.95: no resolver can reach 0.95 here). Precision loses only
    //   the pairs that anonymous kiosk browsing forms in whichever profile holds the kiosk id (first come);
    //   precisionFloor bounds that loss, and the scenario is built so that it stays at or above 0.99.
    expect.soft(score.bounds.precisionFloor).toBeGreaterThanOrEqual(0.99);
    expect.soft(score.precision).toBeGreaterThanOrEqual(score.bounds.precisionFloor);
    expect.soft(score.recall).toBeGreaterThanOrEqual(score.bounds.recallFloor);
    expect.soft(score.precision).toBeGreaterThanOrEqual(0.99);

    // Blocked values: no profile holds one, and none even reached the graph.
    const ids = score.identifiers!;
    expect.soft(ids.junkHeld).toEqual([]);
    expect.soft(ids.mixedProfiles).toEqual([]);
    const [reached] = await product.sql<{ n: string }>(
      `SELECT count() AS n FROM identity_edges WHERE lower(trim(identifier)) IN (${list([...JUNK_VALUES])}) OR match(identifier, '^[[:space:]0.+-]*$')`,
    );
    expect.soft(Number(reached!.n)).toBe(0);
    // Every user id: held by exactly one profile, one user id per profile, and all its events under that profile.
    expect.soft(ids.userIds.used).toBe(stats.registered);
    expect.soft(ids.userIds.heldByOneProfile).toBe(ids.userIds.used);
    expect.soft(ids.userIds.profilesWithSeveralUserIds).toEqual([]);
    expect.soft(ids.userIds.eventsSplit).toEqual([]);
  });
});

describe('stitching paths', () => {
  test('retroactive attribution: anonymous events loaded before the login count for the customer', async () => {
    const userId = `u-${randomUUID()}`;
    const laptop = `a-${randomUUID()}`;
    const phone = `a-${randomUUID()}`;
    // The phone browses anonymously first (its profile is the oldest), and that is loaded.
    const anonymous = [event({ anonymousId: phone }), event({ anonymousId: phone, event: 'Product Added' }), event({ type: 'page', anonymousId: phone, event: undefined, name: 'Cart' })];
    await post(anonymous);
    await settle();
    // Then the customer logs in on a laptop: a second profile, holding the user id.
    const laptopLogin = event({ type: 'identify', userId, anonymousId: laptop, event: undefined, traits: { email: `${userId}@example.com` } });
    await post([event({ anonymousId: laptop }), laptopLogin]);
    await settle();
    const before = await profilesOf([...anonymous, laptopLogin].map((e) => e.messageId));
    expect(new Set(anonymous.map((e) => before.get(e.messageId)!.profile)).size).toBe(1);
    expect(before.get(laptopLogin.messageId)!.profile).not.toBe(before.get(anonymous[0]!.messageId)!.profile);

    // Now the login on the phone, sent after its anonymous events were loaded, and events after it.
    const phoneLogin = event({ type: 'identify', userId, anonymousId: phone, event: undefined });
    const after = [event({ userId, anonymousId: phone, event: 'Order Completed', properties: { order_id: `o-${randomUUID()}`, revenue: 12 } })];
    await post([phoneLogin, ...after]);
    await settle();

    const all = [...anonymous, laptopLogin, phoneLogin, ...after];
    const resolved = await profilesOf(all.map((e) => e.messageId));
    expect(resolved.size).toBe(all.length);
    const profiles = new Set([...resolved.values()].map((r) => r.profile));
    expect(profiles.size).toBe(1);
    const [profile] = profiles;
    // The anonymous events were not rewritten: they keep the profile they were loaded with, and read as the customer's.
    for (const e of anonymous) expect(resolved.get(e.messageId)!.original).toBe(before.get(e.messageId)!.profile);
    expect(await holderOf('user_id', userId)).toEqual([profile]);
    expect(await holderOf('email', `${userId}@example.com`)).toEqual([profile]);
    // The surviving profile is the oldest: the phone's anonymous one; the laptop's profile was merged into it.
    expect(profile).toBe(before.get(anonymous[0]!.messageId)!.profile);
    const merges = await product.sql<{ kind: string; from_profiles: string[]; profile_id: string }>(`SELECT kind, from_profiles, profile_id FROM identity_merges WHERE message_id = ${q(phoneLogin.messageId)}`);
    expect(merges).toEqual([{ kind: 'merge', from_profiles: [before.get(laptopLogin.messageId)!.profile], profile_id: profile }]);
  });

  test('a first login on a device that browsed anonymously attributes its earlier events to the customer', async () => {
    const userId = `u-${randomUUID()}`;
    const device = `a-${randomUUID()}`;
    const anonymous = [event({ anonymousId: device }), event({ anonymousId: device })];
    await post(anonymous);
    await settle();
    const login = event({ type: 'identify', userId, anonymousId: device, event: undefined });
    const later = event({ userId, anonymousId: device, event: 'Product Added' });
    await post([login, later]);
    await settle();
    const resolved = await profilesOf([...anonymous, login, later].map((e) => e.messageId));
    expect(new Set([...resolved.values()].map((r) => r.profile)).size).toBe(1);
    expect(await holderOf('user_id', userId)).toEqual([resolved.get(anonymous[0]!.messageId)!.profile]);
  });

  test('a customer logging in on a device that had its own anonymous profile: one profile, and a merge recorded', async () => {
    const userId = `u-${randomUUID()}`;
    const first = `a-${randomUUID()}`;
    const second = `a-${randomUUID()}`;
    const login = event({ type: 'identify', userId, anonymousId: first, event: undefined });
    await post([login, event({ userId, anonymousId: first })]);
    await settle();
    const browsing = [event({ anonymousId: second }), event({ anonymousId: second, event: 'Product Added' })];
    await post(browsing);
    await settle();
    const early = await profilesOf([login.messageId, ...browsing.map((e) => e.messageId)]);
    const customerProfile = early.get(login.messageId)!.profile;
    const deviceProfile = early.get(browsing[0]!.messageId)!.profile;
    expect(deviceProfile).not.toBe(customerProfile);

    const link = event({ type: 'identify', userId, anonymousId: second, event: undefined });
    await post([link]);
    await settle();
    const resolved = await profilesOf([login.messageId, link.messageId, ...browsing.map((e) => e.messageId)]);
    expect(new Set([...resolved.values()].map((r) => r.profile))).toEqual(new Set([customerProfile]));
    expect(resolved.get(browsing[0]!.messageId)!.original).toBe(deviceProfile);
    const merges = await product.sql<{ kind: string; from_profiles: string[]; profile_id: string; rule: string }>(
      `SELECT kind, from_profiles, profile_id, rule FROM identity_merges WHERE message_id = ${q(link.messageId)}`,
    );
    expect(merges).toEqual([{ kind: 'merge', from_profiles: [deviceProfile], profile_id: customerProfile, rule: 'shared_identifier' }]);
    const [override] = await product.sql<{ profile_id: string }>(`SELECT profile_id FROM profile_overrides_current WHERE old_profile_id = ${q(deviceProfile)}`);
    expect(override!.profile_id).toBe(customerProfile);
    expect((await holderOf('anonymous_id', second))).toEqual([customerProfile]);
  });

  test('a shared kiosk device used by two customers never merges them: the link is refused and recorded', async () => {
    const kiosk = `kiosk-${randomUUID()}`;
    const [alice, bob] = [`u-${randomUUID()}`, `u-${randomUUID()}`];
    const aliceLogin = event({ type: 'identify', userId: alice, anonymousId: kiosk, event: undefined });
    const aliceEvents = [aliceLogin, event({ userId: alice, anonymousId: kiosk })];
    await post(aliceEvents);
    await settle();
    const bobLogin = event({ type: 'identify', userId: bob, anonymousId: kiosk, event: undefined });
    const bobEvents = [bobLogin, event({ userId: bob, anonymousId: kiosk, event: 'Order Completed', properties: { order_id: `o-${randomUUID()}` } })];
    await post(bobEvents);
    await settle();

    const resolved = await profilesOf([...aliceEvents, ...bobEvents].map((e) => e.messageId));
    const aliceProfiles = new Set(aliceEvents.map((e) => resolved.get(e.messageId)!.profile));
    const bobProfiles = new Set(bobEvents.map((e) => resolved.get(e.messageId)!.profile));
    expect(aliceProfiles.size).toBe(1);
    expect(bobProfiles.size).toBe(1);
    const [aliceProfile] = aliceProfiles;
    const [bobProfile] = bobProfiles;
    expect(bobProfile).not.toBe(aliceProfile);
    expect(await holderOf('user_id', alice)).toEqual([aliceProfile]);
    expect(await holderOf('user_id', bob)).toEqual([bobProfile]);
    // The kiosk stays with its first user.
    expect(await holderOf('anonymous_id', kiosk)).toEqual([aliceProfile]);

    const refused = await product.sql<{ from_profiles: string[]; profile_id: string; rule: string; identifier_type: string; identifier: string }>(
      `SELECT from_profiles, profile_id, rule, identifier_type, identifier FROM identity_merges WHERE kind = 'refused' AND message_id = ${q(bobLogin.messageId)}`,
    );
    expect(refused).toEqual([{ from_profiles: [aliceProfile], profile_id: bobProfile, rule: 'limit:user_id', identifier_type: 'anonymous_id', identifier: kiosk }]);
    const [merged] = await product.sql<{ n: string }>(
      `SELECT count() AS n FROM identity_merges WHERE kind = 'merge' AND (has(from_profiles, ${q(aliceProfile!)}) OR has(from_profiles, ${q(bobProfile!)}))`,
    );
    expect(Number(merged!.n)).toBe(0);
  });

  test('alias as analytics.js sends it (previousId = anonymousId) counts each anonymous id once toward the limit', async () => {
    // analytics.js `alias(userId)` sends previousId = the device's anonymousId AND that anonymousId. A profile
    // may hold 100 anonymous ids (IDENTITY_LIMITS default), so a customer who aliased on 60 devices holds all 60.
    // The same customer logging in with identify on 60 devices is the control.
    const devices = 60;
    const viaAlias = `u-${randomUUID()}`;
    const viaIdentify = `u-${randomUUID()}`;
    const aliasDevices = Array.from({ length: devices }, () => `a-${randomUUID()}`);
    const identifyDevices = Array.from({ length: devices }, () => `a-${randomUUID()}`);
    await post(aliasDevices.map((a) => event({ type: 'alias', userId: viaAlias, previousId: a, anonymousId: a, event: undefined })));
    await post(identifyDevices.map((a) => event({ type: 'identify', userId: viaIdentify, anonymousId: a, event: undefined })));
    await settle();
    const held = async (userId: string) => {
      const [profile] = await holderOf('user_id', userId);
      const [row] = await product.sql<{ n: string }>(`SELECT count() AS n FROM profile_identifiers WHERE profile_id = ${q(profile!)} AND identifier_type = 'anonymous_id'`);
      return Number(row!.n);
    };
    expect(await held(viaIdentify)).toBe(devices);
    const [refusals] = await product.sql<{ n: string }>(`SELECT count() AS n FROM identity_merges WHERE kind = 'refused' AND identifier IN (${list(aliasDevices)})`);
    expect(Number(refusals!.n)).toBe(0);
    expect(await held(viaAlias)).toBe(devices);
  });
});
