import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { launchChromium } from '../helpers/browser.js';
import { at, insertEvents } from '../helpers/alert-fixtures.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The dashboard's alerts panel in headless Chromium: every alert with its live state, what is firing first,
// the same as GET /v1/alerts answers. Three alerts on events per minute, over 3 events received in the
// minute ending 10:01 and none in the next: `busy` (≥ 0) fires and stays firing, `was-busy` (≥ 2) fires at
// 10:01 and resolves at 10:02, `calm` (< 0) never fires. DESTINATIONS_ALLOW_PRIVATE is off here: the webhooks
// name public hosts (never called: no scheduler role), and one on a private address is refused.

let product: TestProduct;
let browser: Browser;
const SCREENSHOTS = path.join(projectRoot(), 'test-results');

const call = (method: string, route: string, body?: unknown) => product.request(method, route, body, { auth: `Bearer ${ADMIN_KEY}` });

beforeAll(async () => {
  product = await startTestProduct();
  browser = await launchChromium();
  await insertEvents(product, ['10:00:05', '10:00:20', '10:00:40'].map((t) => ({ at: at(`2026-10-05T${t}Z`), type: 'page' })));
  const webhook = { url: 'https://203.0.113.7/never-called', secret: 'x'.repeat(32) };
  for (const [id, op, value] of [['busy', 'gte', 0], ['was-busy', 'gte', 2], ['calm', 'lt', 0]] as const) {
    const res = await call('PUT', `/v1/alerts/${id}`, { name: `Traffic ${id}`, metric: 'events_per_minute', threshold: { op, value }, webhook });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
  await product.alerts!.evaluate(at('2026-10-05T10:01:00Z'));
  await product.alerts!.evaluate(at('2026-10-05T10:02:00Z'));
});

afterAll(async () => {
  await browser?.close();
  await product?.destroy();
});

test('the alerts panel lists every alert with its state, firing first, as GET /v1/alerts answers', async () => {
  const api = (await call('GET', '/v1/alerts')).body.alerts as { id: string; state: { state: string; value: number | null } }[];
  expect(Object.fromEntries(api.map((a) => [a.id, a.state.state]))).toEqual({ busy: 'firing', 'was-busy': 'resolved', calm: 'ok' });

  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${product.url}/`);
  await page.fill('#admin-key', ADMIN_KEY);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('body[data-state="ready"]');

  const rows = await page.$$eval('#alerts-table tr[data-alert]', (trs) => trs.map((tr) => [tr.getAttribute('data-alert'), tr.getAttribute('data-state'), tr.getAttribute('data-value')]));
  expect(rows).toEqual(['busy', 'was-busy', 'calm'].map((id) => {
    const a = api.find((x) => x.id === id)!;
    return [id, a.state.state, a.state.value === null ? '' : String(a.state.value)];
  }));
  expect(await page.getAttribute('#alerts-firing', 'data-value')).toBe('1');
  expect(await page.textContent('#alerts-firing')).toBe('1 firing');
  expect(await page.textContent('#alerts-table tr[data-alert="was-busy"]')).toContain('≥ 2');
  expect(errors).toEqual([]);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await (await page.$('#alerts'))!.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-alerts.png') });
  await page.close();
});

test('a webhook on a loopback or private address is refused, as a destination\'s is (DESTINATIONS_ALLOW_PRIVATE off)', async () => {
  for (const url of ['http://127.0.0.1:8080/hook', 'http://10.1.2.3/hook', 'http://[::1]/hook', 'http://169.254.169.254/latest']) {
    const res = await call('PUT', '/v1/alerts/inward', { name: 'Inward', metric: 'nps_day', threshold: { op: 'lt', value: 0 }, webhook: { url, secret: 'x'.repeat(32) } });
    expect([res.status, res.body.code], url).toEqual([400, 'private_url']);
  }
  expect((await call('GET', '/v1/alerts/inward')).status).toBe(404);
});
