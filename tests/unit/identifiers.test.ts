import { describe, expect, test } from 'vitest';
import { DEFAULT_BLOCKED_VALUES, extractIdentifiers, isBlocked, normalizeEmail, normalizePhone, priority, type IdentityRules } from '../../identity/identifiers.js';
import { identityRules } from '../../identity/identity-rules.js';
import type { EnrichedEvent } from '../../pipeline/core/load-job.js';

const T = Date.UTC(2026, 2, 1, 9, 0, 0);

function event(fields: Partial<EnrichedEvent> = {}): EnrichedEvent {
  return { messageId: 'm-1', type: 'track', event: 'Product Viewed', context: {}, integrations: {}, timestamp: T, originalTimestamp: T, receivedAt: T, sourceId: 'web', ...fields };
}

// The product's defaults, as the loader gets them.
const rules: IdentityRules = identityRules({ IDENTITY_EMAIL_KEYS: ['email'], IDENTITY_PHONE_KEYS: ['phone'], IDENTITY_BLOCKED_VALUES: [], IDENTITY_LIMITS: { '*': 10 } });
const ids = (e: EnrichedEvent, r: IdentityRules = rules) => extractIdentifiers(e, r).identifiers.map((i) => `${i.type}=${i.value}`);
const blocked = (e: EnrichedEvent, r: IdentityRules = rules) => extractIdentifiers(e, r).blocked.map((i) => `${i.type}=${i.value}`);

describe('sources of identifiers', () => {
  test('userId and anonymousId, trimmed', () => {
    expect(ids(event({ userId: ' u-1 ', anonymousId: 'a-1' }))).toEqual(['user_id=u-1', 'anonymous_id=a-1']);
    expect(ids(event({ anonymousId: 'a-1' }))).toEqual(['anonymous_id=a-1']);
    expect(ids(event({ userId: null, anonymousId: null }))).toEqual([]);
  });

  test('previousId of an alias, as previous_id (the resolver decides whether it is a user or an anonymous id)', () => {
    expect(ids(event({ type: 'alias', userId: 'u-new', previousId: 'a-old' }))).toEqual(['user_id=u-new', 'previous_id=a-old']);
    // Only alias calls carry a previousId that means anything.
    expect(ids(event({ type: 'track', userId: 'u-1', previousId: 'a-old' }))).toEqual(['user_id=u-1']);
  });

  test('email and phone from identify traits, context.traits (any call) and properties', () => {
    expect(ids(event({ type: 'identify', anonymousId: 'a', traits: { email: 'ann@shop.example', phone: '+44 20 7946 0958' } }))).toEqual([
      'email=ann@shop.example',
      'phone=+442079460958',
      'anonymous_id=a',
    ]);
    expect(ids(event({ anonymousId: 'a', context: { traits: { email: 'bob@shop.example' } } }))).toEqual(['email=bob@shop.example', 'anonymous_id=a']);
    expect(ids(event({ type: 'page', anonymousId: 'a', context: { traits: { phone: '+33 1 23 45 67 89' } } }))).toEqual(['phone=+33123456789', 'anonymous_id=a']);
    expect(ids(event({ anonymousId: 'a', event: 'Order Completed', properties: { email: 'cy@shop.example', phone: '+49 30 1234567' } }))).toEqual([
      'email=cy@shop.example',
      'phone=+49301234567',
      'anonymous_id=a',
    ]);
  });

  test('traits count only on identify: a group call’s traits describe the company, not the person', () => {
    expect(ids(event({ type: 'group', userId: 'u', groupId: 'g', traits: { email: 'billing@company.example' } }))).toEqual(['user_id=u']);
    expect(ids(event({ type: 'track', userId: 'u', traits: { email: 'x@shop.example' } }))).toEqual(['user_id=u']);
  });

  test('only the configured keys count', () => {
    const custom = { ...rules, emailKeys: ['email', 'customer_email'], phoneKeys: ['mobile'] };
    const e = event({ type: 'identify', anonymousId: 'a', traits: { customer_email: 'dee@shop.example', mobile: '+44 7700 900001', phone: '+44 7700 900002', Email: 'x@y.example' } });
    expect(ids(e, custom)).toEqual(['email=dee@shop.example', 'phone=+447700900001', 'anonymous_id=a']);
    // With the defaults, neither customer_email nor mobile is an identifier; phone is.
    expect(ids(e)).toEqual(['phone=+447700900002', 'anonymous_id=a']);
  });

  test('context.externalIds: each {id, type} as ext:<type>, the type trimmed and lower-cased, numeric ids as text', () => {
    const e = event({
      userId: 'u',
      context: {
        externalIds: [
          { id: 'crm-7', type: 'crm_id', collection: 'users', encoding: 'none' },
          { id: 42, type: ' Shopify ' },
          { id: 'no-type' },
          { id: 'blank-type', type: '  ' },
          { id: { nested: true }, type: 'weird' },
          'not-an-object',
          null,
        ],
      },
    });
    expect(ids(e)).toEqual(['user_id=u', 'ext:crm_id=crm-7', 'ext:shopify=42']);
    // Not an array: ignored.
    expect(ids(event({ userId: 'u', context: { externalIds: { id: 'x', type: 'crm_id' } } }))).toEqual(['user_id=u']);
  });
});

describe('normalisation', () => {
  test('emails: trimmed and lower-cased; anything that is not an address is not an identifier', () => {
    expect(normalizeEmail('  Ann.Smith@Shop.EXAMPLE ')).toBe('ann.smith@shop.example');
    for (const bad of ['ann', '@shop.example', 'ann@', 'ann smith@shop.example', '', 42, null, undefined, { email: 'a@b.c' }]) expect(normalizeEmail(bad)).toBeUndefined();
  });

  test('phones: digits, a leading + when international ("00" read as +), 7 to 15 digits', () => {
    expect(normalizePhone('+44 7700 900123')).toBe('+447700900123');
    expect(normalizePhone('0044 7700-900-123')).toBe('+447700900123');
    expect(normalizePhone('+1 (555) 123.4567')).toBe('+15551234567');
    expect(normalizePhone('(555) 123-4567')).toBe('5551234567');
    expect(normalizePhone(4915123456789)).toBe('4915123456789');
    expect(normalizePhone('123456')).toBeUndefined();
    expect(normalizePhone('1234567')).toBe('1234567');
    expect(normalizePhone('+1234567890123456')).toBeUndefined();
    expect(normalizePhone('call me')).toBeUndefined();
    expect(normalizePhone(null)).toBeUndefined();
  });

  test('an event’s emails and phones are normalised before they are compared or sent on', () => {
    const e = event({ type: 'identify', userId: 'u', traits: { email: ' ANN@Shop.Example', phone: '0044 20 7946 0958' } });
    expect(ids(e)).toEqual(['user_id=u', 'email=ann@shop.example', 'phone=+442079460958']);
  });
});

describe('blocked values', () => {
  test('the documented junk list is blocked by default', () => {
    for (const v of ['', 'null', 'undefined', 'none', 'nil', 'nan', '0', '-1', 'anonymous', 'guest', 'unknown', '[object object]', 'true', 'false']) {
      expect(DEFAULT_BLOCKED_VALUES).toContain(v);
    }
  });

  test('junk user ids, compared trimmed and case-insensitively, never become identifiers; the event keeps its others', () => {
    for (const junk of ['null', 'NULL', ' undefined ', 'None', 'nil', 'NaN', '0', '-1', 'anonymous', 'Guest', 'unknown', '[object Object]', 'true', 'FALSE', '']) {
      const out = extractIdentifiers(event({ userId: junk, anonymousId: 'a-1' }), rules);
      expect(out.identifiers).toEqual([{ type: 'anonymous_id', value: 'a-1' }]);
      expect(out.blocked).toEqual([{ type: 'user_id', value: junk.trim() }]);
    }
  });

  test('an event with nothing but junk has no identifier at all', () => {
    expect(ids(event({ userId: 'null' }))).toEqual([]);
    expect(ids(event({ userId: 'guest', anonymousId: 'undefined', properties: { email: 'null', phone: 'n/a' } }))).toEqual([]);
  });

  test('values of only zeros, dashes, dots and spaces are blocked, whatever the identifier type', () => {
    for (const v of ['000', '00000000', '0.0', '--', '- 0 -', '000-000']) {
      expect(isBlocked(v, rules)).toBe(true);
      expect(ids(event({ userId: v, anonymousId: 'a-1' }))).toEqual(['anonymous_id=a-1']);
      expect(ids(event({ anonymousId: v, userId: 'u-1' }))).toEqual(['user_id=u-1']);
    }
    expect(isBlocked('0-1', rules)).toBe(false);
    expect(isBlocked('100', rules)).toBe(false);
  });

  test('phone numbers of only zeros and dashes are blocked (the classic "000-000-0000" of a form)', () => {
    // "000-000-0000" starts with "00", which reads as an international prefix; it must still be junk, not "+00000000".
    for (const junk of ['000-000-0000', '0000000000', '00 000 000 000', '+0 000 000 0000']) {
      const out = extractIdentifiers(event({ anonymousId: 'a-1', event: 'Order Completed', properties: { phone: junk } }), rules);
      expect(out.identifiers, junk).toEqual([{ type: 'anonymous_id', value: 'a-1' }]);
      expect(out.blocked.map((b) => b.type), junk).toEqual(['phone']);
    }
  });

  test('an invalid email or phone is reported as blocked with its raw value', () => {
    const out = extractIdentifiers(event({ type: 'identify', anonymousId: 'a', traits: { email: 'null', phone: '12' } }), rules);
    expect(out.identifiers).toEqual([{ type: 'anonymous_id', value: 'a' }]);
    expect(out.blocked).toEqual([
      { type: 'email', value: 'null' },
      { type: 'phone', value: '12' },
    ]);
  });

  test('configured blocked values are added to the defaults, trimmed and lower-cased', () => {
    const custom = identityRules({ IDENTITY_EMAIL_KEYS: ['email'], IDENTITY_PHONE_KEYS: ['phone'], IDENTITY_BLOCKED_VALUES: [' Test@Shop.Example ', 'DEMO-USER'], IDENTITY_LIMITS: { '*': 10 } });
    expect(ids(event({ userId: 'demo-user', anonymousId: 'a', properties: { email: 'TEST@shop.example' } }), custom)).toEqual(['anonymous_id=a']);
    expect(blocked(event({ userId: 'demo-user', anonymousId: 'a', properties: { email: 'TEST@shop.example' } }), custom)).toEqual(['user_id=demo-user', 'email=test@shop.example']);
    // Defaults still apply.
    expect(ids(event({ userId: 'null', anonymousId: 'a' }), custom)).toEqual(['anonymous_id=a']);
    // And nothing is blocked that was not asked for.
    expect(ids(event({ userId: 'demo-user', anonymousId: 'a' }))).toEqual(['user_id=demo-user', 'anonymous_id=a']);
  });
});

describe('priority and duplicates', () => {
  test('user_id > email > phone > external ids > anonymous_id', () => {
    expect(priority('user_id')).toBeGreaterThan(priority('email'));
    expect(priority('email')).toBeGreaterThan(priority('phone'));
    expect(priority('phone')).toBeGreaterThan(priority('ext:crm_id'));
    expect(priority('ext:crm_id')).toBeGreaterThan(priority('anonymous_id'));
    expect(priority('previous_id')).toBe(priority('anonymous_id'));
  });

  test('identifiers come out highest priority first, whatever order the event lists them in', () => {
    const e = event({
      type: 'identify',
      anonymousId: 'a-1',
      userId: 'u-1',
      context: { externalIds: [{ id: 'crm-1', type: 'crm_id' }], traits: { phone: '+44 7700 900123' } },
      traits: { email: 'ann@shop.example' },
    });
    expect(ids(e)).toEqual(['user_id=u-1', 'email=ann@shop.example', 'phone=+447700900123', 'ext:crm_id=crm-1', 'anonymous_id=a-1']);
    const alias = event({ type: 'alias', previousId: 'a-0', userId: 'u-1', anonymousId: 'a-1' });
    expect(ids(alias)[0]).toBe('user_id=u-1');
    expect(ids(alias).slice(1).sort()).toEqual(['anonymous_id=a-1', 'previous_id=a-0']);
  });

  test('the same identifier is listed once, even from several places and spellings', () => {
    const e = event({
      type: 'identify',
      userId: 'u-1',
      anonymousId: 'a-1',
      traits: { email: 'Ann@Shop.example', phone: '+44 7700 900123' },
      context: { traits: { email: ' ann@shop.example ', phone: '0044 7700 900 123' }, externalIds: [{ id: 'x', type: 'crm_id' }, { id: 'x', type: 'CRM_ID' }] },
      properties: { email: 'ANN@SHOP.EXAMPLE' },
    });
    expect(ids(e)).toEqual(['user_id=u-1', 'email=ann@shop.example', 'phone=+447700900123', 'ext:crm_id=x', 'anonymous_id=a-1']);
    // The same junk value twice is reported once.
    expect(blocked(event({ type: 'identify', anonymousId: 'a', traits: { email: 'null' }, context: { traits: { email: 'null' } } }))).toEqual(['email=null']);
  });

  test('one value under two types is two identifiers', () => {
    expect(ids(event({ userId: 'same-42', anonymousId: 'same-42' }))).toEqual(['user_id=same-42', 'anonymous_id=same-42']);
  });
});
