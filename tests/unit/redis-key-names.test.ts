import { describe, expect, test } from 'vitest';
import { API_KEY_NAMES, eventDestinationQueue, profileKeys, QUEUE_NAMES, redisKeyNames } from '../../pipeline/redis/key-names.js';

// Installations hold data under these names: a change here orphans it. Every name is spelled out as Redis
// holds it, so that a change to pipeline/redis/key-names.ts has to change this test too, on purpose.

describe('Redis key names', () => {
  const keys = redisKeyNames('{cdp}');

  test('the identity graph', () => {
    expect(keys.identity).toEqual({
      index: '{cdp}:id:idx',
      created: '{cdp}:id:created',
      suppressed: '{cdp}:id:sup',
      seq: '{cdp}:id:seq',
      profileIdentifiersPrefix: '{cdp}:id:p:',
      profileCountsPrefix: '{cdp}:id:c:',
      profileMergedPrefix: '{cdp}:id:m:',
      everyKey: '{cdp}:id:*',
    });
    expect(profileKeys(keys.identity, 'p_0a1b')).toEqual({ identifiers: '{cdp}:id:p:p_0a1b', counts: '{cdp}:id:c:p_0a1b', merged: '{cdp}:id:m:p_0a1b' });
  });

  test('dedupe claims: 96 bits of SHA-1 of source and message id, base64url', () => {
    expect(keys.dedupeClaim('src_web', 'msg-1')).toBe('{cdp}:dd:Uyj9HAw2kSvaz2Qk');
    expect(keys.dedupeClaim('src_app', 'msg-1')).not.toBe(keys.dedupeClaim('src_web', 'msg-1'));
  });

  test('destinations, the installation secret check, API keys and queues', () => {
    expect([keys.destinations.all, keys.destinations.one('dst_1'), keys.destinations.ofSegment('seg_1')]).toEqual([
      '{cdp}:destinations',
      '{cdp}:destination:dst_1',
      '{cdp}:segment-destinations:seg_1',
    ]);
    expect([keys.destinations.events, keys.destinations.deliveryLease('dst_1'), keys.destinations.deliveryState('dst_1'), eventDestinationQueue('dst_1')]).toEqual([
      '{cdp}:event-destinations',
      '{cdp}:destination-lease:dst_1',
      '{cdp}:destination-state:dst_1',
      'destination-dst_1',
    ]);
    expect(keys.installationSecretCheck).toBe('{cdp}:secret:check');
    expect(API_KEY_NAMES).toEqual({ write: 'cdp:keys:write', secret: 'cdp:keys:secret', changed: 'cdp:keys:changed' });
    expect(QUEUE_NAMES).toEqual({ load: 'load', jobs: 'jobs', segments: 'segments', webhooks: 'webhooks', alerts: 'alerts', alertDeliveries: 'alert-deliveries', journeys: 'journeys' });
  });

  test('tracking plans: the current versions and the channel announcing their changes', () => {
    expect(keys.trackingPlans).toEqual({ current: '{cdp}:tracking-plans', changed: '{cdp}:tracking-plans:changed' });
  });

  test("alerts: a webhook's secret, a live state, a metric's value in a minute", () => {
    expect([keys.alerts.secret('checkout'), keys.alerts.state('checkout'), keys.alerts.metricValue('complaints_open_over_hours:24', 1_780_000_020_000)]).toEqual([
      '{cdp}:alert-secret:checkout',
      '{cdp}:alert-state:checkout',
      '{cdp}:alert-metric:complaints_open_over_hours:24:1780000020000',
    ]);
  });

  test('journeys: definitions, versions, instances and what finds them', () => {
    const j = keys.journeys;
    expect([j.all, j.changed, j.one('cart'), j.versions('cart'), j.active('cart'), j.history('cart'), j.instance('i1'), j.profileInstances('p1'), j.goals('p1')]).toEqual([
      '{cdp}:journeys',
      '{cdp}:journeys:changed',
      '{cdp}:journey:cart',
      '{cdp}:journey-versions:cart',
      '{cdp}:journey-active:cart',
      '{cdp}:journey-history:cart',
      '{cdp}:journey-instance:i1',
      '{cdp}:journey-profile:p1',
      '{cdp}:journey-goals:p1',
    ]);
  });

  test('every name under QUEUE_PREFIX follows the prefix given', () => {
    const other = redisKeyNames('{t1}');
    const names = [...Object.values(other.identity), other.destinations.all, other.destinations.one('d'), other.destinations.ofSegment('s'), other.destinations.events, other.destinations.deliveryLease('d'), other.destinations.deliveryState('d'), other.trackingPlans.current, other.trackingPlans.changed, other.dedupeClaim('a', 'b'), other.installationSecretCheck, other.alerts.secret('a'), other.alerts.state('a'), other.alerts.metricValue('m', 0), other.journeys.all, other.journeys.changed, other.journeys.one('j'), other.journeys.versions('j'), other.journeys.active('j'), other.journeys.history('j'), other.journeys.instance('i'), other.journeys.profileInstances('p'), other.journeys.goals('p')];
    for (const name of names) expect(name.startsWith('{t1}:')).toBe(true);
  });
});
