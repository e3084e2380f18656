import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { expectedPurchases, pAlive } from '../../segments/models/bg-nbd.js';
import { expectedAverageValue } from '../../segments/models/gamma-gamma.js';
import { startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The CDNOW sample of the BG/NBD and Gamma-Gamma papers, end to end: its transactions posted through the
// tracking API as `Order Completed` events with their historical dates, then `cdp jobs run churn --as-of
// 1997-10-01T00:00:00Z` (the calibration period ends 1997-09-30; unit weeks) run as a user would, through
// the running server. The fitted parameters must be the published ones.
//
// Published: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way", BG/NBD on CDNOW:
// r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, log-likelihood = -9582.4.
// Gamma-Gamma (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value"): p = 6.25, q = 3.74, gamma = 15.44.

const DATA = path.resolve(projectRoot(), '..', 'shared', 'data', 'cdnow', 'CDNOW_sample.txt');
let product: TestProduct;
let events = 0;

beforeAll(async () => {
  product = await startTestProduct({ env: { WORKER_CONCURRENCY: '16' } });
  const lines = readFileSync(DATA, 'utf8').split('\n').filter((l) => l.trim());
  const all = lines.map((line, n) => {
    const [customer, , date, , amount] = line.trim().split(/\s+/);
    return {
      type: 'track',
      userId: `cdnow-${customer}`,
      messageId: `cdnow-${n}`,
      event: 'Order Completed',
      timestamp: `${date!.slice(0, 4)}-${date!.slice(4, 6)}-${date!.slice(6, 8)}T12:00:00Z`,
      properties: { order_id: `cdnow-${n}`, revenue: Number(amount), currency: 'USD' },
    };
  });
  events = all.length;
  for (let i = 0; i < all.length; i += 1000) {
    const res = await product.post('/v1/batch', { batch: all.slice(i, i + 1000) });
    expect(res.status).toBe(200);
  }
  await product.waitForRows(`SELECT count() AS n FROM events WHERE event = 'Order Completed' AND user_id LIKE 'cdnow-%'`, (r) => Number((r[0] as { n: string }).n) === events, 120_000);
});

afterAll(async () => {
  await product?.destroy();
});

const sig3 = (x: number) => Number(x.toPrecision(3));

/** `cdp jobs run churn --as-of 1997-10-01T00:00:00Z`, once, by whichever test needs its scores first. */
let churnRun: Promise<{ stdout: string; stderr: string; status: number | null }> | undefined;
function runChurn() {
  return (churnRun ??= (async () => {
    // Not spawnSync: the server the CLI talks to runs in this very process and must keep serving.
    const child = spawn(process.execPath, [path.join(projectRoot(), 'bin', 'cdp.js'), 'jobs', 'run', 'churn', '--as-of', '1997-10-01T00:00:00Z'], {
      env: { ...process.env, CDP_DATA_DIR: product.dataDir, LOG_LEVEL: 'silent' },
    });
    const cli = { stdout: '', stderr: '', status: null as number | null };
    child.stdout.on('data', (d) => (cli.stdout += d));
    child.stderr.on('data', (d) => (cli.stderr += d));
    cli.status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return cli;
  })());
}

test('cdp jobs run churn --as-of 1997-10-01 reproduces the published BG/NBD and Gamma-Gamma estimates', async () => {
  expect(events).toBe(6919);
  const cli = await runChurn();
  expect(cli.stderr).toBe('');
  expect(cli.status).toBe(0);
  const summary = JSON.parse(cli.stdout);
  expect(summary).toMatchObject({ job: 'churn', status: 'succeeded', as_of: '1997-10-01T00:00:00.000Z', unit: 'weeks', fitted_customers: 2357, fit_sample: 'all customers', rows: 2357 });
  expect(summary.ran_dependencies.map((d: { job: string }) => d.job)).toEqual(['orders']);
  const { r, alpha, a, b, log_likelihood } = summary.bgnbd;
  expect([sig3(r), sig3(alpha), sig3(a), sig3(b)]).toEqual([0.243, 4.41, 0.793, 2.43]);
  expect(Math.abs(log_likelihood - -9582.4)).toBeLessThan(0.5);
  const { p, q, gamma } = summary.gamma_gamma;
  expect([sig3(p), sig3(q), sig3(gamma)]).toEqual([6.25, 3.74, 15.4]);

  // The run record holds the same parameters.
  const [run] = await product.sql<{ summary: string }>(`SELECT summary FROM job_runs FINAL WHERE job = 'churn' AND status = 'succeeded' AND as_of = '1997-10-01 00:00:00.000'`);
  expect(JSON.parse(run!.summary).bgnbd).toEqual(summary.bgnbd);
});

test('per-customer scores follow the model: P(alive) is 1 for one-time buyers and falls with the gap since the last purchase', async () => {
  expect((await runChurn()).status).toBe(0);
  const rows = await product.sql<{ x: number; p_alive: number; expected_90d: number; days_since_last: number; clv: number }>(
    `SELECT x, p_alive, expected_90d, days_since_last, clv FROM churn_current`,
  );
  expect(rows).toHaveLength(2357);
  for (const row of rows.filter((r) => r.x === 0)) expect(row.p_alive).toBe(1);
  // Among customers with the same x, a longer gap since the last purchase never raises P(alive) much:
  // compare the means of the most and least recent halves for x = 2.
  const x2 = rows.filter((r) => r.x === 2).sort((m, n) => m.days_since_last - n.days_since_last);
  const mean = (v: number[]) => v.reduce((s, n) => s + n, 0) / v.length;
  const half = Math.floor(x2.length / 2);
  expect(mean(x2.slice(0, half).map((r) => r.p_alive))).toBeGreaterThan(mean(x2.slice(half).map((r) => r.p_alive)));
  // The SQL scores (2F1 as a 300-term series) agree with the TypeScript model functions.
  const [run] = await product.sql<{ summary: string }>(`SELECT summary FROM job_runs FINAL WHERE job = 'churn' AND status = 'succeeded' AND as_of = '1997-10-01 00:00:00.000'`);
  const { bgnbd, gamma_gamma: gg } = JSON.parse(run!.summary);
  const detail = await product.sql<{ x: number; t_x: number; T: number; monetary: number; p_alive: number; expected_30d: number; expected_90d: number; expected_value: number }>(
    `SELECT x, t_x, T, monetary, p_alive, expected_30d, expected_90d, expected_value FROM churn_current ORDER BY profile_id LIMIT 200`,
  );
  for (const d of detail) {
    expect(d.p_alive).toBeCloseTo(pAlive(bgnbd, d.x, d.t_x, d.T), 9);
    expect(d.expected_30d).toBeCloseTo(expectedPurchases(bgnbd, 30 / 7, d.x, d.t_x, d.T), 6);
    expect(d.expected_90d).toBeCloseTo(expectedPurchases(bgnbd, 90 / 7, d.x, d.t_x, d.T), 6);
    expect(d.expected_value).toBeCloseTo(expectedAverageValue(gg, d.x, d.monetary), 6);
  }
  // Each comes from a formula that leaves its range when the fitted parameters or the 2F1 series go wrong
  // (a < 1 here: E[Y] is the product of two negative factors).
  for (const row of rows) {
    expect(row.p_alive).toBeGreaterThanOrEqual(0);
    expect(row.p_alive).toBeLessThanOrEqual(1);
    expect(row.expected_90d).toBeGreaterThanOrEqual(0);
    expect(row.clv).toBeGreaterThanOrEqual(0);
  }
});
