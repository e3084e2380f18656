import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { basicAuth, WRITE_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// Requests as real clients send them: JSON under any Content-Type label or none (RudderStack's Node SDK
// labels its gzipped JSON application/x-www-form-urlencoded), and Segment's one-letter paths (analytics.js).

let product: TestProduct;
beforeAll(async () => {
  product = await startTestProduct();
});
afterAll(async () => {
  await product?.destroy();
});

const uid = () => `u-${randomUUID()}`;

/** POST exactly these bytes with exactly these headers (fetch would add a Content-Type of its own). */
function rawPost(route: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(product.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname, port, path: route, method: 'POST', headers: { authorization: basicAuth(WRITE_KEY), 'content-length': String(body.length), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

// [label, Content-Type header or undefined for none]
const contentTypes: [string, string | undefined][] = [
  ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
  ['no Content-Type', undefined],
  ['application/octet-stream', 'application/octet-stream'],
  ['text/plain;charset=utf-8', 'text/plain;charset=utf-8'],
  ['application/json; charset=utf-8', 'application/json; charset=utf-8'],
  ['multipart/form-data', 'multipart/form-data; boundary=x'],
  ['a malformed Content-Type', 'json'],
  ['an empty Content-Type', ''],
];
const ct = (value: string | undefined): Record<string, string> => (value === undefined ? {} : { 'content-type': value });

describe('JSON under any Content-Type', () => {
  test.each(contentTypes)('a single call labelled %s is stored', async (_label, type) => {
    const userId = uid();
    const res = await rawPost('/v1/track', json({ userId, event: 'Labelled' }), ct(type));
    expect(res).toEqual({ status: 200, body: { success: true } });
    await product.waitForRows(`SELECT 1 FROM events WHERE user_id = '${userId}' AND event = 'Labelled'`, (r) => r.length === 1);
  });

  test.each(contentTypes)('a batch labelled %s is stored', async (_label, type) => {
    const userId = uid();
    const res = await rawPost('/v1/batch', json({ batch: [{ type: 'identify', userId }, { type: 'track', userId, event: 'Batched' }] }), ct(type));
    expect(res).toEqual({ status: 200, body: { success: true } });
    await product.waitForRows(`SELECT type FROM events WHERE user_id = '${userId}'`, (r) => r.length === 2);
  });

  test('gzipped JSON labelled application/x-www-form-urlencoded (RudderStack) is stored, single call and batch', async () => {
    const userId = uid();
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' };
    const single = await rawPost('/v1/identify', gzipSync(JSON.stringify({ userId, traits: { plan: 'gold' } })), headers);
    const batch = await rawPost('/v1/batch', gzipSync(JSON.stringify({ batch: [{ type: 'track', userId, event: 'Zipped' }] })), headers);
    expect([single.status, batch.status]).toEqual([200, 200]);
    const rows = await product.waitForRows<{ type: string }>(`SELECT type FROM events WHERE user_id = '${userId}' ORDER BY type`, (r) => r.length === 2);
    expect(rows.map((r) => r.type)).toEqual(['identify', 'track']);
  });

  test('a batch item over the per-event limit is found whatever the label', async () => {
    const userId = uid();
    const body = json({ batch: [{ type: 'track', userId, event: 'Small' }, { type: 'track', userId, event: 'Huge', properties: { blob: 'x'.repeat(40 * 1024) } }] });
    const res = await rawPost('/v1/batch', body, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(200);
    expect(res.body.rejected).toEqual([expect.objectContaining({ index: 1, reason: 'event_too_large' })]);
    await product.waitForRows(`SELECT event FROM events WHERE user_id = '${userId}'`, (r) => r.length === 1 && (r[0] as { event: string }).event === 'Small');
  });

  test('the body limits hold whatever the label', async () => {
    const big = json({ userId: uid(), event: 'Big', properties: { blob: 'x'.repeat(33 * 1024) } });
    expect((await rawPost('/v1/track', big, { 'content-type': 'application/octet-stream' })).body.code).toBe('payload_too_large');
    expect((await rawPost('/v1/track', big, {})).status).toBe(413);
    const bomb = gzipSync(JSON.stringify({ batch: [{ type: 'track', userId: 'u', event: 'E', properties: { z: '0'.repeat(2 * 1024 * 1024) } }] }));
    expect((await rawPost('/v1/batch', bomb, { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' })).status).toBe(413);
  });
});

describe('bodies that are not JSON', () => {
  const notJson: [string, string, Record<string, string>][] = [
    ['a form', 'userId=u&event=Form', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['a multipart form', '--x\r\ncontent-disposition: form-data; name="event"\r\n\r\nForm\r\n--x--\r\n', { 'content-type': 'multipart/form-data; boundary=x' }],
    ['text with no Content-Type', 'hello', {}],
    ['an empty body labelled application/octet-stream', '', { 'content-type': 'application/octet-stream' }],
  ];
  test.each(notJson)('%s is a 400 invalid_json, on a single call and a batch', async (_label, body, headers) => {
    for (const route of ['/v1/track', '/v1/batch']) {
      const res = await rawPost(route, Buffer.from(body), headers);
      expect({ route, status: res.status, code: res.body.code }).toEqual({ route, status: 400, code: 'invalid_json' });
    }
  });

  test('an empty body with no Content-Type is a 400', async () => {
    for (const route of ['/v1/track', '/v1/batch']) {
      const res = await rawPost(route, Buffer.alloc(0), {});
      expect({ route, status: res.status, success: res.body.success }).toEqual({ route, status: 400, success: false });
    }
  });

  test('an unsupported Content-Encoding is still a 415', async () => {
    const res = await rawPost('/v1/track', json({ userId: uid(), event: 'E' }), { 'content-type': 'application/json', 'content-encoding': 'br' });
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('unsupported_media_type');
  });

  test('other routes keep their own content types', async () => {
    const res = await rawPost('/v1/sql', json({ query: 'SELECT 1' }), { authorization: 'Bearer ak_test_admin', 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
  });
});

describe("Segment's one-letter paths", () => {
  const calls: [string, string, Record<string, unknown>][] = [
    ['/v1/t', 'track', { event: 'Short Track' }],
    ['/v1/i', 'identify', { traits: { plan: 'gold' } }],
    ['/v1/p', 'page', { name: 'Home' }],
    ['/v1/s', 'screen', { name: 'Cart' }],
    ['/v1/g', 'group', { groupId: 'g1' }],
    ['/v1/a', 'alias', { previousId: 'anon-1' }],
  ];
  test.each(calls)('POST %s stores a %s', async (route, type, fields) => {
    const userId = uid();
    const res = await rawPost(route, json({ userId, ...fields }), { 'content-type': 'text/plain' });
    expect(res).toEqual({ status: 200, body: { success: true } });
    const rows = await product.waitForRows<{ type: string }>(`SELECT type FROM events WHERE user_id = '${userId}'`, (r) => r.length === 1);
    expect(rows[0]!.type).toBe(type);
  });

  test('POST /v1/b stores a batch, with a query string too', async () => {
    const userId = uid();
    const res = await rawPost('/v1/b?from=test', json({ batch: [{ type: 'track', userId, event: 'B1' }, { type: 'track', userId, event: 'B2' }] }), {});
    expect(res).toEqual({ status: 200, body: { success: true } });
    await product.waitForRows(`SELECT event FROM events WHERE user_id = '${userId}'`, (r) => r.length === 2);
  });

  test('a one-letter path keeps the write key check and the body limit of its long path', async () => {
    const noKey = await rawPost('/v1/t', json({ userId: uid(), event: 'E' }), { authorization: '' });
    expect(noKey.status).toBe(401);
    const wrongKey = await rawPost('/v1/t', json({ userId: uid(), event: 'E' }), { authorization: basicAuth('wk_wrong') });
    expect(wrongKey.body.code).toBe('invalid_write_key');
    const big = await rawPost('/v1/i', json({ userId: uid(), traits: { blob: 'x'.repeat(33 * 1024) } }), {});
    expect(big.status).toBe(413);
  });

  test('other short paths are not routes', async () => {
    for (const route of ['/v1/x', '/v1/tr', '/v1/t/x']) expect((await rawPost(route, json({}), {})).status).toBe(404);
  });
});
