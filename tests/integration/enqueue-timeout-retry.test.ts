import { randomUUID } from 'node:crypto';
import { afterEach, expect, test } from 'vitest';
import { redisFreezer } from '../helpers/frozen-redis.js';
import { metricValue } from '../helpers/metric-value.js';
import { startTestProduct, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// A 503 after an enqueue timeout does not mean "not stored": the write may land after the answer. The
// client retries the same event with the same messageId, and the loader keeps exactly one of the two.

let product: TestProduct | undefined;

afterEach(async () => {
  await product?.destroy();
  product = undefined;
});
const redis = redisFreezer();

const duplicatesDropped = (url: string) => metricValue(url, /^cdp_events_duplicate_total (\d+)/m);

test('an event answered 503 because the queue write timed out, then retried with the same messageId, is loaded once', async () => {
  product = await startTestProduct({ env: { INGEST_ENQUEUE_TIMEOUT_MS: '300' } });
  const messageId = randomUUID();
  const event = { userId: 'u-timeout', messageId, event: 'Checkout Started', properties: { cart: 42 } };

  // A frozen redis-server keeps its connections open: the write is sent, but not confirmed in time.
  redis.freeze(product.redis.local!.pid);
  const first = await product.post('/v1/track', event);
  expect(first.status).toBe(503);
  expect(first.body.code).toBe('unavailable');
  expect(first.headers.get('retry-after')).toBe('2');
  redis.thaw();

  // The write the client was told failed lands anyway...
  await product.waitForRows<{ n: string }>(`SELECT count() AS n FROM events WHERE message_id = '${messageId}'`, (rows) => Number(rows[0]!.n) === 1);
  // ...and the client's retry, as any SDK makes it, is answered 200 and dropped as a duplicate.
  const retry = await product.post('/v1/track', event);
  expect(retry.status).toBe(200);
  await waitFor('the retry to be dropped as a duplicate', async () => (await duplicatesDropped(product!.url)) === 1);
  await waitFor('the queue to drain', async () => Object.values(await product!.queue!.getJobCounts('waiting', 'active', 'delayed', 'failed')).every((n) => n === 0));
  expect(await product.sql<{ n: string }>(`SELECT count() AS n FROM events WHERE message_id = '${messageId}'`)).toEqual([{ n: '1' }]);
});
