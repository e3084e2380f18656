import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { spawnCdp, stopCdp, type CdpProcess } from '../helpers/cdp-process.js';
import { basicAuth, tempDir, testEnv, WRITE_KEY } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// End to end through two running installations: A forwards its events to B with a `segment` destination
// (B's /v1/batch, B's write key), set up with the CLI as a user would. Every event A accepted arrives in B once.

const bin = path.join(projectRoot(), 'bin', 'cdp.js');
const dirA = tempDir();
const dirB = tempDir();
// A's destination reaches B on 127.0.0.1: private addresses are allowed for A.
const envA = testEnv(dirA, { DESTINATIONS_ALLOW_PRIVATE: 'true' });
const envB = testEnv(dirB, { CDP_WRITE_KEYS: 'wk_remote_b:forwarded' });
let a: CdpProcess;
let b: CdpProcess;

const cdpA = (args: string[]) => {
  const res = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, ...envA }, encoding: 'utf8', timeout: 60_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
};

beforeAll(async () => {
  [a, b] = await Promise.all([spawnCdp(envA, 'api,workers'), spawnCdp(envB, 'api,workers')]);
}, 120_000);

afterAll(async () => {
  await Promise.all([a && stopCdp(a), b && stopCdp(b)]);
  rmSync(dirA, { recursive: true, force: true });
  rmSync(dirB, { recursive: true, force: true });
});

test('events sent to A arrive in B exactly once, through a segment destination made with `cdp destinations`', async () => {
  const file = path.join(dirA, 'forward.json');
  writeFileSync(file, JSON.stringify({ id: 'dst_forward', type: 'events', name: 'Installation B', format: 'segment', url: b.url, write_key: 'wk_remote_b', batch_size: 25, max_wait_ms: 200 }));
  const created = cdpA(['destinations', 'create', file]);
  expect(created.code, created.stderr).toBe(0);
  expect(JSON.parse(created.stdout)).toMatchObject({ id: 'dst_forward', type: 'events', format: 'segment' });
  expect(created.stdout).not.toContain('wk_remote_b');
  const listed = cdpA(['destinations', 'list']);
  expect(JSON.parse(listed.stdout).map((d: { id: string }) => d.id)).toEqual(['dst_forward']);

  const ids = Array.from({ length: 60 }, () => randomUUID());
  const batch = ids.map((messageId, i) => ({ type: 'track', userId: `e2e-${i % 7}`, event: 'Order Completed', messageId, properties: { i, revenue: i } }));
  const post = (events: unknown[]) => fetch(`${a.url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEY) }, body: JSON.stringify({ batch: events }) });
  expect((await post(batch.slice(0, 30))).status).toBe(200);
  expect((await post(batch.slice(30))).status).toBe(200);
  // Sent twice: A loads and forwards it once.
  expect((await post(batch.slice(0, 5))).status).toBe(200);

  const inB = async () => b.sql<{ m: string; n: string }>(`SELECT message_id AS m, count() AS n FROM events WHERE source_id = 'forwarded' GROUP BY m`);
  await waitFor('every event in B', async () => (await inB()).length === ids.length, 90_000);
  const rows = await inB();
  expect(rows.map((r) => r.m).sort()).toEqual([...ids].sort());
  expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
  const [sample] = await b.sql<{ e: string; u: string; r: number }>(`SELECT event AS e, user_id AS u, revenue AS r FROM events WHERE message_id = '${ids[9]}'`);
  expect(sample).toMatchObject({ e: 'Order Completed', u: 'e2e-2', r: 9 });
  const delivered = async () => Number((await a.sql<{ n: string }>(`SELECT sum(events) AS n FROM destination_deliveries WHERE destination_id = 'dst_forward' AND status = 'delivered'`))[0]!.n);
  await waitFor('the delivery records', async () => (await delivered()) >= ids.length);
  expect(await delivered()).toBe(ids.length);

  const got = cdpA(['destinations', 'get', 'dst_forward']);
  expect(JSON.parse(got.stdout)).toMatchObject({ destination: { id: 'dst_forward' }, dead_letters: [], backlog: 0 });
  const paused = cdpA(['destinations', 'pause', 'dst_forward']);
  expect(JSON.parse(paused.stdout).paused).toBe(true);
  expect(JSON.parse(cdpA(['destinations', 'resume', 'dst_forward']).stdout).paused).toBe(false);
  const bad = cdpA(['destinations', 'pause', 'dst_nobody']);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toMatch(/404 destination_not_found/);
});
