import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { launchChromium } from '../helpers/browser.js';
import { ADMIN_KEY, startTestProduct, tempDir, WRITE_KEY, type TestProduct } from '../helpers/test-product.js';

// The browser snippet in a real headless Chromium, on a shop page served from another origin than the API,
// with the loader snippet exactly as the README shows it. Events are read back from ClickHouse.

const README_HOST = 'https://cdp.example.com';
const README_LOAD = `cdp.load("YOUR_WRITE_KEY", { apiHost: "${README_HOST}" });`;

/** The loader snippet of the README's "Browser snippet" section. */
function readmeSnippet(): string {
  const readme = readFileSync(path.join(projectRoot(), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Browser snippet'));
  const snippet = /```html\n<script>\n([\s\S]*?)<\/script>\n```/.exec(section)?.[1];
  if (!snippet || !snippet.includes(README_LOAD)) throw new Error(`the README's Browser snippet section has no loader snippet ending in ${README_LOAD}`);
  return snippet;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const apiPort = await freePort();
const dataDir = tempDir();
// Fixed for the product and its restart, so that both use the same queue in the same (persistent) Redis.
const env = { PORT: String(apiPort), QUEUE_PREFIX: `{snippet${randomBytes(4).toString('hex')}}` };

let product: TestProduct;
let browser: Browser;
let shop: Server;
let shopOrigin: string;
// The options the shop's pages give cdp.load; a test sets them before it opens pages.
let loadOptions: Record<string, unknown> = {};
const snippet = readmeSnippet();

/**
 * The shop: every page carries the loader snippet, except /elsewhere (a page without tracking to navigate
 * to). Pages under /preload make a call right after the snippet, before cdp.js can have run; pages under
 * /preconsent state consent there.
 */
function shopPage(url: string): string {
  if (url.startsWith('/elsewhere')) return '<!doctype html><title>Elsewhere</title><p>no tracking here</p>';
  // The README's load line (checked present by readmeSnippet) with the test's write key and options.
  const loader = snippet
    .replace(README_LOAD, `cdp.load(${JSON.stringify(WRITE_KEY)}, ${JSON.stringify({ apiHost: product.url, ...loadOptions })});`)
    .replaceAll(README_HOST, product.url);
  const preload = url.startsWith('/preload')
    ? `<script>window.stubWasQueued = Array.isArray(window.cdp); cdp.track('Clicked Before Load', { button: 'hero' });</script>`
    : url.startsWith('/preconsent')
      ? `<script>window.stubWasQueued = Array.isArray(window.cdp); cdp.consent({ marketing: true, analytics: false, ads: 'maybe' });</script>`
      : '';
  return `<!doctype html><html><head><title>Boots | Shop</title><script>${loader}</script>${preload}</head><body><h1>Boots</h1></body></html>`;
}

beforeAll(async () => {
  [product, browser] = await Promise.all([startTestProduct({ dataDir, env }), launchChromium()]);
  shop = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(shopPage(req.url ?? '/'));
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  // localhost vs the API's 127.0.0.1: another origin, as a shop's own domain is.
  shopOrigin = `http://localhost:${(shop.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => shop?.close(resolve));
  await product?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  /** Uncaught exceptions in the page; each test ends by checking there were none. */
  errors: string[];
  /** console.error lines: failed requests show up here, so only tests of an outage or a refusal may have them. */
  consoleErrors: string[];
  requestsMayFail: boolean;
  warnings: string[];
}
const opened: Opened[] = [];

async function open(context: BrowserContext, pagePath: string, o2: { origin?: string; referer?: string; requestsMayFail?: boolean } = {}): Promise<Opened> {
  const page = await context.newPage();
  const o: Opened = { page, errors: [], consoleErrors: [], warnings: [], requestsMayFail: o2.requestsMayFail ?? false };
  page.on('pageerror', (err) => o.errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') o.consoleErrors.push(msg.text());
    if (msg.type() === 'warning') o.warnings.push(msg.text());
  });
  opened.push(o);
  await page.goto(`${o2.origin ?? shopOrigin}${pagePath}`, { referer: o2.referer });
  return o;
}

afterEach(() => {
  for (const o of opened.splice(0)) {
    expect(o.errors).toEqual([]);
    if (!o.requestsMayFail) expect(o.consoleErrors).toEqual([]);
  }
});

/** The visitor's anonymous id, from the cookie and from localStorage (which must agree). */
async function anonymousId(context: BrowserContext, page: Page): Promise<string> {
  const cookie = (await context.cookies(shopOrigin)).find((c) => c.name === 'cdp_anonymous_id')?.value;
  const stored = await page.evaluate(() => localStorage.getItem('cdp_anonymous_id'));
  expect(cookie).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(stored).toBe(cookie);
  return cookie!;
}

const queued = (page: Page) => page.evaluate(() => (JSON.parse(localStorage.getItem('cdp_queue') ?? '{"items":[]}') as { items: { event?: string }[] }).items);

test('GET /cdp.js: the script, for any origin, gzipped, with an ETag', async () => {
  const res = await fetch(`${product.url}/cdp.js`, { headers: { 'accept-encoding': 'gzip' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
  expect(res.headers.get('content-encoding')).toBe('gzip');
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  const built = readFileSync(path.join(projectRoot(), 'dist', 'web', 'cdp.js'), 'utf8');
  expect(await res.text()).toBe(built);
  const again = await fetch(`${product.url}/cdp.js`, { headers: { 'if-none-match': res.headers.get('etag')! } });
  expect(again.status).toBe(304);
});

test('page on load: the cookie anonymous id, page context, campaign and device; a call made before the script loaded arrives', async () => {
  loadOptions = {};
  const context = await browser.newContext();
  const search = '?utm_source=newsletter&utm_medium=email&utm_campaign=spring&utm_term=boots&utm_content=hero';
  const { page } = await open(context, `/preload/boots${search}`, { referer: 'http://search.example/' });
  expect(await page.evaluate(() => (window as unknown as { stubWasQueued: boolean }).stubWasQueued)).toBe(true);
  const anon = await anonymousId(context, page);
  const device = await page.evaluate(() => ({ userAgent: navigator.userAgent, locale: navigator.language, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone }));

  const rows = await product.waitForRows<Record<string, string>>(
    `SELECT type, event, message_id, user_id, url, path, referrer, campaign_source, campaign_medium, campaign_name, campaign_term, campaign_content,
            user_agent, properties, context, sent_at IS NOT NULL AS has_sent_at
     FROM events WHERE anonymous_id = '${anon}' ORDER BY type`,
    (r) => r.length === 2,
  );
  const url = `${shopOrigin}/preload/boots${search}`;
  const [pageRow, trackRow] = rows;
  for (const row of rows) {
    expect(row).toMatchObject({
      user_id: '',
      url,
      path: '/preload/boots',
      referrer: 'http://search.example/',
      campaign_source: 'newsletter',
      campaign_medium: 'email',
      campaign_name: 'spring',
      campaign_term: 'boots',
      campaign_content: 'hero',
      user_agent: device.userAgent,
      has_sent_at: 1,
    });
    expect(row!.message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(row!.context!)).toMatchObject({
      library: { name: 'cdp.js', version: expect.any(String) },
      ...device,
      page: { path: '/preload/boots', referrer: 'http://search.example/', search, title: 'Boots | Shop', url },
      campaign: { source: 'newsletter', medium: 'email', name: 'spring', term: 'boots', content: 'hero' },
    });
  }
  expect(pageRow).toMatchObject({ type: 'page' });
  expect(JSON.parse(pageRow!.properties!)).toEqual({ path: '/preload/boots', referrer: 'http://search.example/', search, title: 'Boots | Shop', url });
  expect(trackRow).toMatchObject({ type: 'track', event: 'Clicked Before Load' });
  expect(JSON.parse(trackRow!.properties!)).toEqual({ button: 'hero' });
  await context.close();
});

test('the id cookie is set on the site domain and shared by its subdomains; cookie and localStorage restore each other', async () => {
  loadOptions = {};
  const context = await browser.newContext();
  const port = new URL(shopOrigin).port;
  const www = await open(context, '/home', { origin: `http://www.shop.localhost:${port}` });
  const anon = (await context.cookies(`http://www.shop.localhost:${port}`)).find((c) => c.name === 'cdp_anonymous_id');
  expect(anon).toMatchObject({ domain: '.shop.localhost', path: '/', sameSite: 'Lax' });
  expect(await www.page.evaluate(() => localStorage.getItem('cdp_anonymous_id'))).toBe(anon!.value);

  // Another subdomain has its own (empty) localStorage: the cookie restores it.
  const checkout = await open(context, '/checkout', { origin: `http://checkout.shop.localhost:${port}` });
  expect(await checkout.page.evaluate(() => localStorage.getItem('cdp_anonymous_id'))).toBe(anon!.value);

  // Cookies cleared: localStorage restores the cookie.
  await context.clearCookies();
  await checkout.page.reload();
  expect((await context.cookies(`http://checkout.shop.localhost:${port}`)).find((c) => c.name === 'cdp_anonymous_id')?.value).toBe(anon!.value);
  await product.waitForRows(`SELECT 1 FROM events WHERE anonymous_id = '${anon!.value}' AND type = 'page'`, (r) => r.length === 3);
  await context.close();
});

test('a single-page app: pushState and back are pages with the page before as referrer; an anchor is not', async () => {
  loadOptions = { flushInterval: 200 };
  const context = await browser.newContext();
  const { page } = await open(context, '/spa');
  const anon = await anonymousId(context, page);
  const pages = (n: number) =>
    product.waitForRows<{ path: string; referrer: string; url: string }>(
      `SELECT path, referrer, url FROM events WHERE anonymous_id = '${anon}' AND type = 'page' ORDER BY timestamp`,
      (r) => r.length === n,
    );
  await pages(1);
  await page.evaluate(() => {
    location.hash = 'reviews';
  });
  await page.evaluate(() => history.pushState({}, '', '/products/42?color=red'));
  await pages(2);
  await page.evaluate(() => history.back());
  const rows = await pages(3);
  expect(rows).toEqual([
    { path: '/spa', referrer: '', url: `${shopOrigin}/spa` },
    { path: '/products/42', referrer: `${shopOrigin}/spa`, url: `${shopOrigin}/products/42?color=red` },
    { path: '/spa', referrer: `${shopOrigin}/products/42?color=red`, url: `${shopOrigin}/spa` },
  ]);
  // A marker sent after all of it: once it is in, a page for the anchor would be too.
  await page.evaluate(() => window.cdp.track('Marker'));
  await product.waitForRows(`SELECT 1 FROM events WHERE anonymous_id = '${anon}' AND event = 'Marker'`, (r) => r.length === 1);
  expect(await product.sql(`SELECT 1 FROM events WHERE anonymous_id = '${anon}' AND type = 'page'`)).toHaveLength(3);
  await context.close();
});

test('login links the earlier anonymous events to the customer; the user survives a reload; reset starts a new visitor', async () => {
  loadOptions = { flushInterval: 200 };
  const context = await browser.newContext();
  const { page } = await open(context, '/account');
  const before = await anonymousId(context, page);
  const userId = `u-${randomUUID()}`;
  await page.evaluate((id) => {
    window.cdp.track('Product Viewed', { product_id: 'p-1' });
    window.cdp.identify(id, { email: `${id}@example.com`, plan: 'basic' });
    window.cdp.identify({ plan: 'gold' });
    window.cdp.track('Order Completed', { order_id: 'o-1', revenue: 89.9 });
  }, userId);
  await product.waitForRows(`SELECT 1 FROM events WHERE user_id = '${userId}'`, (r) => r.length === 3);
  expect(await page.evaluate(() => localStorage.getItem('cdp_user_id'))).toBe(userId);

  await page.reload();
  expect(await anonymousId(context, page)).toBe(before);
  await product.waitForRows(`SELECT 1 FROM events WHERE user_id = '${userId}' AND type = 'page'`, (r) => r.length === 1);

  await page.evaluate(() => window.cdp.reset());
  const after = await anonymousId(context, page);
  expect(after).not.toBe(before);
  expect(await page.evaluate(() => [localStorage.getItem('cdp_user_id'), localStorage.getItem('cdp_user_traits')])).toEqual([null, null]);
  expect((await context.cookies(shopOrigin)).map((c) => c.name)).not.toContain('cdp_user_id');
  await page.evaluate(() => window.cdp.track('After Logout'));

  const rows = await product.waitForRows<{ type: string; event: string; anonymous_id: string; user_id: string; profile_id: string; traits: string }>(
    `SELECT type, event, anonymous_id, user_id, profile_id, traits FROM events_resolved WHERE anonymous_id IN ('${before}', '${after}')`,
    (r) => r.length === 7,
  );
  // Events of one call batch can share a millisecond: compared as sorted lists, not by time.
  const visitor = (r: (typeof rows)[number]) => (r.anonymous_id === before ? 'before' : 'after');
  expect(rows.map((r) => [visitor(r), r.type, r.event, r.user_id].join(' | ')).sort()).toEqual([
    `after | track | After Logout | `,
    `before | identify |  | ${userId}`,
    `before | identify |  | ${userId}`,
    `before | page |  | `,
    `before | page |  | ${userId}`,
    `before | track | Order Completed | ${userId}`,
    `before | track | Product Viewed | `,
  ]);
  const customer = new Set(rows.filter((r) => visitor(r) === 'before').map((r) => r.profile_id));
  expect(customer.size).toBe(1);
  const afterLogout = rows.find((r) => visitor(r) === 'after')!.profile_id;
  expect(afterLogout).toMatch(/^p_/);
  expect(customer.has(afterLogout)).toBe(false);
  expect(rows.filter((r) => r.type === 'identify').map((r) => JSON.parse(r.traits)).sort((a, b) => a.plan.localeCompare(b.plan))).toEqual([
    { email: `${userId}@example.com`, plan: 'basic' },
    { email: `${userId}@example.com`, plan: 'gold' },
  ]);
  await context.close();
});

test('API down: events wait in the bounded localStorage queue, are retried, and arrive once after it comes back', async () => {
  loadOptions = { maxRetryDelay: 2000, maxQueueSize: 2 };
  const context = await browser.newContext();
  const { page } = await open(context, '/outage', { requestsMayFail: true });
  const anon = await anonymousId(context, page);
  await product.waitForRows(`SELECT 1 FROM events WHERE anonymous_id = '${anon}'`, (r) => r.length === 1);

  await product.stop();
  const failed = page.waitForEvent('requestfailed', (req) => req.url() === `${product.url}/v1/batch`);
  await page.evaluate(() => {
    for (const n of [1, 2, 3]) window.cdp.track('While Down', { n });
  });
  // Over the bound of 2: the oldest is dropped, and counted.
  const queue = await page.evaluate(() => JSON.parse(localStorage.getItem('cdp_queue')!) as { items: { properties: { n: number } }[]; dropped: number });
  expect(queue.items.map((m) => m.properties.n)).toEqual([2, 3]);
  expect(queue.dropped).toBe(1);
  await failed;
  // A second failed attempt: the events were really retried while the API was away.
  await page.waitForEvent('requestfailed', (req) => req.url() === `${product.url}/v1/batch`);

  product = await startTestProduct({ dataDir, env });
  const rows = await product.waitForRows<{ n: number; dropped: number }>(
    `SELECT JSONExtractInt(properties, 'n') AS n, JSONExtractInt(context, 'droppedEvents') AS dropped
     FROM events WHERE anonymous_id = '${anon}' AND event = 'While Down' ORDER BY n`,
    (r) => r.length >= 2,
  );
  // Each once, and the drop reported on the first event sent after it.
  expect(rows.map((r) => [Number(r.n), Number(r.dropped)])).toEqual([
    [2, 1],
    [3, 0],
  ]);
  await page.waitForFunction(() => JSON.parse(localStorage.getItem('cdp_queue')!).items.length === 0);
  expect(await page.evaluate(() => JSON.parse(localStorage.getItem('cdp_queue')!).dropped)).toBe(0);
  await context.close();
});

test('the unload beacon: the last events of a page arrive when it is left or closed', async () => {
  // No batch would leave by size or by timer during the test: only the unload path can send them.
  loadOptions = { flushAt: 1000, flushInterval: 600_000 };
  const context = await browser.newContext();
  const { page } = await open(context, '/checkout');
  const anon = await anonymousId(context, page);
  // The page call goes at load, with whatever an earlier page left; later events wait.
  await page.waitForFunction(() => (JSON.parse(localStorage.getItem('cdp_queue')!) as { items: unknown[] }).items.length === 0);
  await page.evaluate(() => window.cdp.track('Left Page'));
  expect((await queued(page)).map((m) => m.event)).toEqual(['Left Page']);
  await page.goto(`${shopOrigin}/elsewhere`);
  await product.waitForRows(`SELECT 1 FROM events WHERE anonymous_id = '${anon}' AND event = 'Left Page'`, (r) => r.length === 1);
  // Handed to the beacon, they are not left for the next page to send again.
  expect(await queued(page)).toEqual([]);

  const second = await open(context, '/cart');
  await second.page.evaluate(() => window.cdp.track('Closed Tab'));
  await second.page.close({ runBeforeUnload: true });
  await product.waitForRows(`SELECT 1 FROM events WHERE anonymous_id = '${anon}' AND event = 'Closed Tab'`, (r) => r.length === 1);
  await context.close();
});

test('refusals are final and said in debug mode; bad calls never throw into the page', async () => {
  loadOptions = { debug: true, autoPage: false, flushAt: 1 };
  const context = await browser.newContext();
  const o = await open(context, '/debug', { requestsMayFail: true });
  const anon = await anonymousId(context, o.page);
  const refused = o.page.waitForEvent('console', (msg) => msg.type() === 'warning' && msg.text().includes('the API refused events (400)'));
  const result = await o.page.evaluate(() => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    window.cdp.track('');
    window.cdp.track('Circular', circular);
    (window.cdp.page as (...a: unknown[]) => void)(null, 5, 'x');
    window.cdp.load('', {});
    return 'no exception';
  });
  expect(result).toBe('no exception');
  const warning = await refused;
  expect(warning.text()).toContain('event is required for track');
  expect(o.warnings.some((w) => w.includes('cannot be serialized to JSON'))).toBe(true);
  expect(o.warnings.some((w) => w.includes('load was called twice'))).toBe(true);
  // The refused event is gone from the queue, not retried; later events still go.
  await o.page.waitForFunction(() => (JSON.parse(localStorage.getItem('cdp_queue')!) as { items: unknown[] }).items.length === 0);
  await o.page.evaluate(() => window.cdp.track('After Refusal'));
  const rows = await product.waitForRows<{ type: string; event: string }>(
    `SELECT type, event FROM events WHERE anonymous_id = '${anon}' AND (type = 'page' OR event = 'After Refusal') ORDER BY timestamp`,
    (r) => r.some((x) => x.event === 'After Refusal'),
  );
  expect(rows).toEqual([
    { type: 'page', event: '' },
    { type: 'track', event: 'After Refusal' },
  ]);
  await context.close();
});

test('consent: stated before the script loaded it goes with every event, the first page view included; a change is an event; kept across pages and a logout', async () => {
  loadOptions = { flushInterval: 200 };
  const context = await browser.newContext();
  const { page } = await open(context, '/preconsent/home');
  expect(await page.evaluate(() => (window as unknown as { stubWasQueued: boolean }).stubWasQueued)).toBe(true);
  const anon = await anonymousId(context, page);
  const consentOf = (context: string) => (JSON.parse(context) as { consent?: { categoryPreferences: Record<string, boolean> } }).consent?.categoryPreferences;
  const events = (n: number) =>
    product.waitForRows<{ type: string; event: string; context: string }>(
      `SELECT type, event, context FROM events WHERE anonymous_id = '${anon}' ORDER BY timestamp, type`,
      (r) => r.length === n,
    );
  const first = await events(2);
  // A value that is not a boolean says nothing.
  expect(first.map((r) => [r.type, r.event, consentOf(r.context)])).toEqual([
    ['page', '', { marketing: true, analytics: false }],
    ['track', 'Segment Consent Preference Updated', { marketing: true, analytics: false }],
  ]);
  expect(await page.evaluate(() => JSON.parse(localStorage.getItem('cdp_consent')!))).toEqual({ marketing: true, analytics: false });

  // A later call merges with what was stated; the same preferences again are no change and send nothing.
  await page.evaluate(() => {
    window.cdp.consent({ marketing: false });
    window.cdp.consent({ marketing: false, analytics: false });
    window.cdp.track('Product Viewed', {});
  });
  const changed = await events(4);
  // Both calls can carry the same millisecond, so their order in the table is not theirs: compared by name.
  const byEvent = <R extends { event: string }>(rows: R[]) => [...rows].sort((a, b) => a.event.localeCompare(b.event));
  expect(byEvent(changed.slice(2)).map((r) => [r.type, r.event, consentOf(r.context)])).toEqual([
    ['track', 'Product Viewed', { marketing: false, analytics: false }],
    ['track', 'Segment Consent Preference Updated', { marketing: false, analytics: false }],
  ]);

  // The next page states marketing again (the preconsent page does): a change, an event. Another page and a
  // logout keep the preferences; bad calls never throw.
  await page.goto(`${shopOrigin}/preconsent/next`);
  await events(6);
  await page.goto(`${shopOrigin}/plain`);
  await events(7);
  const afterReset = await page.evaluate(() => {
    (window.cdp.consent as (...a: unknown[]) => void)('marketing');
    (window.cdp.consent as (...a: unknown[]) => void)(null);
    window.cdp.reset();
    window.cdp.track('After Logout');
    return localStorage.getItem('cdp_anonymous_id');
  });
  const [logout] = await product.waitForRows<{ context: string }>(`SELECT context FROM events WHERE anonymous_id = '${afterReset}' AND event = 'After Logout'`, (r) => r.length === 1);
  expect(consentOf(logout!.context)).toEqual({ marketing: true, analytics: false });
  const all = await events(7);
  expect(all.slice(4).map((r) => [r.type, r.event, consentOf(r.context)])).toEqual([
    ['page', '', { marketing: true, analytics: false }],
    ['track', 'Segment Consent Preference Updated', { marketing: true, analytics: false }],
    ['page', '', { marketing: true, analytics: false }],
  ]);

  // The loader kept the latest statement for the visitor's profile.
  const [profile] = await product.sql<{ profile_id: string }>(`SELECT any(profile_id) AS profile_id FROM events WHERE anonymous_id = '${anon}'`);
  const res = await fetch(`${product.url}/v1/profiles/${profile!.profile_id}?events=0`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  const body = (await res.json()) as { consent: Record<string, { granted: boolean }> };
  expect(Object.fromEntries(Object.entries(body.consent).map(([c, s]) => [c, s.granted]))).toEqual({ marketing: true, analytics: false });
  await context.close();
});

declare global {
  interface Window {
    cdp: {
      consent(preferences: Record<string, boolean>): void;
      track(event: string, properties?: Record<string, unknown>): void;
      identify(userId: string | Record<string, unknown>, traits?: Record<string, unknown>): void;
      page(...args: unknown[]): void;
      load(writeKey: string, options?: Record<string, unknown>): void;
      reset(): void;
    };
  }
}
