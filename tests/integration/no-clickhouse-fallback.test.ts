import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CLICKHOUSE_ROUTES, NO_CLICKHOUSE_MESSAGE } from '../../pipeline/process/no-clickhouse-fallback.js';
import { ADMIN_KEY, startTestProduct, tempDir, type TestProduct } from '../helpers/test-product.js';

// Split mode on embedded ClickHouse: `full` holds the data folder, `apiOnly` runs beside it on the same
// private Redis and does not open ClickHouse. What needs ClickHouse is served by the first and answered by
// the second with one 503 that says where to go, after the same key check; everything else stays as it is.

const dataDir = tempDir();
let full: TestProduct;
let apiOnly: TestProduct;

beforeAll(async () => {
  full = await startTestProduct({ roles: ['api', 'workers'], dataDir });
  apiOnly = await startTestProduct({ roles: ['api'], dataDir });
});

afterAll(async () => {
  // apiOnly first: full started the private Redis and stops it.
  await apiOnly?.stop();
  await full?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every route of a process as "METHOD /path", sorted, read from Fastify's route tree. */
function routesOf(product: TestProduct): string[] {
  const out: string[] = [];
  const prefixes: string[] = [];
  for (const line of product.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]+)\))?$/.exec(line.replace(/\u00a0/g, ' '));
    if (!m) continue;
    const depth = m[1]!.length / 4;
    prefixes.length = depth;
    const path = `${prefixes.join('')}${m[2]}`;
    prefixes.push(m[2]!);
    for (const method of m[3]?.split(', ') ?? []) out.push(`${method} ${path}`);
  }
  return out.sort();
}

const concrete = (url: string) => url.replace(':profileId', 'p1').replace(':name', 'rfm').replace(':id', 'vip');

async function call(product: TestProduct, route: (typeof CLICKHOUSE_ROUTES)[number], auth?: string) {
  const headers: Record<string, string> = auth ? { authorization: auth } : {};
  const withBody = route.method === 'POST' || route.method === 'PUT';
  if (withBody) headers['content-type'] = 'application/json';
  const res = await fetch(`${product.url}${concrete(route.url)}`, { method: String(route.method), headers, body: withBody ? '{}' : undefined });
  return { status: res.status, body: (await res.json()) as { code?: string; message?: string } };
}

test('an api-only process knows every route of the process holding ClickHouse, so a 404 stays a 404', () => {
  const fullRoutes = routesOf(full);
  expect(fullRoutes.length).toBeGreaterThan(CLICKHOUSE_ROUTES.length);
  for (const route of CLICKHOUSE_ROUTES) expect(fullRoutes, `${route.method} ${route.url}`).toContain(`${route.method} ${route.url}`);
  expect(routesOf(apiOnly)).toEqual(fullRoutes);
});

test('each ClickHouse route checks the key first, then answers 503 no_clickhouse saying where to go', async () => {
  const read = await full.post('/v1/keys', { scope: 'read', name: 'analyst' }, { auth: `Bearer ${ADMIN_KEY}` });
  const audience = await full.post('/v1/keys', { scope: 'audience', name: 'ads', segments: ['other'] }, { auth: `Bearer ${ADMIN_KEY}` });
  expect([read.status, audience.status]).toEqual([201, 201]);
  for (const route of CLICKHOUSE_ROUTES) {
    const what = `${route.method} ${route.url}`;
    // A key below the route's scope; on an audience route, an audience key for another segment.
    const weaker = `Bearer ${route.key === 'admin' ? read.body.key.value : audience.body.key.value}`;
    for (const product of [apiOnly, full]) {
      const none = await call(product, route);
      expect([none.status, none.body.code], what).toEqual([401, 'missing_key']);
      const refused = await call(product, route, weaker);
      expect([refused.status, refused.body.code], what).toEqual([403, 'forbidden']);
    }
    const answer = await call(apiOnly, route, `Bearer ${ADMIN_KEY}`);
    expect(answer, what).toEqual({ status: 503, body: { success: false, code: 'no_clickhouse', message: NO_CLICKHOUSE_MESSAGE } });
  }
  expect(NO_CLICKHOUSE_MESSAGE).toMatch(/ask the process running the workers or the scheduler/);
});

test('what needs no ClickHouse is served as before: the dashboard page, keys, health; an unknown path is 404', async () => {
  const page = await fetch(`${apiOnly.url}/`);
  expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
  const keys = await fetch(`${apiOnly.url}/v1/keys`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(keys.status).toBe(200);
  expect((await fetch(`${apiOnly.url}/health`)).status).toBe(200);
  const ready = (await (await fetch(`${apiOnly.url}/ready`)).json()) as { checks: Record<string, unknown> };
  expect(Object.keys(ready.checks)).toEqual(['redis']);
  const unknown = await fetch(`${apiOnly.url}/v1/segmentz`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(unknown.status).toBe(404);
});
