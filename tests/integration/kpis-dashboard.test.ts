import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { openDashboard } from '../helpers/dashboard-page.js';
import { runJobThroughApi } from '../helpers/churn-fixtures.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The dashboard's decision board in headless Chromium: each figure it shows (carried in data-* attributes)
// equals the row of kpi_values / kpi_cohorts the SQL reads, for months and, after switching, weeks. A small
// shop over May and June 2026 (UTC): orders, a campaign touch, NPS answers and a complaint.

let product: TestProduct;
let browser: Browser;
const AS_OF = '2026-06-20T00:00:00.000Z';

const order = (userId: string, id: string, revenue: number, at: string) => ({ type: 'track', userId, event: 'Order Completed', timestamp: at, properties: { order_id: id, revenue } });

beforeAll(async () => {
  product = await startTestProduct();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await product?.destroy();
});

/** metric → value of one period of kpi_values (the whole shop). */
async function sqlFigures(period: string, start: string): Promise<Record<string, number>> {
  const rows = await product.sql<{ metric: string; value: number }>(
    `SELECT metric, value FROM kpi_values WHERE as_of = '2026-06-20 00:00:00.000' AND period = '${period}' AND period_start = '${start}' AND dimension = ''`,
  );
  return Object.fromEntries(rows.map((r) => [r.metric, Number(r.value)]));
}

/** The tiles as metric → [value, previous] (null where the tile shows none). */
const tiles = (page: Page): Promise<Record<string, (number | null)[]>> =>
  page.$$eval('#kpi-tiles .tile', (els) =>
    Object.fromEntries(els.map((e) => [e.getAttribute('data-metric'), [e.getAttribute('data-value'), e.getAttribute('data-previous')].map((v) => (v === '' || v === null ? null : Number(v)))])),
  );

test('before the kpis job ran, the board says what to run', async () => {
  const { page, errors } = await openDashboard(browser, product.url, { timezoneId: 'UTC' });
  expect(await page.isVisible('#kpi-empty')).toBe(true);
  expect(await page.isHidden('#kpi-details')).toBe(true);
  expect(errors).toEqual([]);
  await page.close();
});

test('months, then weeks: tiles with the previous period, cohorts, channels, NPS and complaints equal the SQL', async () => {
  const batch = [
    { type: 'page', userId: 'ann', name: 'Landing', timestamp: '2026-05-01T10:00:00Z', context: { campaign: { source: 'google', medium: 'cpc', name: 'spring' } } },
    order('ann', 'a1', 100, '2026-05-02T10:00:00Z'),
    order('bob', 'b1', 50, '2026-05-20T10:00:00Z'),
    order('ann', 'a2', 30, '2026-06-03T10:00:00Z'),
    order('cat', 'c1', 70, '2026-06-16T10:00:00Z'),
    { type: 'track', userId: 'ann', event: 'Survey Responded', timestamp: '2026-06-04T10:00:00Z', properties: { survey: 'nps', score: 10 } },
    { type: 'track', userId: 'bob', event: 'Survey Responded', timestamp: '2026-06-05T10:00:00Z', properties: { survey: 'nps', score: 3 } },
    { type: 'track', userId: 'cat', event: 'Complaint Opened', timestamp: '2026-06-17T10:00:00Z', properties: { complaint_id: 'k1', category: 'delivery' } },
  ];
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === batch.length);
  await runJobThroughApi(product, ADMIN_KEY, 'kpis', AS_OF);

  const { page, errors } = await openDashboard(browser, product.url, { timezoneId: 'UTC' });
  expect(await page.isVisible('#kpi-details')).toBe(true);
  const june = await sqlFigures('month', '2026-06-01');
  const may = await sqlFigures('month', '2026-05-01');
  expect(june).toMatchObject({ orders: 2, revenue: 100, nps: 0, complaints_open: 1 });
  const shown = await tiles(page);
  for (const [metric, [now, before]] of Object.entries(shown)) {
    expect(now, metric).toBe(june[metric] ?? null);
    expect(before, metric).toBe(may[metric] ?? null);
  }
  expect(Object.keys(shown)).toContain('retention_rate');

  const cohorts = await product.sql<{ cohort: string; months_since: number; share: number }>(
    `SELECT toString(cohort_month) AS cohort, months_since, share FROM kpi_cohorts ORDER BY cohort, months_since`,
  );
  const cells = await page.$$eval('#cohort-heatmap td[data-share]', (tds) => tds.map((td) => ({ cohort: td.getAttribute('data-cohort'), months_since: Number(td.getAttribute('data-month')), share: Number(td.getAttribute('data-share')) })));
  expect(cells).toEqual(cohorts.map((c) => ({ ...c, months_since: Number(c.months_since), share: Number(c.share) })));
  expect(cells.length).toBeGreaterThan(0);

  const channelRows = await product.sql<{ dimension: string; metric: string; value: number }>(
    `SELECT dimension, metric, value FROM kpi_values WHERE period = 'month' AND period_start = '2026-06-01' AND dimension LIKE 'channel:%' AND metric = 'buyers' ORDER BY dimension`,
  );
  const channels = await page.$$eval('#channel-table tr[data-channel]', (trs) => trs.map((tr) => [tr.getAttribute('data-channel'), Number(tr.getAttribute('data-buyers'))]));
  expect(channels).toEqual(channelRows.map((r) => [r.dimension.slice('channel:'.length), Number(r.value)]));

  const nps = await page.$$eval('#nps-trend tr[data-period]', (trs) => trs.map((tr) => [tr.getAttribute('data-period'), Number(tr.getAttribute('data-nps'))]));
  expect(nps).toEqual([['2026-06-01', june.nps]]);
  const complaints = await page.$$eval('#complaints-board tr[data-period]', (trs) => trs.map((tr) => [tr.getAttribute('data-period'), Number(tr.getAttribute('data-open'))]));
  expect(complaints).toEqual([['2026-06-01', june.complaints_open]]);

  // Weeks: the week of 15 June (as_of's) beside the week of 8 June.
  await page.selectOption('#kpi-period', 'week');
  await page.waitForFunction(() => document.getElementById('kpi-current')!.textContent!.startsWith('2026-06-15'));
  const thisWeek = await sqlFigures('week', '2026-06-15');
  const lastWeek = await sqlFigures('week', '2026-06-08');
  expect(thisWeek.orders).toBe(1);
  for (const [metric, [now, before]] of Object.entries(await tiles(page))) {
    expect(now, metric).toBe(thisWeek[metric] ?? null);
    expect(before, metric).toBe(lastWeek[metric] ?? null);
  }
  expect(errors).toEqual([]);
  await page.close();
});
