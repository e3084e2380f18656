import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { routeScopes } from '../../pipeline/auth/route-scopes.js';
import { launchChromium } from '../helpers/browser.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The API reference against the routes a full product really registers (every role), collected with an
// onRoute hook added to the product's Fastify instance as soon as it exists (Fastify announces each new
// instance on the `fastify.initialization` diagnostics channel), before any route of ours.

interface Registered {
  method: string;
  url: string;
  scope: string | undefined;
  hidden: boolean;
}

type Operation = { responses?: Record<string, { description?: unknown; content?: Record<string, { schema?: unknown }> }>; parameters?: { in: string; name: string; required?: boolean }[]; security?: Record<string, string[]>[]; tags?: string[]; description?: string; summary?: string };
type Document = {
  openapi: string;
  info: { title: string; version: string };
  tags: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string; scheme: string }> };
};

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const registered: Registered[] = [];
let product: TestProduct;
let doc: Document;

const collect = (message: unknown) => {
  (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) {
      registered.push({ method, url: route.url, scope: route.config?.scope, hidden: (route.schema as { hide?: boolean } | undefined)?.hide === true });
    }
  });
};

beforeAll(async () => {
  subscribe('fastify.initialization', collect);
  try {
    product = await startTestProduct({ roles: ['api', 'workers', 'scheduler'] });
  } finally {
    unsubscribe('fastify.initialization', collect);
  }
  const res = await fetch(`${product.url}/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as Document;
});

afterAll(async () => {
  await product?.destroy();
});

/** `/v1/segments/:id` as OpenAPI writes it: `/v1/segments/{id}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

// Fastify answers HEAD for every GET route by itself; the reference lists the GET.
const documentable = () => registered.filter((r) => r.method !== 'HEAD' && !r.hidden);

describe('/openapi.json', () => {
  test('every route the product registers is in the document with its method, and nothing else is', () => {
    expect(documentable().length).toBeGreaterThan(30);
    const missing = documentable().filter((r) => doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()] === undefined);
    expect(missing).toEqual([]);
    const listed = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).filter((k) => METHODS.includes(k)).map((m) => `${m.toUpperCase()} ${p}`));
    expect(listed.sort()).toEqual(documentable().map((r) => `${r.method} ${openApiPath(r.url)}`).sort());
  });

  test('only the reference page itself and the CORS preflight are left out', () => {
    const hidden = registered.filter((r) => r.hidden && r.method !== 'HEAD');
    expect(hidden.length).toBeGreaterThan(0);
    for (const r of hidden) expect(`${r.method} ${r.url}`).toMatch(/^(GET \/docs(\/.*)?|OPTIONS \*)$/);
  });

  test('is OpenAPI 3 in shape: info, operations with described responses, path parameters, known security schemes and schemas', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info.title).toBe('cdp');
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    const tagNames = new Set(doc.tags.map((t) => t.name));
    for (const [p, item] of Object.entries(doc.paths)) {
      expect(p.startsWith('/'), p).toBe(true);
      for (const [method, op] of Object.entries(item)) {
        const where = `${method} ${p}`;
        expect(METHODS, where).toContain(method);
        expect(Object.keys(op.responses ?? {}).length, where).toBeGreaterThan(0);
        for (const [status, response] of Object.entries(op.responses!)) {
          expect(status, where).toMatch(/^([1-5]\d\d|default)$/);
          expect(typeof response.description, `${where} ${status}`).toBe('string');
          for (const media of Object.values(response.content ?? {})) expect(media.schema, `${where} ${status}`).toBeDefined();
        }
        const pathParams = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        const declared = (op.parameters ?? []).filter((x) => x.in === 'path');
        expect(declared.map((x) => x.name).sort(), where).toEqual(pathParams.sort());
        for (const x of declared) expect(x.required, `${where} ${x.name}`).toBe(true);
        for (const requirement of op.security ?? []) for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes, where).toHaveProperty(scheme);
        for (const tag of op.tags ?? []) expect(tagNames, where).toContain(tag);
        expect(typeof op.summary, where).toBe('string');
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(Object.keys(doc.components.schemas), ref).toContain(ref.replace('#/components/schemas/', ''));
  });

  test("each route's security is its scope: Basic with the write key for tracking, Bearer for keyed routes, none for public ones", () => {
    expect(doc.components.securitySchemes).toEqual({
      writeKey: expect.objectContaining({ type: 'http', scheme: 'basic' }),
      bearerKey: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    const expected: Record<string, unknown[]> = { public: [], write: [{ writeKey: [] }], audience: [{ bearerKey: [] }], read: [{ bearerKey: [] }], admin: [{ bearerKey: [] }] };
    for (const r of documentable()) {
      const op = doc.paths[openApiPath(r.url)]![r.method.toLowerCase()]!;
      expect(r.scope, `${r.method} ${r.url}`).toBeDefined();
      expect(op.security, `${r.method} ${r.url}`).toEqual(expected[r.scope!]);
      if (r.url.startsWith('/v1/')) expect(r.scope, `${r.method} ${r.url}`).not.toBe('public');
      if (['audience', 'read', 'admin'].includes(r.scope!)) expect(Object.keys(op.responses!), `${r.method} ${r.url}`).toEqual(expect.arrayContaining(['401', '403']));
    }
    for (const type of ['track', 'identify', 'page', 'screen', 'group', 'alias', 'batch']) expect(doc.paths[`/v1/${type}`]!.post!.security).toEqual([{ writeKey: [] }]);
  });

  test('speaks the words of the product: tracking spec, RFM groups, segments', () => {
    const tags = new Map(doc.tags.map((t) => [t.name, t.description ?? '']));
    expect(tags.get('tracking spec')).toMatch(/Segment-compatible/);
    expect(tags.get('segments')).toMatch(/saved audiences/);
    expect(JSON.stringify(doc)).toMatch(/RFM groups/);
    expect(doc.paths['/v1/track']!.post!.tags).toEqual(['tracking spec']);
    expect(doc.paths['/v1/segments']!.get!.tags).toEqual(['segments']);
    expect(doc.paths['/v1/jobs/{name}/run']!.post!.description).toMatch(/RFM groups/);
  });

  test('the tracking routes are documented from the tracking spec, and a segment from the segment language', () => {
    const track = doc.paths['/v1/track']!.post as Operation & { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } };
    expect(Object.keys(track.requestBody.content['application/json']!.schema.properties)).toEqual(expect.arrayContaining(['userId', 'anonymousId', 'event', 'properties', 'timestamp']));
    const put = doc.paths['/v1/segments/{id}']!.put as Operation & { requestBody: unknown };
    expect(JSON.stringify(put.requestBody)).toMatch(/#\/components\/schemas\/SegmentConditionInput/);
    expect(doc.components.schemas).toHaveProperty('SegmentConditionInput');
  });
});

describe('/docs', () => {
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  test('the page and its assets come from this server, the assets from the installed package', async () => {
    const page = await fetch(`${product.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => new URL(m[1]!, `${product.url}/docs`).toString());
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      expect(asset.startsWith(`${product.url}/docs/`), asset).toBe(true);
      expect((await fetch(asset)).status, asset).toBe(200);
    }
    const installed = path.join(path.dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')), 'static', 'swagger-ui-bundle.js');
    const served = Buffer.from(await (await fetch(`${product.url}/docs/static/swagger-ui-bundle.js`)).arrayBuffer());
    expect(served.equals(readFileSync(installed))).toBe(true);
  });

  test('in Chromium, offline: every operation is shown, and nothing is asked of another host', async () => {
    browser = await launchChromium();
    const tab = await browser.newPage();
    const elsewhere: string[] = [];
    const errors: string[] = [];
    await tab.route(/^https?:/, (route) => {
      if (route.request().url().startsWith(product.url)) return route.continue();
      elsewhere.push(route.request().url());
      return route.abort();
    });
    tab.on('pageerror', (err) => errors.push(err.message));
    await tab.goto(`${product.url}/docs`);
    const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).filter((k) => METHODS.includes(k)).length, 0);
    await tab.waitForFunction((n) => document.querySelectorAll('.opblock').length === n, operations, { timeout: 30_000 });
    expect(await tab.locator('.opblock-summary-path').allTextContents()).toEqual(expect.arrayContaining(['/v1/track', '/v1/segments/{id}', '/openapi.json']));
    expect(elsewhere).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('route scopes', () => {
  test('the HEAD that Fastify answers for a GET route takes the same key', async () => {
    for (const route of ['/v1/keys', '/v1/segments', '/v1/dashboard/customers']) {
      expect((await fetch(`${product.url}${route}`, { method: 'HEAD' })).status, route).toBe(401);
      expect((await fetch(`${product.url}${route}`, { method: 'HEAD', headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status, route).toBe(200);
    }
  });

  test('a route under /v1/ that declares no scope stops the server from starting', async () => {
    const app = Fastify();
    app.addHook('onRoute', routeScopes(product.keys));
    // As the product's route files do: routes in a plugin, so the refusal stops the plugin and the start.
    void app.register(async (routes) => {
      routes.get('/v1/unscoped', async () => ({ ok: true }));
    });
    await expect(app.ready()).rejects.toThrow(/GET \/v1\/unscoped declares no config.scope/);
    await app.close();
  });
});
