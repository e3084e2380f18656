import { describe, expect, test } from 'vitest';
import { correctedTimestamp, enrich, type EnrichContext } from '../../ingest/enrich.js';
import type { TrackingMessage } from '../../ingest/tracking-spec.js';

const HOUR = 3600_000;
const RECEIVED = Date.UTC(2024, 2, 1, 12, 0, 0);

function ctx(overrides: Partial<EnrichContext> = {}): EnrichContext {
  return { receivedAt: RECEIVED, sourceId: 'web', ip: '203.0.113.9', maxCorrectionMs: 24 * HOUR, ...overrides };
}

function track(fields: Partial<TrackingMessage> = {}): TrackingMessage {
  return { type: 'track', event: 'Product Viewed', userId: 'u1', ...fields } as TrackingMessage;
}

describe('messageId', () => {
  test('a messageId sent by the client is kept', () => {
    expect(enrich(track({ messageId: 'client-m-1' }), ctx()).messageId).toBe('client-m-1');
  });

  test('a missing messageId is assigned, different for every event', () => {
    const a = enrich(track(), ctx()).messageId;
    const b = enrich(track(), ctx()).messageId;
    expect(a).toMatch(/^cdp-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(b).not.toBe(a);
  });
});

describe('clock-skew correction', () => {
  test('timestamp = receivedAt − (sentAt − originalTimestamp)', () => {
    // The device clock is 10 minutes fast; the event happened 5 s before the device sent it.
    const sentAt = RECEIVED + 10 * 60_000;
    const originalTimestamp = sentAt - 5_000;
    const e = enrich(track({ originalTimestamp, sentAt }), ctx());
    expect(e.timestamp).toBe(RECEIVED - 5_000);
    expect(e.originalTimestamp).toBe(originalTimestamp);
    expect(e.sentAt).toBe(sentAt);
    expect(e.receivedAt).toBe(RECEIVED);
  });

  test('a slow device clock is corrected forward', () => {
    const sentAt = RECEIVED - 3 * HOUR; // device 3 h behind
    const originalTimestamp = sentAt - 60_000;
    expect(enrich(track({ originalTimestamp, sentAt }), ctx()).timestamp).toBe(RECEIVED - 60_000);
  });

  test('the correction is bounded by maxCorrectionMs when the device is far behind', () => {
    const sentAt = RECEIVED - 10 * HOUR;
    const originalTimestamp = sentAt - 1_000;
    const e = enrich(track({ originalTimestamp, sentAt }), ctx({ maxCorrectionMs: HOUR }));
    expect(e.timestamp).toBe(originalTimestamp + HOUR);
  });

  test('the correction is bounded by maxCorrectionMs when the device is far ahead', () => {
    const sentAt = RECEIVED + 10 * HOUR;
    const originalTimestamp = sentAt - 1_000;
    const e = enrich(track({ originalTimestamp, sentAt }), ctx({ maxCorrectionMs: HOUR }));
    expect(e.timestamp).toBe(originalTimestamp - HOUR);
  });

  test('a skew exactly at the bound is applied in full', () => {
    const sentAt = RECEIVED - HOUR;
    expect(enrich(track({ originalTimestamp: sentAt, sentAt }), ctx({ maxCorrectionMs: HOUR })).timestamp).toBe(RECEIVED);
  });

  test('maxCorrectionMs 0 turns correction off', () => {
    const originalTimestamp = RECEIVED - 7 * HOUR;
    const e = enrich(track({ originalTimestamp, sentAt: RECEIVED - 6 * HOUR }), ctx({ maxCorrectionMs: 0 }));
    expect(e.timestamp).toBe(originalTimestamp);
  });

  test('without sentAt the client time is used as is', () => {
    const originalTimestamp = RECEIVED - 2 * HOUR;
    const e = enrich(track({ originalTimestamp }), ctx());
    expect(e.timestamp).toBe(originalTimestamp);
    expect(e.originalTimestamp).toBe(originalTimestamp);
    expect(e.sentAt).toBeUndefined();
  });

  test('without any client time, timestamp = originalTimestamp = receivedAt', () => {
    const e = enrich(track(), ctx());
    expect(e.timestamp).toBe(RECEIVED);
    expect(e.originalTimestamp).toBe(RECEIVED);
  });

  test('without any client time, sentAt does not shift our own clock', () => {
    const sentAt = RECEIVED - 5 * HOUR;
    const e = enrich(track({ sentAt }), ctx());
    expect(e.timestamp).toBe(RECEIVED);
    expect(e.originalTimestamp).toBe(RECEIVED);
    expect(e.sentAt).toBe(sentAt);
  });

  test('timestamp stands in for originalTimestamp when that is missing', () => {
    const timestamp = RECEIVED - 30 * 60_000;
    expect(enrich(track({ timestamp }), ctx()).originalTimestamp).toBe(timestamp);
    expect(enrich(track({ timestamp }), ctx()).timestamp).toBe(timestamp);
    // with sentAt it is the original of the correction
    const sentAt = RECEIVED - 20 * 60_000;
    expect(enrich(track({ timestamp, sentAt }), ctx()).timestamp).toBe(RECEIVED - (sentAt - timestamp));
  });

  test('originalTimestamp wins over timestamp', () => {
    const e = enrich(track({ timestamp: RECEIVED - HOUR, originalTimestamp: RECEIVED - 2 * HOUR }), ctx());
    expect(e.originalTimestamp).toBe(RECEIVED - 2 * HOUR);
    expect(e.timestamp).toBe(RECEIVED - 2 * HOUR);
  });
});

describe('correctedTimestamp', () => {
  test('exact arithmetic', () => {
    expect(correctedTimestamp(1_000_000, 1_005_000, 2_000_000, 10_000_000)).toBe(1_995_000);
    expect(correctedTimestamp(1_000_000, 1_005_000, 1_003_000, 10_000_000)).toBe(998_000);
  });

  test('bounded in both directions', () => {
    expect(correctedTimestamp(1_000_000, 1_005_000, 2_000_000, 100)).toBe(1_000_100);
    expect(correctedTimestamp(1_000_000, 1_005_000, 0, 100)).toBe(999_900);
  });

  test('no sentAt, no correction', () => {
    expect(correctedTimestamp(1_000_000, undefined, 2_000_000, 10_000_000)).toBe(1_000_000);
  });
});

describe('context and integrations', () => {
  test('context.ip is filled from the request when the client sent none', () => {
    expect(enrich(track(), ctx()).context).toEqual({ ip: '203.0.113.9' });
    expect(enrich(track({ context: { ip: '' } }), ctx()).context.ip).toBe('203.0.113.9');
    expect(enrich(track({ context: { ip: 42 } }), ctx()).context.ip).toBe('203.0.113.9');
  });

  test('a client ip is kept', () => {
    expect(enrich(track({ context: { ip: '198.51.100.1', locale: 'fr-FR' } }), ctx()).context).toEqual({ ip: '198.51.100.1', locale: 'fr-FR' });
  });

  test('IP_ANONYMIZE cuts context.ip to its network, whether the client sent it or the connection gave it', () => {
    expect(enrich(track(), ctx({ anonymizeIp: true })).context.ip).toBe('203.0.113.0');
    expect(enrich(track({ context: { ip: '198.51.100.1' } }), ctx({ anonymizeIp: true })).context.ip).toBe('198.51.100.0');
    expect(enrich(track({ context: { ip: '2001:db8:85a3:8d3:1319:8a2e:370:7348' } }), ctx({ anonymizeIp: true })).context.ip).toBe('2001:db8:85a3::');
    expect(enrich(track({ context: { ip: 'not an address' } }), ctx({ anonymizeIp: true })).context.ip).toBe('');
  });

  test('batch context and integrations are merged under the item (the item wins)', () => {
    const e = enrich(
      track({ context: { locale: 'fr-FR', library: { name: 'item-lib' } }, integrations: { Mixpanel: false } }),
      ctx({
        batchContext: { locale: 'en-US', library: { name: 'batch-lib', version: '1' }, userAgent: 'UA/1', ip: '192.0.2.1' },
        batchIntegrations: { All: true, Mixpanel: true },
      }),
    );
    expect(e.context).toEqual({ locale: 'fr-FR', library: { name: 'item-lib' }, userAgent: 'UA/1', ip: '192.0.2.1' });
    expect(e.integrations).toEqual({ All: true, Mixpanel: false });
  });

  test('without context or integrations anywhere, integrations is an empty object', () => {
    expect(enrich(track(), ctx()).integrations).toEqual({});
  });

  test('the message objects are not mutated', () => {
    const context = { locale: 'fr-FR' };
    const batchContext = { userAgent: 'UA/1' };
    enrich(track({ context }), ctx({ batchContext }));
    expect(context).toEqual({ locale: 'fr-FR' });
    expect(batchContext).toEqual({ userAgent: 'UA/1' });
  });
});

describe('the rest of the event', () => {
  test('sourceId and receivedAt are set; call fields pass through', () => {
    const e = enrich(track({ anonymousId: 'a1', properties: { sku: 'x' } }), ctx({ sourceId: 'ios' }));
    expect(e).toMatchObject({ type: 'track', event: 'Product Viewed', userId: 'u1', anonymousId: 'a1', properties: { sku: 'x' }, sourceId: 'ios', receivedAt: RECEIVED });
  });

  test('other call types keep their own fields', () => {
    const e = enrich({ type: 'alias', previousId: 'anon-1', userId: 'u1' } as TrackingMessage, ctx());
    expect(e).toMatchObject({ type: 'alias', previousId: 'anon-1', userId: 'u1', sourceId: 'web' });
  });
});
