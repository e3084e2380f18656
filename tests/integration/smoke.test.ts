import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestProduct, type TestProduct } from '../helpers/test-product.js';

let product: TestProduct;
beforeAll(async () => {
  product = await startTestProduct();
});
afterAll(async () => {
  await product?.destroy();
});

test('a tracked event becomes a row', async () => {
  const res = await product.post('/v1/track', { userId: 'u-smoke', event: 'Smoke' });
  expect(res.status).toBe(200);
  const rows = await product.waitForRows<{ n: string }>("SELECT count() AS n FROM events WHERE user_id = 'u-smoke'", (r) => Number(r[0]?.n) === 1);
  expect(Number(rows[0]!.n)).toBe(1);
});
