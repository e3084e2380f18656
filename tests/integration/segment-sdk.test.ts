import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WRITE_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// Segment's own Node SDK, unchanged, pointed at our API: what it sends must arrive as sent.

let product: TestProduct;
beforeAll(async () => {
  product = await startTestProduct();
});
afterAll(async () => {
  await product?.destroy();
});

test('@segment/analytics-node delivers track, identify, page, screen, group and alias', async () => {
  const analytics = new Analytics({ writeKey: WRITE_KEY, host: product.url, flushAt: 20, flushInterval: 200 });
  const failures: unknown[] = [];
  analytics.on('error', (err) => failures.push(err));
  const userId = `sdk-${randomUUID()}`;
  const anonymousId = `anon-${randomUUID()}`;
  const when = new Date('2026-05-06T07:08:09.123Z');

  analytics.identify({ userId, anonymousId, traits: { email: 'sdk@example.com', plan: 'pro' } });
  analytics.track({ userId, event: 'Order Completed', timestamp: when, properties: { order_id: 'sdk-1', revenue: 42.5, currency: 'USD' } });
  analytics.page({ userId, name: 'Pricing', properties: { url: 'https://shop.example/pricing' } });
  analytics.screen({ userId, name: 'Basket' });
  analytics.group({ userId, groupId: 'company-1', traits: { name: 'Initech' } });
  analytics.alias({ userId, previousId: anonymousId });
  await analytics.closeAndFlush({ timeout: 10_000 });
  expect(failures).toEqual([]);

  const rows = await product.waitForRows<Record<string, string>>(
    `SELECT type, event, name, user_id, anonymous_id, group_id, previous_id, order_id, toString(revenue) AS revenue, currency,
            toString(timestamp) AS ts, traits, context
     FROM events WHERE user_id = '${userId}' ORDER BY type`,
    (r) => r.length === 6,
  );
  const byType = Object.fromEntries(rows.map((r) => [r.type, r]));
  expect(Object.keys(byType).sort()).toEqual(['alias', 'group', 'identify', 'page', 'screen', 'track']);
  expect(byType.track).toMatchObject({ event: 'Order Completed', order_id: 'sdk-1', revenue: '42.5', currency: 'USD' });
  // The SDK sends timestamp and sentAt from the same clock as ours, so the event keeps its own time.
  expect(byType.track!.ts).toBe('2026-05-06 07:08:09.123');
  expect(JSON.parse(byType.identify!.traits!)).toEqual({ email: 'sdk@example.com', plan: 'pro' });
  expect(byType.identify!.anonymous_id).toBe(anonymousId);
  expect(byType.page!.name).toBe('Pricing');
  expect(byType.screen!.name).toBe('Basket');
  expect(byType.group!.group_id).toBe('company-1');
  expect(byType.alias!.previous_id).toBe(anonymousId);
  expect(JSON.parse(byType.track!.context!).library.name).toBe('@segment/analytics-node');
});
