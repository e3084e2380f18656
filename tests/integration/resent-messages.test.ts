import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// A message sent again after the dedupe window (here DEDUPE_WINDOW_SECONDS=0: every copy is loaded) is one
// event to the customer model: a refund refunds once, and a segment's event count counts it once, also when
// its copies were loaded under two profiles merged since.

let product: TestProduct;
const run = randomUUID().slice(0, 8);
const admin = { auth: `Bearer ${ADMIN_KEY}` };
const asOf = '2026-06-30T00:00:00.000Z';
const at = (day: number) => new Date(Date.parse(asOf) - day * 86_400_000).toISOString();
const user = (name: string) => `${name}-${run}`;

async function send(batch: Record<string, unknown>[]): Promise<void> {
  const res = await product.post('/v1/batch', { batch });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

beforeAll(async () => {
  product = await startTestProduct({ env: { DEDUPE_WINDOW_SECONDS: '0' } });
  const order = { type: 'track', userId: user('buyer'), event: 'Order Completed', messageId: `oc-${run}`, timestamp: at(10), properties: { order_id: `o-${run}`, revenue: 100, currency: 'EUR' } };
  const refund = { type: 'track', userId: user('buyer'), event: 'Order Refunded', messageId: `or-${run}`, timestamp: at(5), properties: { order_id: `o-${run}`, revenue: 30 } };
  const viewedOnce = { type: 'track', userId: user('once'), event: 'Product Viewed', messageId: `pv-${run}`, timestamp: at(3), properties: { sku: 'a' } };
  const viewedTwice = [1, 2].map((i) => ({ type: 'track', userId: user('twice'), event: 'Product Viewed', messageId: `pv${i}-${run}`, timestamp: at(3), properties: { sku: 'a' } }));
  // A device that viewed once, anonymously, then logged in as `merged`; the resend of that view carries the
  // user id, so its two copies were loaded under two profiles that the login merged.
  const anonymousView = { type: 'track', anonymousId: `anon-${run}`, event: 'Product Viewed', messageId: `pva-${run}`, timestamp: at(4), properties: { sku: 'b' } };
  await send([order, refund, viewedOnce, ...viewedTwice, anonymousView]);
  await product.waitForRows(`SELECT count() AS n FROM events WHERE message_id LIKE '%-${run}'`, (r) => Number((r[0] as { n: string }).n) === 6);
  await send([{ type: 'identify', userId: user('merged'), anonymousId: `anon-${run}`, timestamp: at(4) }]);
  await product.waitForRows(`SELECT count() AS n FROM events WHERE message_id LIKE '%-${run}' OR user_id = '${user('merged')}'`, (r) => Number((r[0] as { n: string }).n) === 7);
  // Every copy again, as a client that never heard back would send it; the anonymous view now with the user id.
  await send([order, refund, viewedOnce, ...viewedTwice, { ...anonymousView, userId: user('merged') }]);
  await product.waitForRows(`SELECT count() AS n FROM events WHERE message_id LIKE '%-${run}'`, (r) => Number((r[0] as { n: string }).n) === 12);
});

afterAll(async () => {
  await product?.destroy();
});

test('an Order Refunded loaded twice refunds once', async () => {
  const res = await product.post('/v1/jobs/orders/run', { as_of: asOf }, admin);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const [row] = await product.sql<{ revenue: string; refunded: string; net_revenue: string }>(
    `SELECT toString(revenue) AS revenue, toString(refunded) AS refunded, toString(net_revenue) AS net_revenue FROM orders WHERE order_id = 'o-${run}' AND as_of = '2026-06-30 00:00:00.000'`,
  );
  expect(row).toEqual({ revenue: '100', refunded: '30', net_revenue: '70' });
});

test("a segment's event count counts each message id once, across merged profiles too", async () => {
  const lookup = async (name: string) => {
    const res = await fetch(`${product.url}/v1/profiles/lookup?type=user_id&value=${user(name)}&events=0`, { headers: { authorization: admin.auth } });
    expect(res.status, name).toBe(200);
    return ((await res.json()) as { profile_id: string }).profile_id;
  };
  const ids = { once: await lookup('once'), twice: await lookup('twice'), merged: await lookup('merged') };
  const preview = async (count: { op: string; value: number }) => {
    const res = await product.post('/v1/segments/preview', { conditions: { type: 'event', event: 'Product Viewed', count, window: { within_days: 30 } }, as_of: asOf }, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return new Set(res.body.sample as string[]);
  };
  const twiceOrMore = await preview({ op: 'gte', value: 2 });
  expect([twiceOrMore.has(ids.twice), twiceOrMore.has(ids.once), twiceOrMore.has(ids.merged)]).toEqual([true, false, false]);
  const exactlyOnce = await preview({ op: 'eq', value: 1 });
  expect([exactlyOnce.has(ids.once), exactlyOnce.has(ids.merged), exactlyOnce.has(ids.twice)]).toEqual([true, true, false]);
});
