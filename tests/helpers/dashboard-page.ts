import type { Browser, Page } from 'playwright-core';
import { ADMIN_KEY } from './test-product.js';

export interface DashboardPageOptions {
  /** The viewer's time zone (the browser's default otherwise). */
  timezoneId?: string;
  /** Console errors expected (a refused request is logged by Chromium), left out of `errors`. */
  allowed?: (text: string) => boolean;
}

/** The dashboard of the product at `url`, signed in with the admin key and loaded; `errors` collects the console errors and page errors. */
export async function openDashboard(browser: Browser, url: string, opts: DashboardPageOptions = {}): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, locale: 'en-US', ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}) });
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !opts.allowed?.(msg.text())) errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  await page.goto(`${url}/`);
  await page.fill('#admin-key', ADMIN_KEY);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('body[data-state="ready"]');
  return { page, errors };
}
