import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { amount, eventRow, rejectedRow } from '../../pipeline/load/event-row.js';
import type { EnrichedEvent, RejectedEvent } from '../../pipeline/core/load-job.js';

const T = Date.UTC(2024, 2, 1, 9, 5, 7, 42);

function event(fields: Partial<EnrichedEvent> = {}): EnrichedEvent {
  return {
    messageId: 'm-1',
    type: 'track',
    event: 'Order Completed',
    userId: 'u1',
    context: { ip: '203.0.113.9' },
    integrations: {},
    timestamp: T,
    originalTimestamp: T - 1000,
    receivedAt: T + 2000,
    sourceId: 'web',
    ...fields,
  };
}

describe('chTime', () => {
  // A zone far from UTC, so that formatting in local time instead of UTC shows.
  const savedTz = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = 'America/Los_Angeles';
  });
  afterAll(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  test('formats as YYYY-MM-DD hh:mm:ss.mmm in UTC, whatever the process time zone', () => {
    expect(new Date(T).getTimezoneOffset()).toBe(480);
    expect(chTime(T)).toBe('2024-03-01 09:05:07.042');
    expect(chTime(0)).toBe('1970-01-01 00:00:00.000');
    expect(chTime(Date.UTC(2023, 11, 31, 23, 59, 59, 999))).toBe('2023-12-31 23:59:59.999');
  });

  test('covers the whole accepted range', () => {
    expect(chTime(Date.UTC(1900, 0, 1))).toBe('1900-01-01 00:00:00.000');
    expect(chTime(Date.UTC(2299, 11, 31, 23, 59, 59, 999))).toBe('2299-12-31 23:59:59.999');
  });
});

describe('amount', () => {
  test('numbers', () => {
    expect(amount(12.5)).toBe(12.5);
    expect(amount(0)).toBe(0);
    expect(amount(-3.25)).toBe(-3.25);
    expect(amount(199)).toBe(199);
  });

  test('numeric strings', () => {
    expect(amount('12.50')).toBe(12.5);
    expect(amount(' 7 ')).toBe(7);
    expect(amount('-0.5')).toBe(-0.5);
  });

  test('junk is null', () => {
    for (const v of ['abc', '', '   ', '12,50', '$5', '5 EUR', null, undefined, true, {}, [], [5], NaN, Infinity, -Infinity, 'Infinity']) {
      expect(amount(v), JSON.stringify(v) ?? String(v)).toBeNull();
    }
  });

  test('strings that are not decimal numbers are junk (no hex, binary or octal literals)', () => {
    for (const v of ['0x10', '0b101', '0o17']) expect(amount(v), v).toBeNull();
  });

  test('amounts of 10^13 and more (either sign) are null', () => {
    expect(amount(1e13)).toBeNull();
    expect(amount(-1e13)).toBeNull();
    expect(amount(1e20)).toBeNull();
    expect(amount('99999999999999')).toBeNull();
    expect(amount(9_999_999_999_999)).toBe(9_999_999_999_999);
  });

  test('rounds to 4 decimals', () => {
    expect(amount(1.23456)).toBe(1.2346);
    expect(amount(1.23454)).toBe(1.2345);
    expect(amount(-1.23456)).toBe(-1.2346);
    expect(amount('2.718281828')).toBe(2.7183);
    expect(amount(0.1 + 0.2)).toBe(0.3);
    expect(amount(19.99)).toBe(19.99);
    expect(amount(0.00004)).toBe(0);
  });
});

describe('eventRow: columns', () => {
  test('ids, names and times', () => {
    const row = eventRow(event({ anonymousId: 'a1', sentAt: T + 500 }));
    expect(row).toMatchObject({
      message_id: 'm-1',
      type: 'track',
      event: 'Order Completed',
      name: '',
      user_id: 'u1',
      anonymous_id: 'a1',
      profile_id: '',
      group_id: '',
      previous_id: '',
      timestamp: '2024-03-01 09:05:07.042',
      original_timestamp: '2024-03-01 09:05:06.042',
      sent_at: '2024-03-01 09:05:07.542',
      received_at: '2024-03-01 09:05:09.042',
      source_id: 'web',
      ip: '203.0.113.9',
    });
  });

  test('sent_at is null without sentAt; null ids and names become empty strings', () => {
    const row = eventRow(event({ type: 'page', event: undefined, name: null, userId: null, anonymousId: 'a1' }));
    expect(row.sent_at).toBeNull();
    expect(row.event).toBe('');
    expect(row.name).toBe('');
    expect(row.user_id).toBe('');
  });

  test('group and alias ids', () => {
    expect(eventRow(event({ type: 'group', event: undefined, groupId: 'g1' })).group_id).toBe('g1');
    expect(eventRow(event({ type: 'alias', event: undefined, previousId: 'anon-1' })).previous_id).toBe('anon-1');
  });

  test('user agent from context', () => {
    expect(eventRow(event({ context: { userAgent: 'Mozilla/5.0' } })).user_agent).toBe('Mozilla/5.0');
    expect(eventRow(event()).user_agent).toBe('');
  });
});

describe('eventRow: e-commerce', () => {
  test('revenue and currency from properties', () => {
    const row = eventRow(event({ properties: { revenue: '25.125', currency: 'EUR' } }));
    expect(row.revenue).toBe(25.125);
    expect(row.currency).toBe('EUR');
  });

  test('revenue falls back to properties.total', () => {
    expect(eventRow(event({ properties: { total: '20.5' } })).revenue).toBe(20.5);
    expect(eventRow(event({ properties: { revenue: 'n/a', total: 30 } })).revenue).toBe(30);
  });

  test('revenue wins over total, even when it is 0', () => {
    expect(eventRow(event({ properties: { revenue: 10, total: 20 } })).revenue).toBe(10);
    expect(eventRow(event({ properties: { revenue: 0, total: 50 } })).revenue).toBe(0);
  });

  test('no usable amount gives a null revenue', () => {
    expect(eventRow(event()).revenue).toBeNull();
    expect(eventRow(event({ properties: { revenue: 'free', total: 1e15 } })).revenue).toBeNull();
  });

  test('order_id from order_id or orderId', () => {
    expect(eventRow(event({ properties: { order_id: 'o-1' } })).order_id).toBe('o-1');
    expect(eventRow(event({ properties: { orderId: 'o-2' } })).order_id).toBe('o-2');
    expect(eventRow(event({ properties: { order_id: 'o-1', orderId: 'o-2' } })).order_id).toBe('o-1');
    expect(eventRow(event({ properties: { order_id: 1234 } })).order_id).toBe('1234');
    expect(eventRow(event()).order_id).toBe('');
  });
});

describe('eventRow: page and campaign', () => {
  const page = { url: 'https://shop.test/p?q=1', path: '/p', referrer: 'https://search.test/' };

  test('url, path and referrer from properties', () => {
    const row = eventRow(event({ type: 'page', properties: { ...page } }));
    expect([row.url, row.path, row.referrer]).toEqual([page.url, page.path, page.referrer]);
  });

  test('url, path and referrer from context.page when properties lack them', () => {
    const row = eventRow(event({ context: { page } }));
    expect([row.url, row.path, row.referrer]).toEqual([page.url, page.path, page.referrer]);
  });

  test('properties win over context.page, field by field', () => {
    const row = eventRow(event({ properties: { path: '/from-props' }, context: { page } }));
    expect([row.url, row.path, row.referrer]).toEqual([page.url, '/from-props', page.referrer]);
  });

  test('a context.page that is not an object is ignored', () => {
    const row = eventRow(event({ context: { page: 'home' } }));
    expect([row.url, row.path, row.referrer]).toEqual(['', '', '']);
  });

  test('campaign columns from context.campaign', () => {
    const row = eventRow(event({ context: { campaign: { source: 'newsletter', medium: 'email', name: 'spring', term: 'shoes', content: 'hero' } } }));
    expect([row.campaign_source, row.campaign_medium, row.campaign_name, row.campaign_term, row.campaign_content]).toEqual([
      'newsletter',
      'email',
      'spring',
      'shoes',
      'hero',
    ]);
    const none = eventRow(event());
    expect([none.campaign_source, none.campaign_medium, none.campaign_name, none.campaign_term, none.campaign_content]).toEqual(['', '', '', '', '']);
  });
});

describe('eventRow: JSON columns', () => {
  test('properties, context and integrations are the inputs themselves (serialised once, with the row)', () => {
    const properties = { products: [{ sku: 'a', price: 9.99 }], nested: { deep: true }, text: 'quote " and \n newline' };
    const context = { ip: '203.0.113.9', locale: 'fr-FR', campaign: { source: 'x' } };
    const integrations = { All: true, Mixpanel: false };
    const row = eventRow(event({ properties, context, integrations }));
    expect(row.properties).toBe(properties);
    expect(row.context).toBe(context);
    expect(row.integrations).toBe(integrations);
  });

  test('missing properties are {}', () => {
    expect(eventRow(event()).properties).toEqual({});
  });

  test('traits from the call’s traits, else from context.traits, else {}', () => {
    expect(eventRow(event({ type: 'identify', traits: { email: 'a@b.test' } })).traits).toEqual({ email: 'a@b.test' });
    expect(eventRow(event({ context: { traits: { plan: 'pro' } } })).traits).toEqual({ plan: 'pro' });
    expect(eventRow(event({ traits: { email: 'own' }, context: { traits: { email: 'ctx' } } })).traits).toEqual({ email: 'own' });
    expect(eventRow(event()).traits).toEqual({});
  });
});

describe('rejectedRow', () => {
  test('maps a rejection to its columns', () => {
    const r: RejectedEvent = {
      rejectionId: 'r-1',
      receivedAt: T,
      sourceId: 'web',
      requestId: 'req-1',
      route: '/v1/batch',
      index: 3,
      reason: 'invalid_event',
      errors: [{ path: 'event', code: 'invalid_type', message: 'expected string' }],
      payload: '{"event":1}',
      ip: '203.0.113.9',
    };
    expect(rejectedRow(r)).toEqual({
      rejection_id: 'r-1',
      received_at: '2024-03-01 09:05:07.042',
      source_id: 'web',
      request_id: 'req-1',
      route: '/v1/batch',
      batch_index: 3,
      reason: 'invalid_event',
      errors: JSON.stringify(r.errors),
      payload: '{"event":1}',
      ip: '203.0.113.9',
      identifiers: [],
    });
    expect(JSON.parse(rejectedRow(r).errors)).toEqual(r.errors);
  });

  test('keeps the identifiers found when the event was refused; a rejection queued before they were kept has none', () => {
    const r: RejectedEvent = {
      rejectionId: 'r-2', receivedAt: T, sourceId: 'web', requestId: 'req-2', route: '/v1/track', index: 0, reason: 'invalid_event',
      errors: [], payload: '{"userId":4242}', ip: '', identifiers: ['user_id\u001f4242'],
    };
    expect(rejectedRow(r).identifiers).toEqual(['user_id\u001f4242']);
    expect(rejectedRow({ ...r, identifiers: undefined }).identifiers).toEqual([]);
  });
});
