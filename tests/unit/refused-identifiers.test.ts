import { describe, expect, test } from 'vitest';
import { acceptBatch, acceptCall, type Limits } from '../../ingest/accept.js';
import { extractIdentifiers } from '../../identity/identifiers.js';
import { identityRules } from '../../identity/identity-rules.js';
import { refusedIdentifiers } from '../../identity/refused-identifiers.js';
import { loadConfig } from '../../pipeline/core/config.js';

const rules = identityRules(loadConfig({}));
const key = (type: string, value: string) => `${type}\u001f${value}`;
const limits: Limits = { maxEventBytes: 32 * 1024, maxBatchEvents: 100, maxCorrectionMs: 0, identityRules: rules, anonymizeIp: false };
const info = { route: '/v1/batch', requestId: 'r', sourceId: 'web', ip: '203.0.113.77', receivedAt: Date.UTC(2026, 0, 1) };

describe('refusedIdentifiers', () => {
  test('normalised as the loader normalises: numeric ids as text, emails trimmed and lower-cased, phones in one form', () => {
    expect(refusedIdentifiers({ userId: 4242, traits: { email: 'Dave@Example.com ' }, context: { traits: { phone: '+44 (0) 7700 900777' } } }, rules)).toEqual(
      [key('email', 'dave@example.com'), key('phone', '+447700900777'), key('user_id', '4242')].sort(),
    );
  });

  test('the same values the loader resolves for the accepted event', () => {
    const item = { type: 'identify', userId: 4242, anonymousId: ' a-1 ', traits: { email: ' Dave@Example.com', phone: '0044 7700 900777' }, context: { externalIds: [{ id: 77, type: 'Shopify' }] } };
    const accepted = acceptCall('identify', item, info, limits).events[0]!;
    const loaded = extractIdentifiers(accepted, rules).identifiers.map((i) => key(i.type, i.value)).sort();
    expect(refusedIdentifiers(item, rules)).toEqual(loaded);
  });

  test('wider than the loader: traits and previousId count whatever the (maybe invalid) type', () => {
    expect(refusedIdentifiers({ type: 'idnetify', traits: { email: 'x@shop.example' }, previousId: 'old-1' }, rules)).toEqual([key('email', 'x@shop.example'), key('previous_id', 'old-1')]);
  });

  test('junk values and non-objects give nothing', () => {
    expect(refusedIdentifiers({ userId: 'null', anonymousId: '0', traits: { email: 'not-an-email' } }, rules)).toEqual([]);
    for (const item of [null, 'text', 42, [{ userId: 'u' }]]) expect(refusedIdentifiers(item, rules)).toEqual([]);
  });

  test('the configured keys count', () => {
    const custom = identityRules(loadConfig({ IDENTITY_EMAIL_KEYS: 'customer_email' }));
    expect(refusedIdentifiers({ properties: { customer_email: 'Y@Shop.example', email: 'z@shop.example' } }, custom)).toEqual([key('email', 'y@shop.example')]);
  });
});

describe('the tracking API keeps them with each refused event', () => {
  test('refused items of a batch carry their identifiers; a refused whole batch its top-level ones', () => {
    const out = acceptBatch({ batch: [{ type: 'track', userId: 4242 }, { type: 'bogus', anonymousId: 'a-2' }, { type: 'track', event: 'ok', userId: 'u' }] }, info, limits);
    expect(out.rejected.map((r) => r.identifiers)).toEqual([[key('user_id', '4242')], [key('anonymous_id', 'a-2')]]);
    expect(acceptBatch({ batch: 'nope', userId: 'u-9' }, info, limits).rejected[0]!.identifiers).toEqual([key('user_id', 'u-9')]);
  });

  test('IP_ANONYMIZE cuts the address of a refused event too', () => {
    expect(acceptCall('track', { userId: 'u' }, info, limits).rejected[0]!.ip).toBe('203.0.113.77');
    expect(acceptCall('track', { userId: 'u' }, info, { ...limits, anonymizeIp: true }).rejected[0]!.ip).toBe('203.0.113.0');
  });
});
