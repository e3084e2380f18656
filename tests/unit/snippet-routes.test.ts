import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, expect, test } from 'vitest';
import { snippetRoutes } from '../../ingest/snippet-routes.js';
import { useRouteSchemas } from '../../pipeline/core/route-schemas.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cdp-snippet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a missing bundle stops start-up with what to do', async () => {
  const app = Fastify();
  await expect(app.register(snippetRoutes, { file: path.join(dir, 'missing.js') }).ready()).rejects.toThrow(/missing\.js is missing: run npm run build/);
  await app.close();
});

test('GET /cdp.js: JavaScript for any origin, gzipped when accepted, revalidated by ETag', async () => {
  const file = path.join(dir, 'cdp.js');
  const code = `(()=>{window.cdpBuilt=${'1+'.repeat(500)}1})();`;
  writeFileSync(file, code);
  const app = Fastify();
  useRouteSchemas(app);
  await app.register(snippetRoutes, { file });

  const plain = await app.inject({ method: 'GET', url: '/cdp.js' });
  expect(plain.statusCode).toBe(200);
  expect(plain.body).toBe(code);
  expect(plain.headers['content-type']).toBe('application/javascript; charset=utf-8');
  expect(plain.headers['access-control-allow-origin']).toBe('*');
  expect(plain.headers['cache-control']).toMatch(/^public, max-age=\d+/);
  const etag = plain.headers.etag as string;
  expect(etag).toMatch(/^"[\w-]{22}"$/);

  const gzipped = await app.inject({ method: 'GET', url: '/cdp.js', headers: { 'accept-encoding': 'gzip, deflate, br' } });
  expect(gzipped.headers['content-encoding']).toBe('gzip');
  expect(gzipped.rawPayload.length).toBeLessThan(code.length);
  expect(gunzipSync(gzipped.rawPayload).toString()).toBe(code);

  const revalidated = await app.inject({ method: 'GET', url: '/cdp.js', headers: { 'if-none-match': etag } });
  expect(revalidated.statusCode).toBe(304);
  expect(revalidated.body).toBe('');
  expect((await app.inject({ method: 'GET', url: '/cdp.js', headers: { 'if-none-match': '"other"' } })).statusCode).toBe(200);
  await app.close();
});
