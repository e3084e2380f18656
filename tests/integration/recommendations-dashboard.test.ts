import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { openDashboard } from '../helpers/dashboard-page.js';
import { runJobThroughApi } from '../helpers/churn-fixtures.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The customers panel's top recommended products and the customer view's recommendations, in headless
// Chromium, against the recommendations snapshot they read. Orders: {A,B} twice, {A,C}, {B,D}, and u5's {A}:
// u5 is recommended B (bought with A: 2 / √(4 × 3)), then C (1 / √(4 × 1)), then D, the one popular product left.

let product: TestProduct;
let browser: Browser;
const run = randomUUID().slice(0, 8);
const AS_OF = '2026-06-01T00:00:00.000Z';
const user = (n: number) => `u${n}-${run}`;

const order = (n: number, products: string[], day: string) => ({
  type: 'track',
  userId: user(n),
  event: 'Order Completed',
  timestamp: `2026-05-${day}T10:00:00Z`,
  properties: { order_id: `o${n}-${run}`, revenue: 10, products: products.map((p) => ({ product_id: p })) },
});

async function showCustomer(page: Page, userId: string): Promise<void> {
  await page.fill('#search-value', userId);
  await page.click('#search-form button[type=submit]');
  await page.waitForSelector(`#search-result[data-state="found"] article[data-profile-id]`);
}

const cells = (page: Page, selector: string) => page.$$eval(selector, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));

beforeAll(async () => {
  product = await startTestProduct();
  browser = await launchChromium();
  const batch = [order(1, ['A', 'B'], '01'), order(2, ['A', 'B'], '02'), order(3, ['A', 'C'], '03'), order(4, ['B', 'D'], '04'), order(5, ['A'], '05')];
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === batch.length);
});

afterAll(async () => {
  await browser?.close();
  await product?.destroy();
});

test('before the job ran: the panel and the customer view say so', async () => {
  const { page, errors } = await openDashboard(browser, product.url);
  expect(await cells(page, '#top-recommended tbody tr')).toEqual([['No recommendations yet: the recommendations job has not run (npx cdp jobs run recommendations).']]);
  await showCustomer(page, user(5));
  expect(await page.textContent('#customer-recommendations')).toContain('No recommendations yet.');
  expect(errors).toEqual([]);
  await page.close();
});

test('after it ran: the top products as the snapshot counts them, and the customer’s list with its reasons', async () => {
  await runJobThroughApi(product, ADMIN_KEY, 'recommendations', AS_OF);
  const expected = await product.sql<{ product_id: string; customers: string; first: string; personal: string }>(
    `SELECT product_id, count() AS customers, countIf(rank = 1) AS first, countIf(reason != 'popular') AS personal
     FROM recommendations_current GROUP BY product_id ORDER BY customers DESC, product_id LIMIT 10`,
  );
  expect(expected.length).toBeGreaterThan(0);
  const { page, errors } = await openDashboard(browser, product.url);
  expect(await cells(page, '#top-recommended tbody tr')).toEqual(expected.map((e) => [e.product_id, String(e.customers), String(e.first), String(e.personal)]));
  expect(await page.textContent('#recommended-as-of')).toContain('5 customers');

  await showCustomer(page, user(5));
  const rows = await cells(page, '#customer-recommendations tbody tr');
  expect(rows.map((r) => [r[0], r[1], r[3]])).toEqual([
    ['1', 'B', 'bought with A'],
    ['2', 'C', 'bought with A'],
    ['3', 'D', 'popular'],
  ]);
  expect(errors).toEqual([]);
  await page.close();
});
