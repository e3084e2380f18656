import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { launchChromium } from '../helpers/browser.js';
import { basicAuth, startTestProduct, WRITE_KEY, type TestProduct } from '../helpers/test-product.js';

// Segment's browser SDK, @segment/analytics-next, unchanged, in a real headless Chromium on a shop page of
// another origin, loaded with exactly the options of the README. Events are read back from ClickHouse, and
// the page may reach nothing but the shop and the API (no Segment CDN, no api.segment.io).

const README_KEY = "'wk_...'";
const README_HOST = "apiHost: 'cdp.example.com/v1', protocol: 'https'";

/** The analytics-next code block of the README's "Pointing Segment or RudderStack SDKs at it" section. */
function readmeLoadCode(): string {
  const readme = readFileSync(path.join(projectRoot(), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Pointing Segment or RudderStack SDKs at it'));
  const code = /```js\n(import \{ AnalyticsBrowser \} from '@segment\/analytics-next';[\s\S]*?)```/.exec(section)?.[1];
  if (!code || !code.includes(README_KEY) || !code.includes(README_HOST)) {
    throw new Error(`the README has no analytics-next block loading with ${README_KEY} and ${README_HOST}`);
  }
  return code;
}

let product: TestProduct;
let browser: Browser;
let shop: Server;
let shopOrigin: string;

/** The README's code with this test's write key and API, bundled for the browser; the SDK is `window.shop.analytics`. */
async function shopScript(): Promise<string> {
  const code = readmeLoadCode()
    .replace(README_KEY, JSON.stringify(WRITE_KEY))
    .replace(README_HOST, `apiHost: '${new URL(product.url).host}/v1', protocol: 'http'`);
  const out = await build({
    stdin: { contents: code, resolveDir: projectRoot(), loader: 'js' },
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'shop',
    platform: 'browser',
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

beforeAll(async () => {
  [product, browser] = await Promise.all([startTestProduct(), launchChromium()]);
  const script = await shopScript();
  shop = createServer((req, res) => {
    if (req.url === '/shop.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><head><title>Boots | Shop</title><script src="/shop.js"></script></head><body><h1>Boots</h1></body></html>');
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  // localhost vs the API's 127.0.0.1: another origin, as a shop's own domain is.
  shopOrigin = `http://localhost:${(shop.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => shop?.close(resolve));
  await product?.destroy();
});

test('@segment/analytics-next delivers identify, track and page from the browser', async () => {
  const context = await browser.newContext();
  const elsewhere: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${shopOrigin}/`) || url.startsWith(`${product.url}/`)) return route.continue();
    elsewhere.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  const apiCalls: string[] = [];
  page.on('requestfinished', (req) => {
    if (req.url().startsWith(product.url) && req.method() === 'POST') apiCalls.push(`${new URL(req.url()).pathname} ${req.headers().authorization}`);
  });
  await page.goto(`${shopOrigin}/products/boots`);
  // Loaded from the given settings alone: a settings fetch from Segment's CDN would be aborted and fail the load.
  const loaded = await page.evaluate(async () => {
    try {
      await (window as unknown as { shop: { analytics: PromiseLike<unknown> } }).shop.analytics;
      return 'loaded';
    } catch (err) {
      return `load failed: ${String(err)}`;
    }
  });
  expect({ loaded, elsewhere }).toEqual({ loaded: 'loaded', elsewhere: [] });

  const userId = `next-${randomUUID()}`;
  await page.evaluate(async (userId) => {
    type Call = (...args: unknown[]) => Promise<unknown>;
    const { analytics } = (window as unknown as { shop: { analytics: { identify: Call; track: Call; page: Call } } }).shop;
    await analytics.identify(userId, { email: 'next@example.com', plan: 'pro' });
    await analytics.track('Order Completed', { order_id: 'next-1', revenue: 42.5, currency: 'USD' });
    await analytics.page('Shop', 'Boots', { product_id: 'boots-1' });
  }, userId);

  const rows = await product.waitForRows<Record<string, string>>(
    `SELECT type, event, name, anonymous_id, message_id, order_id, toString(revenue) AS revenue, currency, url, properties, traits, context
     FROM events WHERE user_id = '${userId}' ORDER BY type`,
    (r) => r.length === 3,
  );
  const byType = Object.fromEntries(rows.map((r) => [r.type, r]));
  expect(Object.keys(byType)).toEqual(['identify', 'page', 'track']);
  expect(JSON.parse(byType.identify!.traits!)).toEqual({ email: 'next@example.com', plan: 'pro' });
  expect(byType.track).toMatchObject({ event: 'Order Completed', order_id: 'next-1', revenue: '42.5', currency: 'USD' });
  expect(byType.page!.name).toBe('Boots');
  expect(JSON.parse(byType.page!.properties!)).toMatchObject({ category: 'Shop', product_id: 'boots-1', url: `${shopOrigin}/products/boots`, path: '/products/boots' });
  expect(byType.page!.url).toBe(`${shopOrigin}/products/boots`);
  // One visitor: analytics.js's own anonymous id on every event, and its own message ids kept.
  const anonymousIds = new Set(rows.map((r) => r.anonymous_id));
  expect(anonymousIds.size).toBe(1);
  expect([...anonymousIds][0]).toMatch(/^[0-9a-f-]{36}$/);
  for (const r of rows) expect(r.message_id).toMatch(/^ajs-next-/);
  const ctx = JSON.parse(byType.track!.context!);
  expect(ctx.library.name).toBe('analytics.js');
  expect(ctx.page.title).toBe('Boots | Shop');

  // Each call on its one-letter path, the write key in Basic auth; nothing else left the page.
  expect(apiCalls.sort()).toEqual(['/v1/i', '/v1/p', '/v1/t'].map((p) => `${p} ${basicAuth(WRITE_KEY)}`));
  expect(elsewhere).toEqual([]);
  expect(errors).toEqual([]);
  await context.close();
});
