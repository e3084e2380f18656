import { describe, expect, test } from 'vitest';
import { acceptBatch, acceptCall, type Limits, type RequestInfo } from '../../ingest/accept.js';
import { BatchTooLargeError } from '../../ingest/errors/batch-too-large-error.js';
import { identityRules } from '../../identity/identity-rules.js';
import { loadConfig } from '../../pipeline/core/config.js';

const RECEIVED = Date.UTC(2024, 2, 1, 12, 0, 0);
const KB = 1024;

const limits: Limits = { maxEventBytes: 32 * KB, maxBatchEvents: 100, maxCorrectionMs: 3600_000, identityRules: identityRules(loadConfig({})), anonymizeIp: false };

function info(overrides: Partial<RequestInfo> = {}): RequestInfo {
  return { route: '/v1/batch', requestId: 'req-1', sourceId: 'web', ip: '203.0.113.9', receivedAt: RECEIVED, ...overrides };
}

/** A track call whose JSON text is exactly `bytes` bytes long. */
function trackOfSize(bytes: number): Record<string, unknown> {
  const item = { type: 'track', userId: 'u1', event: 'Big', properties: { pad: '' } };
  const base = Buffer.byteLength(JSON.stringify(item));
  item.properties.pad = 'x'.repeat(bytes - base);
  expect(Buffer.byteLength(JSON.stringify(item))).toBe(bytes);
  return item;
}

describe('acceptCall', () => {
  test('a valid call becomes one enriched event', () => {
    const out = acceptCall('track', { userId: 'u1', event: 'Order Completed', messageId: 'm1' }, info({ route: '/v1/track' }), limits);
    expect(out.errors).toEqual([]);
    expect(out.rejected).toEqual([]);
    expect(out.events).toHaveLength(1);
    expect(out.events[0]).toMatchObject({
      type: 'track',
      event: 'Order Completed',
      userId: 'u1',
      messageId: 'm1',
      sourceId: 'web',
      receivedAt: RECEIVED,
      timestamp: RECEIVED,
      context: { ip: '203.0.113.9' },
    });
  });

  test('an invalid call is reported at index 0 and kept as a rejection', () => {
    const body = { event: 'No Id' };
    const out = acceptCall('track', body, info({ route: '/v1/track', requestId: 'req-9' }), limits);
    expect(out.events).toEqual([]);
    expect(out.errors).toEqual([{ index: 0, reason: 'invalid_event', errors: [expect.objectContaining({ path: 'userId' })] }]);
    expect(out.rejected).toHaveLength(1);
    expect(out.rejected[0]).toMatchObject({
      index: 0,
      reason: 'invalid_event',
      route: '/v1/track',
      requestId: 'req-9',
      sourceId: 'web',
      ip: '203.0.113.9',
      receivedAt: RECEIVED,
      payload: JSON.stringify(body),
      errors: out.errors[0]!.errors,
    });
    expect(out.rejected[0]!.rejectionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('a single call is held to the per-event limit as parsed, like a batch item', () => {
    const body = trackOfSize(40 * KB);
    const out = acceptCall('track', body, info({ route: '/v1/track' }), limits);
    expect(out.events).toEqual([]);
    expect(out.errors).toEqual([{ index: 0, reason: 'event_too_large', errors: [expect.objectContaining({ code: 'too_big', message: `an event may be at most ${32 * KB} bytes; this one is ${40 * KB}` })] }]);
  });
});

describe('acceptBatch: partial acceptance', () => {
  const body = {
    batch: [
      { type: 'track', userId: 'u1', event: 'First' },
      { type: 'track', event: 'No Id' },
      42,
      { type: 'bogus', userId: 'u1' },
      { userId: 'u1', event: 'No Type' },
      { type: 'identify', anonymousId: 'a1', traits: { plan: 'pro' } },
    ],
  };

  test('good items become events, in order', () => {
    const out = acceptBatch(body, info(), limits);
    expect(out.events.map((e) => e.type)).toEqual(['track', 'identify']);
    expect(out.events[0]).toMatchObject({ event: 'First', userId: 'u1' });
    expect(out.events[1]).toMatchObject({ anonymousId: 'a1', traits: { plan: 'pro' } });
  });

  test('bad items are reported with their index, reason and issue path', () => {
    const out = acceptBatch(body, info(), limits);
    expect(out.errors.map((e) => [e.index, e.reason, e.errors.map((i) => i.path)])).toEqual([
      [1, 'invalid_event', ['userId']],
      [2, 'invalid_event', ['']],
      [3, 'invalid_event', ['type']],
      [4, 'invalid_event', ['type']],
    ]);
  });

  test('each bad item is kept as a rejection with its own payload', () => {
    const out = acceptBatch(body, info(), limits);
    expect(out.rejected.map((r) => [r.index, r.reason, r.payload])).toEqual([
      [1, 'invalid_event', JSON.stringify(body.batch[1])],
      [2, 'invalid_event', '42'],
      [3, 'invalid_event', JSON.stringify(body.batch[3])],
      [4, 'invalid_event', JSON.stringify(body.batch[4])],
    ]);
    expect(new Set(out.rejected.map((r) => r.rejectionId)).size).toBe(4);
    for (const r of out.rejected) expect(r).toMatchObject({ route: '/v1/batch', requestId: 'req-1', sourceId: 'web', ip: '203.0.113.9' });
  });

  test('batch-level context and integrations reach every item, under the item’s own', () => {
    const out = acceptBatch(
      {
        batch: [
          { type: 'track', userId: 'u1', event: 'A' },
          { type: 'track', userId: 'u1', event: 'B', context: { locale: 'fr-FR' }, integrations: { All: false } },
        ],
        context: { locale: 'en-US', library: { name: 'analytics-node' } },
        integrations: { All: true },
      },
      info(),
      limits,
    );
    expect(out.events[0]!.context).toEqual({ locale: 'en-US', library: { name: 'analytics-node' }, ip: '203.0.113.9' });
    expect(out.events[0]!.integrations).toEqual({ All: true });
    expect(out.events[1]!.context).toEqual({ locale: 'fr-FR', library: { name: 'analytics-node' }, ip: '203.0.113.9' });
    expect(out.events[1]!.integrations).toEqual({ All: false });
  });
});

describe('acceptBatch: event size', () => {
  // The limit applies to each event as parsed (its compact JSON), however the client spelled it.
  const acceptSized = (body: { batch: unknown[] }) => acceptBatch(body, info(), limits);

  test('an item over the per-event limit is refused as event_too_large, the others go through', () => {
    const tooBig = trackOfSize(32 * KB + 1);
    const out = acceptSized({ batch: [{ type: 'track', userId: 'u1', event: 'Small' }, tooBig] });
    expect(out.events.map((e) => e.event)).toEqual(['Small']);
    expect(out.errors).toEqual([
      { index: 1, reason: 'event_too_large', errors: [{ path: '', code: 'too_big', message: `an event may be at most ${32 * KB} bytes; this one is ${32 * KB + 1}` }] },
    ]);
    expect(out.rejected).toHaveLength(1);
    expect(out.rejected[0]).toMatchObject({ index: 1, reason: 'event_too_large', payload: JSON.stringify(tooBig) });
  });

  test('an item of exactly the limit is accepted', () => {
    const out = acceptSized({ batch: [trackOfSize(32 * KB)] });
    expect(out.errors).toEqual([]);
    expect(out.events).toHaveLength(1);
  });

  test('multi-byte characters count as their UTF-8 bytes', () => {
    // 16 400 × 'é' (2 bytes each) is 32 800 bytes of text in 16 400 characters.
    const out = acceptSized({ batch: [{ type: 'track', userId: 'u1', event: 'Accents', properties: { text: 'é'.repeat(16_400) } }] });
    expect(out.errors.map((e) => e.reason)).toEqual(['event_too_large']);
  });

  test('the size check comes before validation', () => {
    const item = { ...trackOfSize(40 * KB), userId: undefined };
    const out = acceptSized({ batch: [item] });
    expect(out.errors.map((e) => e.reason)).toEqual(['event_too_large']);
  });

  test('the payload of a huge rejected item is cut to 64 KB (a prefix of its JSON)', () => {
    const item = trackOfSize(200 * KB);
    const out = acceptSized({ batch: [item] });
    const payload = out.rejected[0]!.payload;
    expect(payload).toHaveLength(64 * KB);
    expect(JSON.stringify(item).startsWith(payload)).toBe(true);
  });

  test('the 64 KB payload cut counts bytes, not characters', () => {
    // 'é' is 2 bytes in UTF-8: 100 000 of them make a 200 KB item.
    const item = { type: 'track', userId: 'u1', event: 'Accents', properties: { text: 'é'.repeat(100_000) } };
    const out = acceptSized({ batch: [item] });
    expect(out.errors.map((e) => e.reason)).toEqual(['event_too_large']);
    const payload = out.rejected[0]!.payload;
    expect(JSON.stringify(item).startsWith(payload)).toBe(true);
    expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(64 * KB);
  });
});

describe('acceptBatch: the batch itself', () => {
  test('more items than maxBatchEvents throws BatchTooLargeError', () => {
    const item = { type: 'track', userId: 'u1', event: 'E' };
    const small = { ...limits, maxBatchEvents: 3 };
    expect(acceptBatch({ batch: [item, item, item] }, info(), small).events).toHaveLength(3);
    let thrown: unknown;
    try {
      acceptBatch({ batch: [item, item, item, item] }, info(), small);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(BatchTooLargeError);
    expect(thrown).toMatchObject({ count: 4, limit: 3, code: 'CDP_BATCH_TOO_LARGE' });
  });

  test('the batch size is checked before any item is validated', () => {
    expect(() => acceptBatch({ batch: [1, 2, 3, 4] }, info(), { ...limits, maxBatchEvents: 3 })).toThrow(BatchTooLargeError);
  });

  test('an empty batch is an invalid_batch error at index -1', () => {
    const out = acceptBatch({ batch: [] }, info(), limits);
    expect(out.events).toEqual([]);
    expect(out.errors).toEqual([{ index: -1, reason: 'invalid_batch', errors: [expect.objectContaining({ path: 'batch', code: 'too_small' })] }]);
  });

  test.each([
    ['a string', 'hello'],
    ['null', null],
    ['an array', [{ type: 'track', userId: 'u1', event: 'E' }]],
    ['an object without batch', { events: [] }],
    ['batch as an object', { batch: { 0: {} } }],
  ])('a body that is %s is an invalid_batch at index -1, kept with its payload', (_name, body) => {
    const out = acceptBatch(body, info(), limits);
    expect(out.events).toEqual([]);
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]).toMatchObject({ index: -1, reason: 'invalid_batch' });
    expect(out.errors[0]!.errors.length).toBeGreaterThan(0);
    expect(out.rejected).toHaveLength(1);
    expect(out.rejected[0]).toMatchObject({ index: -1, reason: 'invalid_batch', payload: JSON.stringify(body) });
  });

  test('a missing batch is reported on path batch', () => {
    const out = acceptBatch({ events: [] }, info(), limits);
    expect(out.errors[0]!.errors.map((i) => i.path)).toEqual(['batch']);
  });

  test('a batch context that is not an object makes the whole batch invalid', () => {
    const out = acceptBatch({ batch: [{ type: 'track', userId: 'u1', event: 'E' }], context: 'web' }, info(), limits);
    expect(out.events).toEqual([]);
    expect(out.errors).toEqual([{ index: -1, reason: 'invalid_batch', errors: [expect.objectContaining({ path: 'context' })] }]);
  });
});
