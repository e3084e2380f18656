import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CustomersOverview, CustomerView, DataQuality, PipelineHealth, SegmentSizes } from '../../pipeline/dashboard/dashboard-types.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { openClickHouse } from '../../pipeline/clickhouse/open-clickhouse.js';
import { P_ALIVE_BINS } from '../../pipeline/dashboard/churn-distribution.js';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { JOB_NAMES } from '../../segments/jobs/jobs.js';
import { launchChromium } from '../helpers/browser.js';
import { ADMIN_KEY, WRITE_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The dashboard against a real product: its admin-only API on an empty database, then the page in headless
// Chromium with customers, orders, refused events, job runs and segment runs behind it.

let product: TestProduct;
let browser: Browser;
let readKey: string;
const run = randomUUID().slice(0, 8);
const day = 86_400_000;
const SCREENSHOTS = path.join(projectRoot(), 'test-results');

const count = async (query: string) => Number((await product.sql<{ n: string | number }>(query))[0]!.n);
/** GET with a Bearer key; null sends no Authorization header. */
const api = (route: string, key: string | null = ADMIN_KEY) => fetch(`${product.url}${route}`, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
async function apiJson<T>(route: string): Promise<T> {
  const res = await api(route);
  expect(res.status, route).toBe(200);
  return (await res.json()) as T;
}

async function send(batch: Record<string, unknown>[]) {
  const res = await product.post('/v1/batch', { batch: batch.map((e) => ({ messageId: randomUUID(), ...e })) });
  expect(res.status).toBe(200);
  return res.body as { rejected?: unknown[] };
}

/** A page that records console errors and uncaught exceptions; `allowed` filters expected ones out. */
async function openPage(allowed: (text: string) => boolean = () => false): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !allowed(msg.text())) errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  await page.goto(`${product.url}/`);
  return { page, errors };
}

async function signIn(page: Page, key: string) {
  await page.fill('#admin-key', key);
  await page.click('#login-form button[type=submit]');
}

/** Pixels of a canvas that are not fully transparent: a drawn chart has many. */
function paintedPixels(page: Page, canvasId: string): Promise<number> {
  return page.evaluate((id) => {
    const canvas = document.getElementById(id) as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
    return painted;
  }, canvasId);
}

beforeAll(async () => {
  product = await startTestProduct();
  readKey = await product.keys.create('read', 'dashboard-test');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await product?.destroy();
});

describe('dashboard API', () => {
  test('the HTML shell and its bundles are served without a key, and hold no data', async () => {
    const page = await fetch(`${product.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('<script src="/dashboard.js"');
    expect(html).not.toContain(ADMIN_KEY);
    for (const [route, type] of [['/dashboard.js', /javascript/], ['/dashboard.css', /text\/css/]] as const) {
      const res = await fetch(`${product.url}${route}`);
      expect(res.status, route).toBe(200);
      expect(res.headers.get('content-type')).toMatch(type);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  test('every /v1/dashboard endpoint refuses a missing, unknown, write or read key', async () => {
    const routes = ['/v1/dashboard/pipeline', '/v1/dashboard/customers', '/v1/dashboard/segments', '/v1/dashboard/data-quality', '/v1/dashboard/destinations', '/v1/dashboard/customer?q=x'];
    for (const route of routes) {
      expect((await api(route, null)).status, route).toBe(401);
      expect((await api(route, 'ak_not_a_key')).status, route).toBe(401);
      expect((await api(route, WRITE_KEY)).status, route).toBe(401);
      const read = await api(route, readKey);
      expect(read.status, route).toBe(403);
      expect(await read.json()).toMatchObject({ success: false, code: 'forbidden' });
    }
  });

  test('answers on an empty database: zeros and empty states, not errors', async () => {
    const health = await apiJson<PipelineHealth>('/v1/dashboard/pipeline?hours=2');
    expect(health.minutes).toHaveLength(120);
    expect(health.accepted).toHaveLength(120);
    expect(health.accepted_total).toBe(0);
    expect(health.rejected).toEqual([]);
    expect(health.jobs).toEqual([]);
    expect(health.load_lag).toMatchObject({ events: 0, p50_ms: null, p95_ms: null, max_ms: null });
    expect(health.queue).toEqual({ waiting: expect.any(Number), active: expect.any(Number), delayed: expect.any(Number), failed: 0 });

    const customers = await apiJson<CustomersOverview>('/v1/dashboard/customers');
    expect(customers).toEqual({
      profiles: 0,
      rfm: { as_of: null, customers: 0, cells: [] },
      churn: { as_of: null, customers: 0, bins: new Array(P_ALIVE_BINS).fill(0), churn_flagged: 0, clv_total: 0 },
      recommendations: { as_of: null, customers: 0, products: [] },
      loyalty: { as_of: null, previous_as_of: null, members: 0, levels: [], months: [] },
    });
    expect(await apiJson<SegmentSizes>('/v1/dashboard/segments')).toEqual({ days: 90, segments: [] });
    const quality = await apiJson<DataQuality>('/v1/dashboard/data-quality');
    expect(quality).toMatchObject({ days: 7, series: [], total: 0, blocked: 0, top_events: [], top_paths: [] });
    expect(quality.buckets).toHaveLength(7);

    const missing = await api(`/v1/dashboard/customer?q=${encodeURIComponent('nobody@example.com')}`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ success: false, code: 'not_found' });
    expect((await api('/v1/dashboard/pipeline?hours=0')).status).toBe(400);
    expect((await api('/v1/dashboard/customer?q=')).status).toBe(400);
  });

  test('in Chromium: a refused key says why; the right key shows empty states without errors', async () => {
    // The refused fetch itself is logged by Chromium as a failed resource; that one is expected.
    const { page, errors } = await openPage((text) => /status of 401/.test(text));
    await signIn(page, 'ak_wrong');
    await page.waitForSelector('body[data-state="key-refused"]');
    expect(await page.textContent('#login-error')).toContain('refused the key');
    expect(await page.isHidden('#dashboard')).toBe(true);

    await signIn(page, ADMIN_KEY);
    await page.waitForSelector('body[data-state="ready"]');
    expect(await page.isVisible('#rfm-empty')).toBe(true);
    expect(await page.isVisible('#churn-empty')).toBe(true);
    expect(await page.isVisible('#segments-empty')).toBe(true);
    expect(await page.isVisible('#quality-empty')).toBe(true);
    expect(await page.getAttribute('#violations-total', 'data-value')).toBe('0');
    expect(await page.textContent('#job-runs tbody')).toContain('No job has run yet');
    expect(await page.getAttribute('#profile-count', 'data-value')).toBe('0');
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-empty.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('dashboard with data', () => {
  const now = Date.now();
  const ann = { userId: `ann-${run}`, anonymousId: `anon-ann-${run}`, email: `ann.${run}@example.com` };
  // Buyers within the RFM window: [user, [days ago, revenue][]].
  const buyers: [string, [number, number][]][] = [
    [ann.userId, [[3, 120], [30, 80], [60, 50]]],
    [`bob-${run}`, [[10, 40], [100, 60]]],
    [`cid-${run}`, [[200, 300]]],
    [`dee-${run}`, [[1, 20], [2, 25], [50, 30], [90, 10]]],
  ];
  const browserOnly = `anon-eve-${run}`;
  let accepted = 0;
  let rejected = 0;

  beforeAll(async () => {
    const orders = buyers.flatMap(([userId, list]) =>
      list.map(([ago, revenue], i) => ({
        type: 'track',
        userId,
        event: 'Order Completed',
        timestamp: new Date(now - ago * day).toISOString(),
        properties: { order_id: `${userId}-o${i}`, revenue, currency: 'EUR' },
      })),
    );
    const first = [
      ...orders,
      // Ann browses anonymously first: a second profile, merged into hers when she logs in below.
      { type: 'page', anonymousId: ann.anonymousId, name: 'Home', timestamp: new Date(now - 4 * day).toISOString(), properties: { url: 'https://shop.example/' } },
      { type: 'page', anonymousId: browserOnly, name: 'Sale', timestamp: new Date(now - day).toISOString() },
      // Refused: no user or anonymous id (twice), and a track without its event name.
      { type: 'track', event: 'Missing Ids' },
      { type: 'page', name: 'Nobody' },
      { type: 'track', userId: `bob-${run}` },
    ];
    const answer = await send(first);
    rejected += answer.rejected?.length ?? 0;
    accepted += first.length - (answer.rejected?.length ?? 0);
    expect(rejected).toBe(3);
    await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === accepted);
    const login = [{ type: 'identify', userId: ann.userId, anonymousId: ann.anonymousId, traits: { email: ann.email, name: 'Ann Example' } }];
    await send(login);
    accepted += login.length;
    await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === accepted);
    await product.waitForRows(`SELECT count() AS n FROM rejected_events`, (r) => Number((r[0] as { n: string }).n) === rejected);

    const jobs = await product.post('/v1/jobs/all/run', {}, { auth: `Bearer ${ADMIN_KEY}` });
    expect(jobs.status, JSON.stringify(jobs.body)).toBe(200);

    // Two segments through the segment API, each run as of two days ago, yesterday and now.
    const admin = { auth: `Bearer ${ADMIN_KEY}` };
    const segments = [
      { id: `seg-vip-${run}`, name: 'VIP buyers', conditions: { type: 'event', event: 'Order Completed', count: { op: 'gte', value: 3 } } },
      { id: `seg-lapsed-${run}`, name: 'Lapsed', conditions: { type: 'no_event', event: 'Order Completed', window: { within_days: 30 } } },
    ];
    for (const segment of segments) {
      const created = await product.post('/v1/segments', segment, admin);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      for (const ago of [2, 1, 0]) {
        const ran = await product.post(`/v1/segments/${segment.id}/run`, { as_of: new Date(now - ago * day).toISOString() }, admin);
        expect(ran.status, JSON.stringify(ran.body)).toBe(200);
      }
    }
  });

  test('the API figures match the data sent and SQL', async () => {
    const health = await apiJson<PipelineHealth>('/v1/dashboard/pipeline');
    expect(health.accepted_total).toBe(accepted);
    expect(health.rejected.reduce((n, r) => n + r.total, 0)).toBe(rejected);
    expect(health.rejected.map((r) => r.reason).sort()).toEqual(['invalid_event']);
    expect(health.load_lag.events).toBe(accepted);
    // The median and the maximum of every event's own received → loaded time (quantileExact takes the
    // element at ⌊n/2⌋ of the sorted lags).
    const lags = (await product.sql<{ lag: string }>(`SELECT greatest(dateDiff('millisecond', received_at, loaded_at), 0) AS lag FROM events`)).map((r) => Number(r.lag)).sort((a, b) => a - b);
    expect(lags).toHaveLength(accepted);
    expect(health.load_lag.p50_ms).toBe(lags[Math.floor(lags.length / 2)]);
    expect(health.load_lag.max_ms).toBe(lags.at(-1));
    const runs = await product.sql<{ job: string; status: string }>(`SELECT job, status FROM job_runs FINAL ORDER BY job`);
    expect(health.jobs.map((j) => ({ job: j.job, status: j.status })).sort((a, b) => a.job.localeCompare(b.job))).toEqual(runs);
    // Every job once (`all`), and three runs of each of the two segments.
    expect(runs.map((r) => r.status)).toEqual(Array(JOB_NAMES.length + 2 * 3).fill('succeeded'));

    const customers = await apiJson<CustomersOverview>('/v1/dashboard/customers');
    // Ann (her anonymous visit merged in), Bob, Cid, Dee and the anonymous visitor Eve.
    expect(customers.profiles).toBe(buyers.length + 1);
    expect(customers.profiles).toBe(await count('SELECT count() AS n FROM profiles'));
    expect(customers.rfm.customers).toBe(buyers.length);
    const revenue = buyers.flatMap(([, list]) => list.map(([, r]) => r)).reduce((a, b) => a + b, 0);
    expect(customers.rfm.cells.reduce((n, c) => n + c.revenue, 0)).toBeCloseTo(revenue, 6);
    const sqlCells = await product.sql<{ r: number; f: number; n: string }>(`SELECT r, f, count() AS n FROM rfm_current GROUP BY r, f ORDER BY r DESC, f`);
    expect(customers.rfm.cells.map((c) => ({ r: c.r, f: c.f, n: c.customers }))).toEqual(sqlCells.map((c) => ({ r: c.r, f: c.f, n: Number(c.n) })));
    expect(customers.churn.bins.reduce((a, b) => a + b, 0)).toBe(await count('SELECT count() AS n FROM churn_current'));
    expect(customers.churn.customers).toBe(buyers.length);

    const sizes = await apiJson<SegmentSizes>('/v1/dashboard/segments');
    const runSizes = await product.sql<{ name: string; sizes: string[] }>(
      `SELECT s.name AS name, arrayMap(x -> toString(x.2), arraySort(groupArray((r.seq, r.size)))) AS sizes FROM segment_runs AS r INNER JOIN segments_current AS s ON s.segment_id = r.segment_id GROUP BY name ORDER BY name`,
    );
    expect(runSizes.map((r) => r.sizes.length)).toEqual([3, 3]);
    expect(sizes.segments.map((s) => [s.name, s.points.map((p) => String(p.size))])).toEqual(runSizes.map((r) => [r.name, r.sizes]));

    const byAnon = await apiJson<CustomerView>(`/v1/dashboard/customer?q=${ann.anonymousId}`);
    expect(byAnon.matched.type).toBe('anonymous_id');
    expect(byAnon.identifiers).toEqual(expect.arrayContaining([{ type: 'email', value: ann.email }, { type: 'user_id', value: ann.userId }]));
    expect(byAnon.merges.length).toBeGreaterThan(0);
    expect(byAnon.segments.map((s) => s.name)).toEqual(['VIP buyers']);
    expect(byAnon.rfm?.frequency).toBe(3);
  });

  test('in Chromium: renders every section with data, finds a customer by email, without console errors', async () => {
    const { page, errors } = await openPage();
    await signIn(page, ADMIN_KEY);
    await page.waitForSelector('body[data-state="ready"]');

    // Pipeline health.
    expect(Number(await page.getAttribute('#accepted-total', 'data-value'))).toBe(accepted);
    expect(Number(await page.getAttribute('#rejected-total', 'data-value'))).toBe(rejected);
    expect(await page.textContent('#rejected-reasons tbody')).toContain('invalid_event');
    const jobRows = await page.$$eval('#job-runs tbody tr', (rows) => rows.map((r) => r.textContent ?? ''));
    expect(jobRows).toHaveLength(await count('SELECT count() AS n FROM job_runs FINAL'));
    for (const job of JOB_NAMES) expect(jobRows.some((r) => r.includes(job) && r.includes('succeeded'))).toBe(true);

    // Customers: the profile count and the RFM grid agree with SQL.
    expect(Number(await page.getAttribute('#profile-count', 'data-value'))).toBe(await count('SELECT count() AS n FROM profiles'));
    const cells = await page.$$eval('#rfm-grid td', (tds) => tds.map((td) => Number(td.getAttribute('data-customers'))));
    expect(cells).toHaveLength(25);
    expect(cells.reduce((a, b) => a + b, 0)).toBe(await count('SELECT count() AS n FROM rfm_current'));
    expect(await page.isHidden('#rfm-empty')).toBe(true);

    // Charts: drawn, and no empty states where there is data.
    for (const canvas of ['events-chart', 'churn-chart', 'segments-chart']) {
      expect(await paintedPixels(page, canvas), canvas).toBeGreaterThan(1000);
    }
    expect(await page.isHidden('#segments-empty')).toBe(true);
    expect(await page.getAttribute('#segments-box', 'data-series')).toBe('2');

    // Profile search by email: Ann's identities, segment and timeline.
    await page.fill('#search-value', ann.email.toUpperCase());
    await page.click('#search-form button[type=submit]');
    await page.waitForSelector('#search-result[data-state="found"]');
    const profileId = (await product.sql<{ p: string }>(`SELECT profile_id AS p FROM profile_identifiers WHERE identifier_type = 'email' AND identifier = '${ann.email}'`))[0]!.p;
    expect(await page.getAttribute('#search-result article', 'data-profile-id')).toBe(profileId);
    const identities = await page.textContent('#customer-identities');
    expect(identities).toContain(ann.email);
    expect(identities).toContain(ann.userId);
    expect(identities).toContain(ann.anonymousId);
    expect(await page.textContent('#customer-traits')).toContain('Ann Example');
    expect(await page.textContent('#customer-segments')).toContain('VIP buyers');
    const timeline = await page.$$eval('#customer-timeline tbody tr', (rows) => rows.map((r) => r.textContent ?? ''));
    expect(timeline).toHaveLength(await count(`SELECT count() AS n FROM events_resolved WHERE profile_id = '${profileId}'`));
    expect(timeline.filter((r) => r.includes('Order Completed'))).toHaveLength(buyers[0]![1].length);

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('data-quality panel', () => {
  // Two events sent through the tracking API, and the violations a plan would have recorded in them (the
  // loader that writes them at ingest is tested with it).
  const cart = { type: 'track', userId: `qa-${run}`, event: 'Cart Viewed', messageId: `qa-cart-${run}`, properties: { cart_id: `c-${run}`, total: 'twelve' } };
  const signup = { type: 'identify', userId: `qa-${run}`, messageId: `qa-signup-${run}`, traits: { email: 'not-an-email' } };

  beforeAll(async () => {
    await send([cart, signup]);
    await product.waitForRows(`SELECT count() AS n FROM events WHERE message_id IN ('${cart.messageId}', '${signup.messageId}')`, (r) => Number((r[0] as { n: string }).n) === 2);
    const clickhouse = await openClickHouse(product.config);
    try {
      const row = (messageId: string, type: string, event: string, violation: string, path: string, message: string) => ({
        message_id: messageId, profile_id: '', source_id: 'web', plan_id: 'shop-v3', plan_version: 2, type, event, violation, path, message, received_at: chTime(Date.now() - 60_000),
      });
      await clickhouse.insert({
        table: `${product.config.CLICKHOUSE_DATABASE}.tracking_violations`,
        format: 'JSONEachRow',
        values: [
          row(cart.messageId, 'track', 'Cart Viewed', 'datatype_mismatch', '/total', 'must be number'),
          row(cart.messageId, 'track', 'Cart Viewed', 'additional_property', '/cart_id', 'must NOT have additional properties'),
          row(signup.messageId, 'identify', '', 'format_mismatch', '/email', 'must match format "email"'),
        ],
      });
    } finally {
      await clickhouse.close();
    }
  });

  test('in Chromium: violations by plan and type, the top events and paths with an example payload', async () => {
    const { page, errors } = await openPage();
    await signIn(page, ADMIN_KEY);
    await page.waitForSelector('body[data-state="ready"]');
    expect(await page.getAttribute('#violations-total', 'data-value')).toBe('3');
    expect(await page.isHidden('#quality-empty')).toBe(true);
    expect(await page.getAttribute('#quality-details', 'data-series')).toBe('3');
    expect(await paintedPixels(page, 'quality-chart')).toBeGreaterThan(1000);
    const events = await page.$$eval('#offending-events tbody tr', (rows) => rows.map((r) => r.textContent ?? ''));
    expect(events).toHaveLength(2);
    expect(events[0]).toContain('Cart Viewed');
    expect(events[0]).toContain('shop-v3');
    const paths = await page.$$eval('#offending-paths tbody tr', (rows) => rows.map((r) => r.textContent ?? ''));
    expect(paths).toHaveLength(3);
    expect(paths.join('\n')).toContain('must match format "email"');
    // The example payload: the event's properties (traits for an identify), as stored.
    const payloads = await page.$$eval('#offending-events details.payload pre', (pres) => pres.map((p) => JSON.parse(p.textContent ?? 'null')));
    expect(payloads).toEqual([cart.properties, signup.traits]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
