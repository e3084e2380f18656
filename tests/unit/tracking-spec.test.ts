import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { batchSchema, callSchemas, validateCall, type Issue, type TrackingMessage } from '../../ingest/tracking-spec.js';

function ok(type: string | undefined, body: unknown): TrackingMessage {
  const result = validateCall(type, body);
  if (!result.ok) throw new Error(`expected ${type} to be valid, got ${JSON.stringify(result.issues)}`);
  return result.message;
}

function issues(type: string | undefined, body: unknown): Issue[] {
  const result = validateCall(type, body);
  if (result.ok) throw new Error(`expected ${type} to be invalid, got ${JSON.stringify(result.message)}`);
  expect(result.issues.length).toBeGreaterThan(0);
  return result.issues;
}

const paths = (list: Issue[]) => list.map((i) => i.path);

describe('happy paths', () => {
  test('track keeps event, ids, properties, context and integrations', () => {
    const m = ok('track', {
      userId: 'u1',
      anonymousId: 'a1',
      event: 'Order Completed',
      messageId: 'm-1',
      properties: { order_id: 'o1', revenue: 12.5, products: [{ sku: 'x' }] },
      context: { ip: '1.2.3.4', page: { url: 'https://shop.test/' } },
      integrations: { All: true },
    });
    expect(m).toEqual({
      type: 'track',
      userId: 'u1',
      anonymousId: 'a1',
      event: 'Order Completed',
      messageId: 'm-1',
      properties: { order_id: 'o1', revenue: 12.5, products: [{ sku: 'x' }] },
      context: { ip: '1.2.3.4', page: { url: 'https://shop.test/' } },
      integrations: { All: true },
    });
  });

  test('identify keeps traits', () => {
    const m = ok('identify', { userId: 'u1', traits: { email: 'a@b.test', plan: 'pro' } });
    expect(m).toEqual({ type: 'identify', userId: 'u1', traits: { email: 'a@b.test', plan: 'pro' } });
  });

  test('page and screen keep name, category and properties', () => {
    for (const type of ['page', 'screen'] as const) {
      const m = ok(type, { anonymousId: 'a1', name: 'Home', category: 'Landing', properties: { title: 'Welcome' } });
      expect(m).toEqual({ type, anonymousId: 'a1', name: 'Home', category: 'Landing', properties: { title: 'Welcome' } });
    }
  });

  test('page accepts a null name and category', () => {
    expect(ok('page', { userId: 'u1', name: null, category: null })).toMatchObject({ name: null, category: null });
  });

  test('group keeps groupId and traits', () => {
    const m = ok('group', { userId: 'u1', groupId: 'g1', traits: { name: 'Acme' } });
    expect(m).toEqual({ type: 'group', userId: 'u1', groupId: 'g1', traits: { name: 'Acme' } });
  });

  test('alias keeps previousId and userId', () => {
    const m = ok('alias', { previousId: 'anon-1', userId: 'u1' });
    expect(m).toEqual({ type: 'alias', previousId: 'anon-1', userId: 'u1' });
  });

  test('the type comes from the argument, not from the body', () => {
    expect(ok('track', { type: 'identify', userId: 'u1', event: 'E' }).type).toBe('track');
  });

  test('times become epoch milliseconds', () => {
    const m = ok('track', {
      userId: 'u1',
      event: 'E',
      timestamp: '2024-03-01T10:00:00.000Z',
      originalTimestamp: '2024-03-01T09:59:58.500Z',
      sentAt: '2024-03-01T10:00:01+01:00',
    });
    expect(m.timestamp).toBe(Date.UTC(2024, 2, 1, 10, 0, 0, 0));
    expect(m.originalTimestamp).toBe(Date.UTC(2024, 2, 1, 9, 59, 58, 500));
    expect(m.sentAt).toBe(Date.UTC(2024, 2, 1, 9, 0, 1));
  });
});

describe('identity', () => {
  test.each(['track', 'identify', 'page', 'screen', 'group'])('%s without userId and anonymousId is refused on path userId', (type) => {
    const body: Record<string, unknown> = { event: 'E', groupId: 'g1' };
    const list = issues(type, body);
    expect(list).toContainEqual(expect.objectContaining({ path: 'userId', message: 'userId or anonymousId is required' }));
  });

  test('anonymousId alone is enough', () => {
    expect(ok('track', { anonymousId: 'a1', event: 'E' }).anonymousId).toBe('a1');
  });

  test('userId alone is enough, and a null anonymousId is allowed', () => {
    expect(ok('identify', { userId: 'u1', anonymousId: null }).userId).toBe('u1');
  });

  test('empty-string (and blank) ids count as missing', () => {
    expect(paths(issues('track', { userId: '', anonymousId: '', event: 'E' }))).toEqual(['userId']);
    expect(paths(issues('track', { userId: '   ', anonymousId: null, event: 'E' }))).toEqual(['userId']);
    // an empty userId next to a real anonymousId is fine
    expect(ok('track', { userId: '', anonymousId: 'a1', event: 'E' }).anonymousId).toBe('a1');
  });

  test('numeric ids are coerced to their decimal text', () => {
    const m = ok('track', { userId: 42, anonymousId: 7.5, event: 'E' });
    expect(m.userId).toBe('42');
    expect(m.anonymousId).toBe('7.5');
    expect(ok('group', { userId: 1, groupId: 99 }).groupId).toBe('99');
    const alias = ok('alias', { previousId: 123, userId: 456 });
    expect(alias.previousId).toBe('123');
    expect(alias.userId).toBe('456');
  });

  test('ids of other types are refused', () => {
    expect(paths(issues('track', { userId: true, event: 'E' }))).toContain('userId');
    expect(paths(issues('track', { anonymousId: { id: 1 }, event: 'E' }))).toContain('anonymousId');
  });

  test('ids longer than 1024 characters are refused', () => {
    expect(paths(issues('identify', { userId: 'x'.repeat(1025) }))).toContain('userId');
    expect(ok('identify', { userId: 'x'.repeat(1024) }).userId).toHaveLength(1024);
  });
});

describe('required fields per call type', () => {
  test('track needs an event', () => {
    expect(paths(issues('track', { userId: 'u1' }))).toEqual(['event']);
    const empty = issues('track', { userId: 'u1', event: '' });
    expect(empty).toEqual([expect.objectContaining({ path: 'event', message: 'event is required for track' })]);
    expect(paths(issues('track', { userId: 'u1', event: '   ' }))).toEqual(['event']);
  });

  test('group needs a groupId', () => {
    expect(paths(issues('group', { userId: 'u1' }))).toEqual(['groupId']);
    const empty = issues('group', { userId: 'u1', groupId: '' });
    expect(empty).toEqual([expect.objectContaining({ path: 'groupId', message: 'groupId is required for group' })]);
  });

  test('alias needs previousId and userId', () => {
    expect(paths(issues('alias', { userId: 'u1' }))).toEqual(['previousId']);
    expect(paths(issues('alias', { previousId: 'p1' }))).toEqual(['userId']);
    // anonymousId does not stand in for userId in an alias
    expect(paths(issues('alias', { previousId: 'p1', anonymousId: 'a1' }))).toEqual(['userId']);
    expect(issues('alias', { previousId: '', userId: 'u1' })).toEqual([
      expect.objectContaining({ path: 'previousId', message: 'previousId is required for alias' }),
    ]);
    expect(issues('alias', { previousId: 'p1', userId: '' })).toEqual([
      expect.objectContaining({ path: 'userId', message: 'userId is required for alias' }),
    ]);
  });

  test('identify, page and screen need nothing beyond an id', () => {
    expect(ok('identify', { userId: 'u1' }).type).toBe('identify');
    expect(ok('page', { userId: 'u1' }).type).toBe('page');
    expect(ok('screen', { userId: 'u1' }).type).toBe('screen');
  });
});

describe('wrong types', () => {
  test('event as a number', () => {
    expect(issues('track', { userId: 'u1', event: 42 })).toEqual([expect.objectContaining({ path: 'event', code: 'invalid_type' })]);
  });

  test('properties, traits, context and integrations as arrays', () => {
    expect(paths(issues('track', { userId: 'u1', event: 'E', properties: [1, 2] }))).toEqual(['properties']);
    expect(paths(issues('identify', { userId: 'u1', traits: ['a'] }))).toEqual(['traits']);
    expect(paths(issues('identify', { userId: 'u1', context: [] }))).toEqual(['context']);
    expect(paths(issues('identify', { userId: 'u1', integrations: 'all' }))).toEqual(['integrations']);
  });

  test('timestamp that is not an ISO 8601 date-time', () => {
    for (const timestamp of ['yesterday', '03/01/2024', '2024-03-01', 1709287200000, '2024-13-01T00:00:00Z']) {
      const list = issues('track', { userId: 'u1', event: 'E', timestamp });
      expect(paths(list), String(timestamp)).toEqual(['timestamp']);
    }
  });

  test('sentAt and originalTimestamp are checked too', () => {
    expect(paths(issues('track', { userId: 'u1', event: 'E', sentAt: 'soon' }))).toEqual(['sentAt']);
    expect(paths(issues('track', { userId: 'u1', event: 'E', originalTimestamp: 'then' }))).toEqual(['originalTimestamp']);
  });

  test('messageId must be a non-empty string', () => {
    expect(paths(issues('track', { userId: 'u1', event: 'E', messageId: '' }))).toEqual(['messageId']);
    expect(paths(issues('track', { userId: 'u1', event: 'E', messageId: 5 }))).toEqual(['messageId']);
  });

  test('several problems are all reported, each with its path', () => {
    const list = issues('track', { userId: 'u1', event: 1, properties: 'x', timestamp: 'no' });
    expect(paths(list).sort()).toEqual(['event', 'properties', 'timestamp']);
  });
});

describe('time range', () => {
  // A zone far from UTC, so that reading a time as local instead of UTC shows.
  const savedTz = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = 'Asia/Kolkata';
  });
  afterAll(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  const at = (timestamp: string) => validateCall('track', { userId: 'u1', event: 'E', timestamp });

  test('times before 1970 and from 2100 on are refused with a range message', () => {
    for (const t of ['1969-12-31T23:59:59.999Z', '1900-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '2100-01-01T00:00:00Z', '2299-12-31T00:00:00Z', '9999-12-31T00:00:00Z']) {
      const r = at(t);
      expect(r.ok, t).toBe(false);
      if (!r.ok) expect(r.issues, t).toEqual([expect.objectContaining({ path: 'timestamp', message: 'must be from 1970-01-01T00:00:00Z to before 2100-01-01T00:00:00Z' })]);
    }
  });

  test('the first instant of 1970 is accepted', () => {
    expect(ok('track', { userId: 'u1', event: 'E', timestamp: '1970-01-01T00:00:00Z' }).timestamp).toBe(0);
  });

  test('the whole of 2099 is accepted, including its last day', () => {
    expect(ok('track', { userId: 'u1', event: 'E', timestamp: '2099-12-31T00:00:00Z' }).timestamp).toBe(Date.UTC(2099, 11, 31));
    expect(ok('track', { userId: 'u1', event: 'E', timestamp: '2099-12-31T23:59:59.999Z' }).timestamp).toBe(Date.UTC(2099, 11, 31, 23, 59, 59, 999));
  });

  test('an offset counts: 2100-01-01T00:30+01:00 is still 2099 in UTC', () => {
    expect(ok('track', { userId: 'u1', event: 'E', timestamp: '2100-01-01T00:30:00+01:00' }).timestamp).toBe(Date.UTC(2099, 11, 31, 23, 30));
  });

  test('a date-time without offset is read as UTC, whatever the process time zone', () => {
    expect(new Date(2024, 2, 1).getTimezoneOffset()).toBe(-330);
    expect(ok('track', { userId: 'u1', event: 'E', timestamp: '2024-03-01T10:20:30' }).timestamp).toBe(Date.UTC(2024, 2, 1, 10, 20, 30));
    expect(ok('track', { userId: 'u1', event: 'E', timestamp: '2024-03-01T10:20:30.250' }).timestamp).toBe(Date.UTC(2024, 2, 1, 10, 20, 30, 250));
    expect(ok('track', { userId: 'u1', event: 'E', timestamp: '2024-03-01T10:20' }).timestamp).toBe(Date.UTC(2024, 2, 1, 10, 20));
  });

  test('offsets are honoured', () => {
    expect(ok('track', { userId: 'u1', event: 'E', timestamp: '2024-03-01T10:20:30-05:30' }).timestamp).toBe(Date.UTC(2024, 2, 1, 15, 50, 30));
  });
});

describe('calls that are not calls', () => {
  test('unknown or missing type', () => {
    for (const type of ['bogus', 'Track', '', undefined]) {
      expect(issues(type, { userId: 'u1', event: 'E' }), String(type)).toEqual([
        { path: 'type', code: 'invalid_value', message: 'type must be one of track, identify, page, screen, group, alias' },
      ]);
    }
  });

  test('a body that is not an object', () => {
    for (const body of [null, undefined, 'track', 42, true, [{ userId: 'u1', event: 'E' }]]) {
      expect(issues('track', body), JSON.stringify(body)).toEqual([{ path: '', code: 'invalid_type', message: 'an event must be a JSON object' }]);
    }
  });

  test('a non-object body is reported before an unknown type', () => {
    expect(paths(issues('bogus', 'x'))).toEqual(['']);
  });
});

describe('callSchemas and batchSchema', () => {
  test('there is one schema per call type', () => {
    expect(Object.keys(callSchemas).sort()).toEqual(['alias', 'group', 'identify', 'page', 'screen', 'track']);
  });

  test('a schema can be used on its own', () => {
    expect(callSchemas.track.safeParse({ userId: 'u1', event: 'E' }).success).toBe(true);
    expect(callSchemas.track.safeParse({ userId: 'u1' }).success).toBe(false);
  });

  test('batchSchema takes an array of anything plus batch context and integrations', () => {
    const parsed = batchSchema.safeParse({ batch: [1, 'two', { three: 3 }], context: { ip: '1.1.1.1' }, integrations: { All: false } });
    expect(parsed.success).toBe(true);
    if (parsed.success) {
      expect(parsed.data.batch).toEqual([1, 'two', { three: 3 }]);
      expect(parsed.data.context).toEqual({ ip: '1.1.1.1' });
    }
  });

  test('batchSchema refuses a missing or non-array batch on path batch', () => {
    for (const body of [{}, { batch: {} }, { batch: 'x' }]) {
      const parsed = batchSchema.safeParse(body);
      expect(parsed.success).toBe(false);
      if (!parsed.success) expect(parsed.error.issues.map((i) => i.path.join('.'))).toEqual(['batch']);
    }
  });
});
