import { describe, expect, test } from 'vitest';
import { acceptBatch, acceptCall, type Limits, type RequestInfo } from '../../ingest/accept.js';
import { guardEvent, MAX_NESTING_DEPTH } from '../../ingest/event-guard.js';
import { identityRules } from '../../identity/identity-rules.js';
import { loadConfig } from '../../pipeline/core/config.js';

const limits: Limits = { maxEventBytes: 32 * 1024, maxBatchEvents: 2500, maxCorrectionMs: 24 * 3600_000, identityRules: identityRules(loadConfig({})), anonymizeIp: false };
const RECEIVED = Date.UTC(2026, 5, 1, 12);
const info: RequestInfo = { route: 'batch', requestId: 'r1', sourceId: 'web', ip: '203.0.113.9', receivedAt: RECEIVED };

const LONE = '\ud800';

/** An object nested `levels` deep, the outermost being level 1. */
function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < levels; i++) v = { n: v };
  return v;
}

const one = (item: Record<string, unknown>) => acceptBatch({ batch: [item] }, info, limits);

describe('lone surrogates', () => {
  test.each([
    ['userId', { type: 'track', event: 'E', userId: `u${LONE}1` }],
    ['anonymousId', { type: 'track', event: 'E', anonymousId: `a${LONE}` }],
    ['traits.email', { type: 'identify', userId: 'u1', traits: { email: `ann${LONE}@example.com` } }],
    ['context.traits.phone', { type: 'track', event: 'E', userId: 'u1', context: { traits: { phone: `+44${LONE}7700900777` } } }],
    ['properties.email', { type: 'track', event: 'E', userId: 'u1', properties: { email: `\udc00x@example.com` } }],
    ['previousId', { type: 'alias', userId: 'u1', previousId: `p${LONE}` }],
    ['groupId', { type: 'group', userId: 'u1', groupId: `g${LONE}` }],
    ['messageId', { type: 'track', event: 'E', userId: 'u1', messageId: `m${LONE}` }],
    ['context.externalIds.0.id', { type: 'track', event: 'E', userId: 'u1', context: { externalIds: [{ id: `x${LONE}`, type: 'crm' }] } }],
  ])('in an identifier (%s) refuse the event with its path', (path, item) => {
    const out = one(item);
    expect(out.events).toEqual([]);
    expect(out.errors).toEqual([{ index: 0, reason: 'invalid_event', errors: [expect.objectContaining({ path, code: 'invalid_string' })] }]);
  });

  test('in free text (event, name, keys and values at any depth) are replaced with U+FFFD and the event accepted', () => {
    const out = acceptBatch(
      {
        batch: [
          { type: 'track', userId: 'u1', event: `Order${LONE}`, properties: { [`k${LONE}`]: `v\udfff`, list: [`a${LONE}b`, { deep: LONE }] } },
          { type: 'page', userId: 'u1', name: `Home${LONE}` },
        ],
      },
      info,
      limits,
    );
    expect(out.errors).toEqual([]);
    expect(out.repaired).toBe(6);
    const [track, page] = out.events;
    expect(track!.event).toBe('Order\ufffd');
    expect(track!.properties).toEqual({ 'k\ufffd': 'v\ufffd', list: ['a\ufffdb', { deep: '\ufffd' }] });
    expect(page!.name).toBe('Home\ufffd');
    expect(JSON.stringify(out.events).isWellFormed()).toBe(true);
  });

  test('a well-formed surrogate pair (an emoji) is left alone', () => {
    const out = one({ type: 'track', userId: 'u🙂', event: 'Liked 🙂' });
    expect(out.repaired).toBe(0);
    expect(out.events[0]).toMatchObject({ userId: 'u🙂', event: 'Liked 🙂' });
  });

  test('in a batch-level context: repaired once for every item', () => {
    const out = acceptBatch({ context: { page: { title: `T${LONE}` } }, batch: [{ type: 'track', userId: 'u1', event: 'E' }] }, info, limits);
    expect(out.errors).toEqual([]);
    expect((out.events[0]!.context.page as { title: string }).title).toBe('T\ufffd');
  });
});

describe('nesting depth', () => {
  test(`${MAX_NESTING_DEPTH} levels are accepted; one more is refused with the path of the first level too deep`, () => {
    // The event is level 1 and properties level 2, so properties may hold MAX - 1 levels.
    expect(one({ type: 'track', userId: 'u1', event: 'E', properties: nested(MAX_NESTING_DEPTH - 1) }).errors).toEqual([]);
    const out = one({ type: 'track', userId: 'u1', event: 'E', properties: nested(MAX_NESTING_DEPTH) });
    expect(out.events).toEqual([]);
    expect(out.errors[0]).toMatchObject({ index: 0, reason: 'invalid_event', errors: [{ code: 'too_deep', path: `properties${'.n'.repeat(MAX_NESTING_DEPTH - 1)}` }] });
  });

  test('arrays count as levels too', () => {
    let v: unknown = 1;
    for (let i = 0; i < MAX_NESTING_DEPTH; i++) v = [v];
    expect(one({ type: 'track', userId: 'u1', event: 'E', properties: { v } }).errors[0]).toMatchObject({ errors: [{ code: 'too_deep' }] });
  });

  test('5,000 levels are refused without exhausting the stack, and the rejection keeps a payload', () => {
    const out = one({ type: 'track', userId: 'u1', event: 'E', properties: nested(5000) });
    expect(out.errors[0]).toMatchObject({ reason: 'invalid_event', errors: [{ code: 'too_deep' }] });
    expect(out.rejected[0]!.payload.length).toBeGreaterThan(0);
  });

  test('a batch-level context nested too deep refuses the batch (it would go into every item)', () => {
    const out = acceptBatch({ context: nested(MAX_NESTING_DEPTH), batch: [{ type: 'track', userId: 'u1', event: 'E' }] }, info, limits);
    expect(out.events).toEqual([]);
    expect(out.errors[0]).toMatchObject({ index: -1, reason: 'invalid_batch', errors: [{ code: 'too_deep' }] });
  });
});

describe('numeric ids beyond 2^53', () => {
  test.each([
    ['userId', { type: 'track', event: 'E', userId: 12345678901234567890 }],
    ['anonymousId', { type: 'track', event: 'E', anonymousId: 2 ** 53 }],
    ['groupId', { type: 'group', userId: 'u1', groupId: 1e21 }],
    ['properties.order_id', { type: 'track', event: 'Order Completed', userId: 'u1', properties: { order_id: 98765432109876543210 } }],
    ['context.externalIds.0.id', { type: 'track', event: 'E', userId: 'u1', context: { externalIds: [{ id: 9007199254740993, type: 'crm' }] } }],
  ])('in %s refuse the event and say to send the id as a string', (path, item) => {
    const out = one(item);
    expect(out.events).toEqual([]);
    expect(out.errors[0]!.errors).toEqual([expect.objectContaining({ path, code: 'unsafe_integer', message: expect.stringContaining('send the id as a string') })]);
  });

  test('safe integers and the same ids as strings are accepted', () => {
    const out = acceptBatch(
      { batch: [{ type: 'track', event: 'E', userId: 9007199254740991 }, { type: 'track', event: 'E', userId: '12345678901234567890', properties: { order_id: '98765432109876543210' } }] },
      info,
      limits,
    );
    expect(out.errors).toEqual([]);
    expect(out.events.map((e) => e.userId)).toEqual(['9007199254740991', '12345678901234567890']);
  });
});

describe('prototype-pollution keys', () => {
  test('refuse only the item that holds them, with its index; the others are accepted', () => {
    const poisoned = JSON.parse('{"type":"track","userId":"u2","event":"E","properties":{"a":{"__proto__":{"admin":true}}}}');
    const ctor = JSON.parse('{"type":"track","userId":"u3","event":"E","traits":{"constructor":{"prototype":{"admin":true}}}}');
    const out = acceptBatch({ batch: [{ type: 'track', userId: 'u1', event: 'Good' }, poisoned, ctor, { type: 'track', userId: 'u4', event: 'Also Good' }] }, info, limits);
    expect(out.events.map((e) => e.event)).toEqual(['Good', 'Also Good']);
    expect(out.errors).toEqual([
      { index: 1, reason: 'invalid_event', errors: [expect.objectContaining({ path: 'properties.a.__proto__', code: 'forbidden_key' })] },
      { index: 2, reason: 'invalid_event', errors: [expect.objectContaining({ path: 'traits.constructor', code: 'forbidden_key' })] },
    ]);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  test('a plain "constructor" property (a string) is ordinary data', () => {
    expect(one({ type: 'track', userId: 'u1', event: 'E', properties: { constructor: 'Acme Builders' } }).errors).toEqual([]);
  });
});

describe('event time range', () => {
  test('a clock-skew correction that moves the time before 1970 refuses the event', () => {
    const out = acceptCall('track', { userId: 'u1', event: 'E', originalTimestamp: '1970-01-01T01:00:00Z', sentAt: '1970-01-01T12:00:00Z' }, { ...info, receivedAt: Date.UTC(1970, 0, 1, 0, 0) }, limits);
    expect(out.errors[0]).toMatchObject({ reason: 'invalid_event', errors: [{ path: 'timestamp', code: 'out_of_range' }] });
  });
});

describe('guardEvent size', () => {
  test('measures the event as parsed: an item under the limit passes however long its spelling was', () => {
    const item = { type: 'track', userId: 'u1', event: 'E', properties: { pad: 'x'.repeat(30_000) } };
    expect(guardEvent(item, limits)).toEqual({ ok: true, repaired: 0 });
    const over = { ...item, properties: { pad: 'x'.repeat(33_000) } };
    expect(guardEvent(over, limits)).toMatchObject({ ok: false, reason: 'event_too_large' });
  });
});
