import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { inferPlan } from '../../ingest/tracking-plans/plan-inference.js';
import { localAdminKey } from '../../pipeline/auth/local-admin-key.js';
import { spawnCdp, stopCdp, type CdpProcess } from '../helpers/cdp-process.js';
import { startTestProduct, tempDir, testEnv } from '../helpers/test-product.js';

// `cdp plans` as users run it, on one data folder: events tracked through the real API, then `cdp plans infer`
// on the data directly (no product running), then through a running product, which must print the same.

const bin = path.join(projectRoot(), 'bin', 'cdp.js');
const dataDir = tempDir();
const env = testEnv(dataDir);
const cdp = (args: string[]) => {
  const res = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
};

const products = ['Shoe', 'Sock', 'Hat'];
const viewed = Array.from({ length: 30 }, (_, i) => ({
  type: 'track',
  event: 'Product Viewed',
  anonymousId: `a${i % 7}`,
  properties: { name: products[i % 3], price: 5 + (i % 4), viewed_at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), ...(i % 2 ? { tags: ['new'] } : {}) },
}));
const identify = { type: 'identify', userId: 'u1', traits: { email: 'u1@example.com' } };
let direct: ReturnType<typeof cdp>;

beforeAll(async () => {
  const product = await startTestProduct({ dataDir });
  try {
    const res = await product.post('/v1/batch', { batch: [...viewed, identify] });
    expect(res.status).toBe(200);
    await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === viewed.length + 1);
  } finally {
    await product.stop();
  }
  // Read once here, so that each test below (run alone too) compares with it.
  direct = cdp(['plans', 'infer', '--source', 'web', '--days', '3']);
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('without a running product', () => {
  test('cdp plans infer reads the data folder directly and prints the draft plan', () => {
    expect(direct.stderr).toBe('');
    expect(direct.code).toBe(0);
    const plan = JSON.parse(direct.stdout);
    expect(plan).toEqual(
      inferPlan('web', [
        { type: 'track', event: 'Product Viewed', payloads: viewed.map((v) => v.properties) },
        { type: 'identify', event: '', payloads: [identify.traits] },
      ]),
    );
    expect(plan.rules[0].properties).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string', enum: ['Hat', 'Shoe', 'Sock'] },
        price: { type: 'integer' },
        tags: { type: 'array', items: { type: 'string' } },
        viewed_at: { type: 'string', format: 'date-time' },
      },
      required: ['name', 'price', 'viewed_at'],
    });
  });

  test('cdp plans refuses bad arguments with exit 2, and apply needs a running product', () => {
    for (const [args, message] of [
      [['plans', 'infer'], /--source NAME is required/],
      [['plans', 'infer', '--source', 'web', '--days', '0'], /--days must be a whole number from 1 to 365; got "0"/],
      [['plans', 'frobnicate'], /usage: cdp plans infer/],
      [['plans', 'apply'], /usage: cdp plans infer/],
      [['plans', 'apply', path.join(dataDir, 'missing.json')], /cannot read .*missing\.json/],
    ] as const) {
      const res = cdp([...args]);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr, args.join(' ')).toMatch(message);
    }
    const file = path.join(dataDir, 'plan.json');
    writeFileSync(file, direct.stdout);
    const noId = cdp(['plans', 'apply', file]);
    expect([noId.code, noId.stderr]).toEqual([2, expect.stringMatching(/has no "id": name the plan with --id ID/)]);
    writeFileSync(file, '{"id": "shop",');
    expect(cdp(['plans', 'apply', file]).stderr).toMatch(/is not JSON/);
    writeFileSync(file, JSON.stringify({ id: 'shop', ...JSON.parse(direct.stdout) }));
    const notRunning = cdp(['plans', 'apply', file]);
    expect([notRunning.code, notRunning.stderr]).toEqual([2, expect.stringMatching(/no product is running/)]);
  });
});

describe('with a running product', () => {
  let server: CdpProcess;
  beforeAll(async () => {
    server = await spawnCdp(env, 'api,workers');
  });
  afterAll(async () => {
    await stopCdp(server);
  });

  test('cdp plans infer goes through the product (which holds the data folder) and prints the same plan', () => {
    const res = cdp(['plans', 'infer', '--source', 'web', '--days', '3']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(direct.stdout);
  });

  test('cdp plans apply puts the plan (the file\'s id or --id) and prints the stored version; the same file again keeps it', async () => {
    const file = path.join(dataDir, 'good-plan.json');
    const plan = { id: 'from-file', name: 'Good', sources: ['app'], violations: 'allow', unplanned_events: 'allow', rules: [{ type: 'track', event: 'Order Completed', properties: { type: 'object', required: ['order_id'] } }] };
    writeFileSync(file, JSON.stringify(plan));
    const first = cdp(['plans', 'apply', file]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ success: true, plan: { id: 'from-file', version: 1 } });
    const again = cdp(['plans', 'apply', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ success: true, plan: { id: 'from-file', version: 1 } });
    const stored = await fetch(`${server.url}/v1/tracking-plans/from-file`, { headers: { authorization: `Bearer ${localAdminKey(dataDir)}` } });
    expect(stored.status).toBe(200);
    expect(await stored.json()).toMatchObject({ success: true, plan: { id: 'from-file', version: 1, sources: ['app'] } });
  });

  test("cdp plans apply prints the server's code and message of a refusal and exits 1", () => {
    const file = path.join(dataDir, 'bad-plan.json');
    writeFileSync(file, JSON.stringify({ name: 'Bad', sources: ['web'], violations: 'block', unplanned_events: 'allow', rules: [{ type: 'track', event: 'X', properties: { type: 'strng' } }] }));
    const res = cdp(['plans', 'apply', file, '--id', 'shop']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^cdp: tracking plan shop refused \(4\d\d [a-z_]+\): \S/);
  });
});
