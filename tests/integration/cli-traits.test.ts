import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { spawnCdp, stopCdp, type CdpProcess } from '../helpers/cdp-process.js';
import { startTestProduct, tempDir, testEnv } from '../helpers/test-product.js';

// `cdp traits` as users run it, against a running product on one data folder holding two orders of one
// customer (loaded through the real API first).

const bin = path.join(projectRoot(), 'bin', 'cdp.js');
const dataDir = tempDir();
const env = testEnv(dataDir);
const cdp = (args: string[]) => {
  const res = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
};
const file = (name: string, content: unknown) => {
  const at = path.join(dataDir, name);
  writeFileSync(at, JSON.stringify(content));
  return at;
};
const spend = { id: 'spend', name: 'Spent', kind: 'sum', event: 'Order Completed', property: 'revenue' };
let profileId: string;

beforeAll(async () => {
  const product = await startTestProduct({ dataDir });
  try {
    const orders = [40, 2.5].map((revenue, i) => ({ type: 'track', userId: 'cli-buyer', event: 'Order Completed', timestamp: `2026-03-0${i + 1}T10:00:00Z`, properties: { revenue } }));
    expect((await product.post('/v1/batch', { batch: orders })).status).toBe(200);
    const [row] = await product.waitForRows<{ profile_id: string }>(`SELECT DISTINCT profile_id FROM events WHERE user_id = 'cli-buyer'`, (r) => r.length === 1 && (r[0] as { profile_id: string }).profile_id !== '');
    profileId = row!.profile_id;
    await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === 2);
  } finally {
    await product.stop();
  }
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

test('cdp traits needs a running product, and says how to call it', () => {
  const res = cdp(['traits', 'list']);
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(/no product is running/);
});

describe('with a running product', () => {
  let server: CdpProcess;
  beforeAll(async () => {
    server = await spawnCdp(env, 'api,workers');
  });
  afterAll(async () => {
    await stopCdp(server);
  });

  test('put (the same file again keeps the version), list, get, preview and delete', () => {
    const definition = file('spend.json', spend);
    const put = cdp(['traits', 'put', definition]);
    expect(put.code, put.stderr).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ id: 'spend', version: 1, kind: 'sum' });
    expect(JSON.parse(cdp(['traits', 'put', definition]).stdout)).toMatchObject({ version: 1 });
    const renamed = cdp(['traits', 'put', definition, '--id', 'spent-too']);
    expect(JSON.parse(renamed.stdout)).toMatchObject({ id: 'spent-too', version: 1 });

    expect(JSON.parse(cdp(['traits', 'list']).stdout).map((t: { id: string }) => t.id)).toEqual(['spend', 'spent-too']);
    expect(JSON.parse(cdp(['traits', 'get', 'spend']).stdout)).toMatchObject({ id: 'spend', property: 'revenue' });

    const preview = cdp(['traits', 'preview', definition, '--profile', profileId, '--as-of', '2026-03-01T12:00:00Z']);
    expect(preview.code, preview.stderr).toBe(0);
    expect(JSON.parse(preview.stdout)).toMatchObject({ profile_id: profileId, value: 40, as_of: '2026-03-01T12:00:00.000Z', sql: expect.stringContaining('SELECT') });
    expect(JSON.parse(cdp(['traits', 'preview', definition, '--profile', profileId]).stdout).value).toBe(42.5);

    expect(JSON.parse(cdp(['traits', 'delete', 'spent-too']).stdout)).toEqual({ success: true, deleted: 'spent-too' });
    expect(cdp(['traits', 'get', 'spent-too']).code).toBe(1);
  });

  test("a refusal prints the server's code, message and problems and exits 1; bad arguments exit 2", () => {
    const bad = cdp(['traits', 'put', file('bad.json', { ...spend, id: 'bad', property: 'products[0].price' })]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^cdp: refused \(400 CDP_TRAIT_INVALID\): invalid computed trait: property: /);
    expect(bad.stderr).toMatch(/"path": "property"/);
    for (const args of [['traits'], ['traits', 'get'], ['traits', 'preview', file('p.json', spend)], ['traits', 'put', path.join(dataDir, 'missing.json')], ['traits', 'put', file('anonymous.json', { ...spend, id: undefined })]]) {
      const res = cdp(args);
      expect(res.code, args.join(' ')).toBe(2);
    }
  });
});
