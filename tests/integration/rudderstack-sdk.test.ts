import { randomUUID } from 'node:crypto';
import Analytics from '@rudderstack/rudder-sdk-node';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WRITE_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// RudderStack's own Node SDK, unchanged, pointed at our API as the README says (data plane URL = this server).
// It posts to /v1/batch gzipped JSON labelled application/x-www-form-urlencoded, and does not retry a 4xx.

let product: TestProduct;
beforeAll(async () => {
  product = await startTestProduct();
});
afterAll(async () => {
  await product?.destroy();
});

test('@rudderstack/rudder-sdk-node delivers track, identify, page, screen, group and alias', async () => {
  const failures: unknown[] = [];
  // flushAt above the call count: one flush of one batch, by the test; the SDK sends gzip by default.
  const analytics = new Analytics(WRITE_KEY, { dataPlaneUrl: product.url, flushAt: 20, flushInterval: 60_000, logLevel: 'error', errorHandler: (err) => failures.push(err) });
  const userId = `rudder-${randomUUID()}`;
  const anonymousId = `anon-${randomUUID()}`;

  analytics.identify({ userId, anonymousId, traits: { email: 'rudder@example.com', plan: 'pro' } });
  analytics.track({ userId, event: 'Order Completed', properties: { order_id: 'rudder-1', revenue: 42.5, currency: 'USD' } });
  analytics.page({ userId, name: 'Pricing', properties: { url: 'https://shop.example/pricing' } });
  analytics.screen({ userId, name: 'Basket' });
  analytics.group({ userId, groupId: 'company-1', traits: { name: 'Initech' } });
  analytics.alias({ userId, previousId: anonymousId });
  // The first call was flushed on its own when it was queued; this sends the other five.
  await analytics.flush();
  // The SDK reports a refused request only to errorHandler (a 415 before the fix): nothing may have failed.
  expect(failures.map((e) => String((e as Error).message))).toEqual([]);

  const rows = await product.waitForRows<Record<string, string>>(
    `SELECT type, event, name, user_id, anonymous_id, group_id, previous_id, order_id, toString(revenue) AS revenue, currency,
            properties, traits, context
     FROM events WHERE user_id = '${userId}' ORDER BY type`,
    (r) => r.length === 6,
  );
  const byType = Object.fromEntries(rows.map((r) => [r.type, r]));
  expect(Object.keys(byType).sort()).toEqual(['alias', 'group', 'identify', 'page', 'screen', 'track']);
  expect(byType.track).toMatchObject({ event: 'Order Completed', order_id: 'rudder-1', revenue: '42.5', currency: 'USD' });
  expect(JSON.parse(byType.identify!.traits!)).toEqual({ email: 'rudder@example.com', plan: 'pro' });
  expect(byType.identify!.anonymous_id).toBe(anonymousId);
  expect(byType.page!.name).toBe('Pricing');
  expect(JSON.parse(byType.page!.properties!)).toEqual({ url: 'https://shop.example/pricing' });
  expect(byType.screen!.name).toBe('Basket');
  expect(byType.group!.group_id).toBe('company-1');
  expect(byType.alias!.previous_id).toBe(anonymousId);
  expect(JSON.parse(byType.track!.context!).library.name).toBe('analytics-node');
});
