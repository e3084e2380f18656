import { describe, expect, test } from 'vitest';
import {
  API_KEY_NAMES,
  DEDUPE_TAGS,
  eventDestinationQueue,
  everyInstallationKey,
  keyBase,
  profileKeys,
  QUEUE_NAMES,
  queuePrefix,
  redisKeyNames,
  renamedFromOneTag,
  STORE_OWNERS,
} from '../../pipeline/redis/key-names.js';

// Installations hold data under these names: a change here orphans it (unless renamedFromOneTag, or a move
// like it, follows). Every name is spelled out as Redis holds it, so that a change to
// pipeline/redis/key-names.ts has to change this test too, on purpose.

const hashTag = (key: string) => key.slice(key.indexOf('{'), key.indexOf('}') + 1);

describe('Redis key names', () => {
  const keys = redisKeyNames('{cdp}');

  test('QUEUE_PREFIX gives the base of every tag, with or without its braces', () => {
    expect([keyBase('{cdp}'), keyBase('cdp'), keyBase('{t1}')]).toEqual(['cdp', 'cdp', 't1']);
    const unbraced = redisKeyNames('cdp');
    expect([unbraced.identity.index, unbraced.dedupeClaim('src_web', 'msg-1'), unbraced.destinations.one('d')]).toEqual([keys.identity.index, keys.dedupeClaim('src_web', 'msg-1'), keys.destinations.one('d')]);
    expect(everyInstallationKey('{cdp}')).toBe('{cdp:*');
  });

  test('the identity graph, under its own tag', () => {
    expect(keys.identity).toEqual({
      index: '{cdp:identity}:id:idx',
      created: '{cdp:identity}:id:created',
      suppressed: '{cdp:identity}:id:sup',
      seq: '{cdp:identity}:id:seq',
      profileIdentifiersPrefix: '{cdp:identity}:id:p:',
      profileCountsPrefix: '{cdp:identity}:id:c:',
      profileMergedPrefix: '{cdp:identity}:id:m:',
      everyKey: '{cdp:identity}:id:*',
    });
    expect(profileKeys(keys.identity, 'p_0a1b')).toEqual({ identifiers: '{cdp:identity}:id:p:p_0a1b', counts: '{cdp:identity}:id:c:p_0a1b', merged: '{cdp:identity}:id:m:p_0a1b' });
  });

  test('dedupe claims: 96 bits of SHA-1 of source and message id, base64url, under one of 16 tags chosen by their first byte', () => {
    expect(keys.dedupeClaim('src_web', 'msg-1')).toBe('{cdp:dedupe-3}:dd:Uyj9HAw2kSvaz2Qk');
    expect(keys.dedupeClaim('src_app', 'msg-1')).not.toBe(keys.dedupeClaim('src_web', 'msg-1'));
    const tags = new Set(Array.from({ length: 2000 }, (_, i) => hashTag(keys.dedupeClaim('web', `m-${i}`))));
    expect(tags.size).toBe(DEDUPE_TAGS);
  });

  test('destinations, the installation secret check, API keys and queues', () => {
    expect([keys.destinations.all, keys.destinations.one('dst_1'), keys.destinations.ofSegment('seg_1')]).toEqual([
      '{cdp:destinations}:destinations',
      '{cdp:destinations}:destination:dst_1',
      '{cdp:destinations}:segment-destinations:seg_1',
    ]);
    expect([keys.destinations.events, keys.destinations.deliveryLease('dst_1'), keys.destinations.deliveryState('dst_1'), eventDestinationQueue('dst_1')]).toEqual([
      '{cdp:destinations}:event-destinations',
      '{cdp:destinations}:destination-lease:dst_1',
      '{cdp:destinations}:destination-state:dst_1',
      'destination-dst_1',
    ]);
    expect([keys.installationSecretCheck, keys.keyLayout, keys.keyLayoutLock]).toEqual(['{cdp:installation}:secret:check', '{cdp:installation}:key-layout', '{cdp:installation}:key-layout:lock']);
    expect(API_KEY_NAMES).toEqual({ write: 'cdp:keys:write', secret: 'cdp:keys:secret', changed: 'cdp:keys:changed' });
    expect(QUEUE_NAMES).toEqual({ load: 'load', jobs: 'jobs', segments: 'segments', webhooks: 'webhooks', alerts: 'alerts', alertDeliveries: 'alert-deliveries', journeys: 'journeys' });
    expect([queuePrefix('{cdp}', QUEUE_NAMES.load), queuePrefix('cdp', QUEUE_NAMES.jobs), queuePrefix('{cdp}', eventDestinationQueue('dst_1'))]).toEqual(['{cdp:load}', '{cdp:jobs}', '{cdp:destination-dst_1}']);
  });

  test('tracking plans: the current versions and the channel announcing their changes', () => {
    expect(keys.trackingPlans).toEqual({ current: '{cdp:tracking-plans}:tracking-plans', changed: '{cdp:tracking-plans}:tracking-plans:changed' });
  });

  test("alerts: a webhook's secret, a live state, a metric's value in a minute", () => {
    expect([keys.alerts.secret('checkout'), keys.alerts.state('checkout'), keys.alerts.metricValue('complaints_open_over_hours:24', 1_780_000_020_000)]).toEqual([
      '{cdp:alert-store}:alert-secret:checkout',
      '{cdp:alert-store}:alert-state:checkout',
      '{cdp:alert-store}:alert-metric:complaints_open_over_hours:24:1780000020000',
    ]);
  });

  test('journeys and messages: each store under its own tag, every key of an instance\'s scripts in one slot', () => {
    const j = keys.journeys;
    expect([j.all, j.changed, j.one('cart'), j.versions('cart'), j.active('cart'), j.history('cart'), j.instance('i1'), j.profileInstances('p1'), j.goals('p1')]).toEqual([
      '{cdp:journey-store}:journeys',
      '{cdp:journey-store}:journeys:changed',
      '{cdp:journey-store}:journey:cart',
      '{cdp:journey-store}:journey-versions:cart',
      '{cdp:journey-store}:journey-active:cart',
      '{cdp:journey-store}:journey-history:cart',
      '{cdp:journey-store}:journey-instance:i1',
      '{cdp:journey-store}:journey-profile:p1',
      '{cdp:journey-store}:journey-goals:p1',
    ]);
    const m = keys.messages;
    expect([m.templates, m.subscriptionGroups, m.sentToday('p1', 'email')]).toEqual(['{cdp:message-store}:message-templates', '{cdp:message-store}:subscription-groups', '{cdp:message-store}:message-cap:email:p1']);
    expect(hashTag(m.sending('msg-1'))).toBe('{cdp:message-store}');
    expect(queuePrefix('{cdp}', QUEUE_NAMES.journeys)).toBe('{cdp:journeys}');
  });

  test('each owner has a tag of its own: no store shares one with a queue', () => {
    const queueTags = [...Object.values(QUEUE_NAMES), eventDestinationQueue('x')].map((q) => queuePrefix('{cdp}', q));
    const storeTags = [keys.identity.index, keys.destinations.all, keys.trackingPlans.current, keys.alerts.state('a'), keys.installationSecretCheck, keys.journeys.all, keys.messages.templates].map(hashTag);
    expect(new Set([...queueTags, ...storeTags]).size).toBe(queueTags.length + storeTags.length);
    expect(storeTags).toHaveLength(Object.keys(STORE_OWNERS).length);
  });

  test('every name follows the prefix given', () => {
    const other = redisKeyNames('{t1}');
    const names = [...Object.values(other.identity), other.destinations.all, other.destinations.one('d'), other.destinations.ofSegment('s'), other.destinations.events, other.destinations.deliveryLease('d'), other.destinations.deliveryState('d'), other.trackingPlans.current, other.trackingPlans.changed, other.dedupeClaim('a', 'b'), other.installationSecretCheck, other.alerts.secret('a'), other.alerts.state('a'), other.alerts.metricValue('m', 0), ...Object.values(other.journeys).map((v) => (typeof v === 'function' ? v('x') : v)), ...Object.values(other.messages).map((v) => (typeof v === 'function' ? v('x', 'email') : v))];
    for (const name of names) expect(name.startsWith('{t1:')).toBe(true);
  });

  test('keys named under the one tag `{cdp}` get their names today, every kind of them', () => {
    const moves: [string, string | undefined][] = [
      ['{cdp}:id:idx', keys.identity.index],
      ['{cdp}:id:sup', keys.identity.suppressed],
      ['{cdp}:id:p:p_1', profileKeys(keys.identity, 'p_1').identifiers],
      ['{cdp}:dd:Uyj9HAw2kSvaz2Qk', keys.dedupeClaim('src_web', 'msg-1')],
      ['{cdp}:destination:dst_1', keys.destinations.one('dst_1')],
      ['{cdp}:destination-lease:dst_1', keys.destinations.deliveryLease('dst_1')],
      ['{cdp}:tracking-plans', keys.trackingPlans.current],
      ['{cdp}:alert-secret:a', keys.alerts.secret('a')],
      ['{cdp}:alert-metric:m:60000', keys.alerts.metricValue('m', 60_000)],
      ['{cdp}:secret:check', keys.installationSecretCheck],
      ['{cdp}:load:wait', '{cdp:load}:load:wait'],
      ['{cdp}:load:42', '{cdp:load}:load:42'],
      ['{cdp}:alert-deliveries:meta', '{cdp:alert-deliveries}:alert-deliveries:meta'],
      ['{cdp}:destination-dst_1:events', '{cdp:destination-dst_1}:destination-dst_1:events'],
      ['{cdp}:something-else', undefined],
      ['{other}:id:idx', undefined],
    ];
    for (const [from, to] of moves) expect(renamedFromOneTag('{cdp}', from), from).toBe(to);
    expect(renamedFromOneTag('shop', 'shop:id:idx')).toBe('{shop:identity}:id:idx');
  });
});
