import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { launchChromium } from '../helpers/browser.js';
import { openDashboard } from '../helpers/dashboard-page.js';
import { ZONE, sendCustomers, writeCustomerModel, type Customers } from '../helpers/customer-model-fixtures.js';
import { startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The dashboard's lifecycle and value-tier panels and the customer view's customer-model facts, in headless
// Chromium, over the snapshots of tests/helpers/customer-model-fixtures.ts (the figures are worked out from
// its rows; the viewer's time zone is the product's, so the default dates are the server's days too).

let product: TestProduct;
let browser: Browser;
let c: Customers;
const run = randomUUID().slice(0, 8);
const SCREENSHOTS = path.join(projectRoot(), 'test-results');

const numbers = (page: Page, selector: string, attribute: string) => page.$$eval(selector, (els, a) => els.map((e) => Number(e.getAttribute(a))), attribute);
/** The transition matrix as "from>to=n" for its non-empty cells. */
const matrix = (page: Page) =>
  page.$$eval('#transitions-matrix td[data-profiles]', (tds) =>
    tds.filter((td) => td.getAttribute('data-profiles') !== '0').map((td) => `${td.getAttribute('data-from')}>${td.getAttribute('data-to')}=${td.getAttribute('data-profiles')}`).sort(),
  );

async function compare(page: Page, from: string, to: string, state: 'shown' | 'refused') {
  await page.fill('#transitions-from', from);
  await page.fill('#transitions-to', to);
  // Cleared first, so that the wait below sees this comparison's outcome and not the previous one's.
  await page.evaluate(() => delete document.getElementById('transitions-form')!.dataset.state);
  await page.click('#transitions-form button[type=submit]');
  await page.waitForFunction(([f, t, s]) => {
    const form = document.getElementById('transitions-form')!;
    return form.dataset.state === s && (document.getElementById('transitions-from') as HTMLInputElement).value === f && (document.getElementById('transitions-to') as HTMLInputElement).value === t;
  }, [from, to, state] as const);
}

beforeAll(async () => {
  product = await startTestProduct({ env: { SEGMENTS_TIME_ZONE: ZONE } });
  browser = await launchChromium();
  c = await sendCustomers(product, run);
});

afterAll(async () => {
  await browser?.close();
  await product?.destroy();
});

test('before the jobs ran: both panels say so, and a customer has no stage or tier yet', async () => {
  const { page, errors } = await openDashboard(browser, product.url, { timezoneId: ZONE });
  expect(await page.isVisible('#lifecycle-empty')).toBe(true);
  expect(await page.isHidden('#lifecycle-details')).toBe(true);
  expect(await page.isVisible('#tiers-empty')).toBe(true);
  expect(await page.isHidden('#tiers-details')).toBe(true);
  await page.fill('#search-value', c.annEmail);
  await page.click('#search-form button[type=submit]');
  await page.waitForSelector('#search-result[data-state="found"]');
  expect(await page.textContent('#customer-lifecycle')).toBe('no stage yet');
  expect(await page.textContent('#customer-value-tier')).toBe('no tier yet');
  expect(await page.textContent('#customer-computed-traits')).toContain('No computed traits defined.');
  expect(errors).toEqual([]);
  await page.close();
});

describe('with snapshots', () => {
  beforeAll(async () => {
    await writeCustomerModel(product, c);
  });

  test('the lifecycle panel: a tile per stage, the matrix between two chosen dates, a refusal said under the form', async () => {
    const { page, errors } = await openDashboard(browser, product.url, { timezoneId: ZONE, allowed: (text) => /status of 400/.test(text) });
    expect(await page.isHidden('#lifecycle-empty')).toBe(true);
    // L3: Pam; x5; Ann, Bob, x1, x2, x4; none; x3.
    expect(await page.$$eval('#lifecycle-stages .tile', (tiles) => tiles.map((t) => t.getAttribute('data-stage')))).toEqual(['prospect', 'new', 'active', 'at_risk', 'lost']);
    expect(await numbers(page, '#lifecycle-stages .tile', 'data-profiles')).toEqual([1, 1, 5, 0, 1]);
    expect(await page.textContent('#lifecycle-stages [data-stage="active"]')).toContain('成熟');
    expect(await page.textContent('#lifecycle-stages [data-stage="lost"]')).toContain('流失');

    // By default, the latest snapshot's day (11 March in Berlin) against 30 days before: L1 stands on 9 February.
    await page.waitForSelector('#transitions-form[data-state="shown"]');
    expect(await page.inputValue('#transitions-to')).toBe('2026-03-11');
    expect(await page.inputValue('#transitions-from')).toBe('2026-02-09');
    expect(await page.$$eval('#transitions-matrix td[data-profiles]', (tds) => tds.length)).toBe(35);
    expect(await matrix(page)).toEqual(['>active=1', '>new=1', 'active>active=2', 'at_risk>active=1', 'lost>lost=1', 'new>active=1', 'prospect>=1', 'prospect>prospect=1']);
    expect(await page.getAttribute('#transitions-summary', 'data-reactivated')).toBe('3');

    // L2 against L3.
    await compare(page, '2026-02-10', '2026-03-11', 'shown');
    expect(await matrix(page)).toEqual(['>new=1', 'active>active=2', 'at_risk>active=1', 'lost>active=1', 'lost>lost=1', 'new>active=1', 'prospect>prospect=1']);
    expect(await page.getAttribute('#transitions-summary', 'data-reactivated')).toBe('2');

    await compare(page, '2026-03-11', '2026-02-10', 'refused');
    expect(await page.isHidden('#transitions-matrix')).toBe(true);
    expect(await page.textContent('#transitions-error')).toBe('from (2026-03-11) is after to (2026-02-10)');
    await compare(page, '2025-12-01', '2026-02-10', 'refused');
    expect(await page.textContent('#transitions-error')).toContain('no lifecycle snapshot stands at 2025-12-01');
    // The rest of the dashboard is untouched by a refused comparison.
    expect(await page.getAttribute('body', 'data-state')).toBe('ready');
    expect(await page.$('#lifecycle .section-error')).toBeNull();
    expect(errors).toEqual([]);
    await page.close();
  });

  test('the value-tier panel: the historical × predicted grid with its tier mix, and counts and revenue per tier', async () => {
    const { page, errors } = await openDashboard(browser, product.url, { timezoneId: ZONE });
    expect(await page.isHidden('#tiers-empty')).toBe(true);
    const cells = await page.$$eval('#tier-grid td', (tds) => tds.map((td) => `${td.getAttribute('data-h')}:${td.getAttribute('data-p')}=${td.getAttribute('data-profiles')}`));
    expect(cells).toHaveLength(25);
    expect(cells.filter((cell) => !cell.endsWith('=0')).sort()).toEqual(['1:1=1', '2:2=1', '3:3=1', '4:1=1', '4:5=1', '5:4=1']);
    expect(await page.textContent('#tier-grid td[data-h="5"][data-p="4"]')).toContain('高价值 1');
    expect(await page.textContent('#tier-grid td[data-h="4"][data-p="1"]')).toContain('一般 1');
    const tiers = await page.$$eval('#tier-table tbody tr', (rows) => rows.map((r) => [r.getAttribute('data-tier'), Number(r.getAttribute('data-profiles')), Number(r.getAttribute('data-revenue'))]));
    expect(tiers).toEqual([
      ['high_value', 1, 250.5],
      ['potential', 1, 90],
      ['ordinary', 2, 80],
      ['low', 2, 15],
    ]);
    expect(await page.textContent('#tier-table tbody tr[data-tier="potential"]')).toContain('潜力');
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-customer-model.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the customer view: the survivor's computed traits, stage with its meaning and since, and tier; a prospect has none", async () => {
    const { page, errors } = await openDashboard(browser, product.url, { timezoneId: ZONE });
    // Found by the merged id's user id: the survivor's figures.
    await page.fill('#search-value', c.annUserId);
    await page.click('#search-form button[type=submit]');
    await page.waitForSelector('#search-result[data-state="found"]');
    expect(await page.getAttribute('#search-result article', 'data-profile-id')).toBe(c.ann);
    expect(await page.getAttribute('#customer-lifecycle', 'data-stage')).toBe('active');
    expect(await page.textContent('#customer-lifecycle')).toMatch(/^成熟 \(active\) since /);
    expect(await page.getAttribute('#customer-value-tier', 'data-tier')).toBe('high_value');
    expect(await page.textContent('#customer-value-tier')).toMatch(/^高价值 \(high_value; /);
    const traits = await page.$$eval('#customer-computed-traits tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent)));
    expect(traits).toEqual([
      ['Categories', 'shoes, hats'],
      ['Category count', '2'],
      ['Days since last visit', '4'],
      ['Favourite category', 'shoes'],
      ['Orders', '3'],
      ['Spend', '250.5'],
    ]);

    await page.fill('#search-value', `anon-pam-${run}`);
    await page.click('#search-form button[type=submit]');
    await page.waitForFunction((id) => document.querySelector('#search-result article')?.getAttribute('data-profile-id') === id, c.pam);
    expect(await page.textContent('#customer-lifecycle')).toMatch(/^潜在 \(prospect\) since /);
    expect(await page.textContent('#customer-value-tier')).toBe('none (a prospect)');
    expect(await page.$$eval('#customer-computed-traits tbody tr', (rows) => rows.map((r) => r.querySelectorAll('td')[1]!.textContent))).toEqual(['–', '0', '–', '–', '0', '–']);
    expect(errors).toEqual([]);
    await page.close();
  });
});
