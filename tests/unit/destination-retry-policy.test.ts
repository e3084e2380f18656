import { describe, expect, test } from 'vitest';
import { passesFilter } from '../../pipeline/destinations/event-destination.js';
import { retryAfterMs, retryDelay, verdictOf } from '../../pipeline/destinations/retry-policy.js';

describe('what an answer means', () => {
  test.each([
    [200, 'delivered'], [204, 'delivered'], [410, 'gone'], [408, 'retry'], [429, 'retry'], [500, 'retry'], [503, 'retry'],
    [undefined, 'retry'], [400, 'dead_letter'], [401, 'dead_letter'], [404, 'dead_letter'], [422, 'dead_letter'], [301, 'dead_letter'],
  ] as const)('%s → %s', (status, verdict) => {
    expect(verdictOf(status)).toBe(verdict);
  });

  test('Retry-After in seconds or as an HTTP date; anything else is ignored', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000 + 5000).toUTCString(), 10_000)).toBe(5000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });

  test('backoff doubles with jitter, is capped, and waits at least what Retry-After asks', () => {
    for (let i = 0; i < 50; i++) {
      expect(retryDelay(1, 1000, 60_000, undefined)).toBeGreaterThanOrEqual(800);
      expect(retryDelay(1, 1000, 60_000, undefined)).toBeLessThanOrEqual(1200);
      expect(retryDelay(4, 1000, 60_000, undefined)).toBeGreaterThanOrEqual(6400);
      expect(retryDelay(30, 1000, 60_000, undefined)).toBeLessThanOrEqual(72_000);
      expect(retryDelay(1, 1000, 60_000, 30_000)).toBe(30_000);
    }
  });
});

describe('filters', () => {
  const none = { types: [], events: [], exclude_events: [], sources: [] };
  const e = (type: 'track' | 'page', event?: string, sourceId = 'web') => ({ type, event, sourceId });
  test('empty lists let everything through; each non-empty list must match', () => {
    expect(passesFilter(none, e('page'))).toBe(true);
    expect(passesFilter({ ...none, types: ['track'] }, e('page'))).toBe(false);
    expect(passesFilter({ ...none, events: ['Order Completed'] }, e('track', 'Order Completed'))).toBe(true);
    expect(passesFilter({ ...none, events: ['Order Completed'] }, e('track', 'Product Viewed'))).toBe(false);
    expect(passesFilter({ ...none, events: ['Order Completed'] }, e('page'))).toBe(true);
    expect(passesFilter({ ...none, types: ['track'], events: ['Order Completed'] }, e('page'))).toBe(false);
    expect(passesFilter({ ...none, exclude_events: ['Ping'] }, e('track', 'Ping'))).toBe(false);
    expect(passesFilter({ ...none, exclude_events: ['Ping'] }, e('page'))).toBe(true);
    expect(passesFilter({ ...none, sources: ['app'] }, e('track', 'X', 'web'))).toBe(false);
  });
});
