import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { openDashboard } from '../helpers/dashboard-page.js';
import { runJobThroughApi } from '../helpers/churn-fixtures.js';
import { LOYALTY_ENV } from '../helpers/loyalty-fixtures.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The customers panel's loyalty levels (and their change between two snapshots) and points per month, and the
// customer view's standing, in headless Chromium, against the snapshots they read (LOYALTY_ENV: Silver from
// 100, a month to expire). u1 orders 150 on 10 January (Silver) and redeems 30 on 2 February; u2 orders 40 on
// 5 February. The snapshot of 1 February holds u1 only; that of 1 March both, and u1's points of January
// expired on 10 February.

let product: TestProduct;
let browser: Browser;
const run = randomUUID().slice(0, 8);
const user = (n: number) => `u${n}-${run}`;

async function showCustomer(page: Page, userId: string): Promise<void> {
  await page.fill('#search-value', userId);
  await page.click('#search-form button[type=submit]');
  await page.waitForSelector(`#search-result[data-state="found"] article[data-profile-id]`);
}

const cells = (page: Page, selector: string) => page.$$eval(selector, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));

beforeAll(async () => {
  product = await startTestProduct({ env: LOYALTY_ENV });
  browser = await launchChromium();
  const batch = [
    { type: 'track', userId: user(1), event: 'Order Completed', timestamp: '2026-01-10T10:00:00Z', properties: { order_id: `o1-${run}`, revenue: 150 } },
    { type: 'track', userId: user(1), event: 'Points Redeemed', timestamp: '2026-02-02T10:00:00Z', properties: { points: 30 } },
    { type: 'track', userId: user(2), event: 'Order Completed', timestamp: '2026-02-05T10:00:00Z', properties: { order_id: `o2-${run}`, revenue: 40 } },
  ];
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === batch.length);
});

afterAll(async () => {
  await browser?.close();
  await product?.destroy();
});

test('before the job ran: the panel and the customer view say so', async () => {
  const { page, errors } = await openDashboard(browser, product.url);
  expect(await cells(page, '#loyalty-levels tbody tr')).toEqual([['No loyalty standings yet: the loyalty job has not run (npx cdp jobs run loyalty).']]);
  await showCustomer(page, user(1));
  expect(await page.textContent('#customer-loyalty')).toContain('No loyalty standing yet.');
  expect(errors).toEqual([]);
  await page.close();
});

test('after two runs: members per level with the change, points per month, and the customer’s standing', async () => {
  await runJobThroughApi(product, ADMIN_KEY, 'loyalty', '2026-02-01T00:00:00.000Z');
  await runJobThroughApi(product, ADMIN_KEY, 'loyalty', '2026-03-01T00:00:00.000Z');
  const { page, errors } = await openDashboard(browser, product.url);
  const levels = await cells(page, '#loyalty-levels tbody tr');
  // u1 left Silver when 10 January's spend left the 30-day window; u2 joined as a Member.
  expect(levels.sort()).toEqual([
    ['Member', '2', '+2'],
    ['Silver', '0', '-1'],
  ]);
  expect(await cells(page, '#loyalty-months tbody tr')).toEqual([
    ['2026-01', '150', '0', '0'],
    ['2026-02', '40', '30', '120'],
  ]);
  expect(await page.textContent('#loyalty-as-of')).toContain('2 members');

  await showCustomer(page, user(2));
  expect(await page.getAttribute('#customer-loyalty-standing', 'data-level')).toBe('Member');
  expect(await page.textContent('#customer-loyalty-standing')).toContain('40 points');
  await showCustomer(page, user(1));
  expect((await cells(page, '#customer-loyalty tbody tr')).map((r) => [r[1], r[2], r[3]])).toEqual([
    ['expire', '-120', 'applied'],
    ['redeem', '-30', 'applied'],
    ['earn', '150', 'applied'],
  ]);
  expect(errors).toEqual([]);
  await page.close();
});
