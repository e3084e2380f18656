import { describe, expect, test } from 'vitest';
import { consentAllows, statedConsent } from '../../identity/consent/consent-preferences.js';
import { consentRows } from '../../identity/consent/consent-rows.js';
import type { EnrichedEvent } from '../../pipeline/core/load-job.js';

// The consent rule every reader asks (destinations, the loader's rows), on its own.

describe('statedConsent', () => {
  test('the booleans of context.consent.categoryPreferences; anything else says nothing', () => {
    expect(statedConsent({ consent: { categoryPreferences: { marketing: true, analytics: false, ads: 'yes', sms: null, push: 1 } } })).toEqual({ marketing: true, analytics: false });
    for (const context of [undefined, {}, { consent: null }, { consent: 'all' }, { consent: {} }, { consent: { categoryPreferences: [true] } }, { consent: { categoryPreferences: { ads: 'yes' } } }]) {
      expect(statedConsent(context as Record<string, unknown> | undefined)).toBeUndefined();
    }
  });
});

describe('consentAllows', () => {
  test("every listed category granted, by the event's statement first, else by the profile's; none stated is not granted", () => {
    expect(consentAllows(['marketing'], { marketing: true }, { marketing: false })).toBe(true);
    expect(consentAllows(['marketing'], { marketing: false }, { marketing: true })).toBe(false);
    expect(consentAllows(['marketing'], { analytics: true }, { marketing: true })).toBe(true);
    expect(consentAllows(['marketing'], undefined, undefined)).toBe(false);
    expect(consentAllows(['marketing', 'analytics'], { marketing: true }, undefined)).toBe(false);
    expect(consentAllows([], undefined, undefined)).toBe(true);
  });
});

describe('consentRows', () => {
  const event = (context: Record<string, unknown>): EnrichedEvent => ({
    messageId: 'm-1',
    type: 'track',
    event: 'Banner',
    context,
    integrations: {},
    timestamp: Date.parse('2026-05-01T10:00:00.123Z'),
    originalTimestamp: Date.parse('2026-05-01T10:00:00.123Z'),
    receivedAt: Date.parse('2026-05-01T10:00:01Z'),
    sourceId: 'web',
  });

  test('one row per stated category, dated by the event, under its profile; none without a statement or a profile', () => {
    expect(consentRows(event({ consent: { categoryPreferences: { marketing: true, analytics: false, ads: 'x' } } }), 'p_1')).toEqual([
      { profile_id: 'p_1', category: 'marketing', granted: true, message_id: 'm-1', source_id: 'web', stated_at: '2026-05-01 10:00:00.123', received_at: '2026-05-01 10:00:01.000' },
      { profile_id: 'p_1', category: 'analytics', granted: false, message_id: 'm-1', source_id: 'web', stated_at: '2026-05-01 10:00:00.123', received_at: '2026-05-01 10:00:01.000' },
    ]);
    expect(consentRows(event({}), 'p_1')).toEqual([]);
    expect(consentRows(event({ consent: { categoryPreferences: { marketing: true } } }), '')).toEqual([]);
  });
});
