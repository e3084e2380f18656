import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The destinations API's refusals: keys, bodies, and URLs that resolve to private addresses (this product
// runs without DESTINATIONS_ALLOW_PRIVATE).

const SECRET = `whsec_${randomUUID()}${randomUUID()}`;
let product: TestProduct;
let readKey: string;

const call = (method: string, path: string, body?: unknown, key: string | null = ADMIN_KEY) => product.request(method, path, body, { auth: key === null ? null : `Bearer ${key}` });
const events = (more: Record<string, unknown> = {}) => ({ type: 'events', name: 'Email tool', format: 'webhook', url: 'https://hooks.example.com/in', secret: SECRET, ...more });

beforeAll(async () => {
  product = await startTestProduct();
  readKey = await product.keys.create('read', 'destinations-reader');
}, 120_000);

afterAll(async () => {
  await product?.destroy();
});

describe('keys', () => {
  const routes: [string, string, unknown?][] = [
    ['POST', '/v1/destinations', events()],
    ['GET', '/v1/destinations'],
    ['GET', '/v1/destinations/dst_any'],
    ['PUT', '/v1/destinations/dst_any', events()],
    ['DELETE', '/v1/destinations/dst_any'],
    ['POST', '/v1/destinations/dst_any/replay', {}],
    ['POST', '/v1/destinations/dst_any/pause'],
    ['POST', '/v1/destinations/dst_any/resume'],
  ];
  test.each(routes)('%s %s: no key 401, a read key 403', async (method, path, body) => {
    const none = await call(method, path, body, null);
    expect(none.status).toBe(401);
    const read = await call(method, path, body, readKey);
    expect(read.status).toBe(403);
    expect(read.body.code).toBe('forbidden');
  });
});

describe('bodies', () => {
  const refusals: [string, Record<string, unknown>, RegExp][] = [
    ['no type and no segment_id', { name: 'x', format: 'webhook', url: 'https://a.example.com/', secret: SECRET }, /type: is required/],
    ['no name', events({ name: undefined }), /name: is required/],
    ['an unknown format', events({ format: 'xml' }), /format/],
    ['webhook without a secret', events({ secret: undefined }), /secret: is required for format webhook/],
    ['segment without a write key', events({ format: 'segment', secret: undefined }), /write_key: is required for format segment/],
    ['segment with a secret', events({ format: 'segment', write_key: 'wk_1' }), /secret: is for format webhook/],
    ['a short secret', events({ secret: 'short' }), /secret: must be at least 32 characters/],
    ['a URL that is not http(s)', events({ url: 'ftp://files.example.com/' }), /url: must be an absolute http/],
    ['a URL with a password', events({ url: 'https://u:p@hooks.example.com/' }), /url: must be an absolute http/],
    ['batch_size 0', events({ batch_size: 0 }), /batch_size/],
    ['batch_size over 1000', events({ batch_size: 1001 }), /batch_size/],
    ['a negative max_wait_ms', events({ max_wait_ms: -1 }), /max_wait_ms/],
    ['an unknown event type in the filter', events({ filter: { types: ['purchase'] } }), /filter\.types/],
    ['an unknown filter field', events({ filter: { names: ['x'] } }), /names/],
    ['an unknown field', events({ colour: 'red' }), /colour/],
    ['a segment_id on an event destination', events({ segment_id: 'vip' }), /segment_id: is a field of audience destinations/],
    ['event fields on an audience destination', { segment_id: 'vip', url: 'https://a.example.com/', secret: SECRET, batch_size: 5 }, /batch_size: is a field of event destinations/],
    ['consent categories that are not strings', events({ consent_categories: [1] }), /consent_categories/],
  ];
  test.each(refusals)('%s: 400', async (_what, body, message) => {
    const res = await call('POST', '/v1/destinations', body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.code).toBe('invalid_request');
    expect(res.body.message).toMatch(message);
  });

  test('a transform that does not compile is refused with its position', async () => {
    const res = await call('POST', '/v1/destinations', events({ transform: '{"a": event' }));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_transform', position: expect.any(Number), jsonata_code: expect.stringMatching(/^S0/) });
    expect(res.body.message).toMatch(/^transform: .*at position \d+/);
  });

  test('a bad id in the path, an unknown destination, a delivery of another destination', async () => {
    expect((await call('GET', '/v1/destinations/Not-An-Id')).status).toBe(400);
    for (const action of ['pause', 'resume']) expect((await call('POST', `/v1/destinations/dst_nobody/${action}`)).status).toBe(404);
    expect((await call('POST', '/v1/destinations/dst_nobody/replay', {})).status).toBe(404);
    expect((await call('DELETE', '/v1/destinations/dst_nobody')).status).toBe(404);
    const replay = await call('POST', '/v1/destinations/dst_nobody/replay', { delivery_id: 'dst_other.load-1-0' });
    expect(replay.status).toBe(400);
    expect(replay.body.message).toMatch(/delivery_id/);
  });

  test('PUT creates, the same body again changes nothing, the type cannot change; POST of a taken id is 409', async () => {
    const first = await call('PUT', '/v1/destinations/dst_email', events());
    expect(first.status).toBe(201);
    expect(JSON.stringify(first.body)).not.toContain(SECRET);
    const again = await call('PUT', '/v1/destinations/dst_email', events());
    expect(again.status).toBe(200);
    expect(again.body.destination).toEqual(first.body.destination);
    const changed = await call('PUT', '/v1/destinations/dst_email', events({ batch_size: 10 }));
    expect(changed.body.destination.batch_size).toBe(10);
    expect(changed.body.destination.created_at).toBe(first.body.destination.created_at);
    const audience = await call('PUT', '/v1/destinations/dst_email', { segment_id: 'vip', url: 'https://a.example.com/', secret: SECRET });
    expect(audience.status).toBe(400);
    expect(audience.body.message).toMatch(/is an event destination; its type cannot change/);
    expect((await call('POST', '/v1/destinations', events({ id: 'dst_email' }))).status).toBe(409);
    const listed = (await call('GET', '/v1/destinations')).body.destinations;
    expect(listed.map((d: { id: string }) => d.id)).toContain('dst_email');
    expect(JSON.stringify(listed)).not.toContain(SECRET);
  });
});

describe('private addresses', () => {
  test.each([
    'http://127.0.0.1:9/in',
    'http://localhost:8080/in',
    'http://[::1]/in',
    'http://10.1.2.3/in',
    'http://192.168.0.10/in',
    'http://169.254.169.254/latest/meta-data',
    'http://[::ffff:127.0.0.1]/in',
  ])('%s is refused (400 private_url)', async (url) => {
    const res = await call('POST', '/v1/destinations', events({ url }));
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.code).toBe('private_url');
    expect(res.body.message).toMatch(/DESTINATIONS_ALLOW_PRIVATE/);
  });

  test('audience webhooks too', async () => {
    const res = await call('POST', '/v1/destinations', { segment_id: 'vip', url: 'http://127.0.0.1:9/hook', secret: SECRET });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('private_url');
  });
});
