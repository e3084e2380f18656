import { afterEach, expect, test } from 'vitest';
import { redisFreezer } from '../helpers/frozen-redis.js';
import { metricValue } from '../helpers/metric-value.js';
import { startTestProduct, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// While a queue write goes unconfirmed for longer than INGEST_SHED_AFTER_MS, the tracking API refuses new
// requests before it reads them: 503 `overloaded` with Retry-After, counted per request. A frozen
// redis-server (SIGSTOP) keeps its connections open, so the write in flight waits without failing.
// A body that is not JSON tells whether a request was read: read, it is a 400; refused first, a 503.

let product: TestProduct | undefined;

afterEach(async () => {
  await product?.destroy();
  product = undefined;
});
const redis = redisFreezer();

const shedCount = (url: string) => metricValue(url, /^cdp_events_rejected_total\{reason="shed"\} (\d+)/m);

const notJson = (p: TestProduct) => p.post('/v1/batch', '{"batch": [', { headers: { 'content-type': 'application/json' } });

test('a write unconfirmed past the bound makes new requests refused unread, until the writes catch up', async () => {
  product = await startTestProduct({ roles: ['api'], env: { INGEST_SHED_AFTER_MS: '200', INGEST_ENQUEUE_TIMEOUT_MS: '30000' } });
  expect((await notJson(product)).status).toBe(400);

  redis.freeze(product.redis.local!.pid);
  const first = product.post('/v1/track', { userId: 'u-shed', event: 'Order Completed', messageId: 'shed-first' });

  let refused = await notJson(product);
  await waitFor('a request refused before it is read', async () => (refused = await notJson(product!)).status === 503, 10_000);
  expect(refused.body.code).toBe('overloaded');
  expect(refused.headers.get('retry-after')).toBe('2');
  // A good request is refused the same way, at once rather than after the enqueue timeout.
  const good = await product.post('/v1/track', { userId: 'u-shed', event: 'Product Viewed', messageId: 'shed-second' });
  expect(good.status).toBe(503);
  expect(good.body.code).toBe('overloaded');
  expect(await shedCount(product.url)).toBeGreaterThanOrEqual(2);

  redis.thaw();
  // The write in flight is confirmed: its request gets its 200, and requests are read again.
  expect((await first).status).toBe(200);
  expect((await notJson(product)).status).toBe(400);
  expect((await product.post('/v1/track', { userId: 'u-shed', event: 'Product Viewed', messageId: 'shed-third' })).status).toBe(200);
  const jobs = await product.queue!.getJobs(['waiting']);
  const queued = jobs.flatMap((j) => (j.data as { events: { messageId: string }[] }).events.map((e) => e.messageId)).sort();
  expect(queued).toEqual(['shed-first', 'shed-third']);
});

test('INGEST_SHED_AFTER_MS=0: requests are read however long a write goes unconfirmed', async () => {
  product = await startTestProduct({ roles: ['api'], env: { INGEST_SHED_AFTER_MS: '0', INGEST_ENQUEUE_TIMEOUT_MS: '3000' } });
  redis.freeze(product.redis.local!.pid);
  const first = await product.post('/v1/track', { userId: 'u-shed', event: 'Order Completed', messageId: 'shed-off' });
  expect(first.status).toBe(503);
  expect(first.body.code).toBe('unavailable');
  // Its write is still in flight, unconfirmed for longer than the 3 s timeout (and than the default bound,
  // 2.5 s): a request now is still read, so a body that is not JSON is a 400.
  expect((await notJson(product)).status).toBe(400);
  expect(await shedCount(product.url)).toBe(0);
});
