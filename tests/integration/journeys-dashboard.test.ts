import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { openDashboard } from '../helpers/dashboard-page.js';
import { recordingSender } from '../helpers/recording-sender.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The journeys panel in headless Chromium: each journey's step funnel and goal rate, as its stats count them.

let product: TestProduct;
let browser: Browser;
const run = randomUUID().slice(0, 8);
const id = `funnel-${run}`;

beforeAll(async () => {
  product = await startTestProduct({ start: { messageSender: recordingSender({ thanks: 'email' }) } });
  browser = await launchChromium();
  const res = await product.request(
    'PUT',
    `/v1/journeys/${id}`,
    {
      name: 'Checkout follow-up',
      entry: { event: 'Checkout Started' },
      goal: { event: 'Order Completed', within: { days: 1 } },
      start: 'wait',
      steps: {
        wait: { type: 'wait_for', event: 'Order Completed', timeout: { seconds: 8 }, on_event: 'thanks', on_timeout: 'done' },
        thanks: { type: 'send', channel: 'email', template: 'thanks', next: 'done' },
        done: { type: 'exit' },
      },
    },
    { auth: `Bearer ${ADMIN_KEY}` },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect((await product.post('/v1/batch', { batch: [`a-${run}`, `b-${run}`].map((userId) => ({ type: 'track', userId, event: 'Checkout Started' })) })).status).toBe(200);
  await product.waitForRows(`SELECT 1 FROM journey_events WHERE journey_id = '${id}' AND kind = 'step' AND step = 'wait'`, (r) => r.length === 2);
  expect((await product.post('/v1/track', { userId: `a-${run}`, event: 'Order Completed' })).status).toBe(200);
  await product.waitForRows(`SELECT 1 FROM journey_events FINAL WHERE journey_id = '${id}' AND kind IN ('exited', 'goal')`, (r) => r.length === 3);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await product?.destroy();
});

test("the panel shows each step's funnel against the entries, and the goal rate", async () => {
  const { page, errors } = await openDashboard(browser, product.url);
  const journey = page.locator(`#journey-funnels [data-journey="${id}"]`);
  expect(await journey.getAttribute('data-entered')).toBe('2');
  expect(await journey.locator('.goal-rate').textContent()).toBe('50 %');
  const rows = await page.$$eval(`#journey-funnels [data-journey="${id}"] tbody tr`, (trs) => trs.map((tr) => [tr.getAttribute('data-step'), tr.getAttribute('data-reached')]));
  expect(rows).toEqual([
    ['wait', '2'],
    ['thanks', '1'],
    ['done', '2'],
  ]);
  expect(await journey.textContent()).toContain('Checkout follow-up');
  expect(errors).toEqual([]);
  await page.close();
});
