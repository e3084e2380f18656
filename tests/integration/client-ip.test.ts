import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestProduct, type TestProduct } from '../helpers/test-product.js';

// Which address is stored for a client: the connection's unless a trusted proxy names another
// (TRUST_PROXY), cut to its network with IP_ANONYMIZE, in events (column and context) and refused events.
// One product at a time: a process opens one embedded ClickHouse folder.

async function storedIps(p: TestProduct, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const userId = `u-${randomUUID()}`;
  const res = await p.post('/v1/batch', { batch: [{ type: 'track', event: 'Seen', userId, ...body }, { type: 'track', userId, properties: { note: 'refused: no event' } }] }, { headers });
  expect(res.status).toBe(200);
  const [event] = await p.waitForRows<{ ip: string; context: string }>(`SELECT ip, context FROM events WHERE user_id = '${userId}'`, (r) => r.length === 1);
  const [refused] = await p.waitForRows<{ ip: string }>(`SELECT ip FROM rejected_events WHERE position(payload, '${userId}') > 0`, (r) => r.length === 1);
  return { ip: event!.ip, context: JSON.parse(event!.context).ip as string, refused: refused!.ip };
}

describe('defaults', () => {
  let product: TestProduct;
  beforeAll(async () => {
    product = await startTestProduct();
  });
  afterAll(async () => {
    await product?.destroy();
  });

  test('X-Forwarded-For is the client’s own claim, and ignored: the connection’s address is stored', async () => {
    expect(await storedIps(product, {}, { 'x-forwarded-for': '198.51.100.7' })).toEqual({ ip: '127.0.0.1', context: '127.0.0.1', refused: '127.0.0.1' });
  });

  test('a client’s context.ip is kept whole', async () => {
    expect((await storedIps(product, { context: { ip: '203.0.113.45' } })).ip).toBe('203.0.113.45');
  });
});

describe('TRUST_PROXY=127.0.0.1 and IP_ANONYMIZE=true', () => {
  let product: TestProduct;
  beforeAll(async () => {
    product = await startTestProduct({ env: { TRUST_PROXY: '127.0.0.1', IP_ANONYMIZE: 'true' } });
  });
  afterAll(async () => {
    await product?.destroy();
  });

  test('from a trusted proxy, X-Forwarded-For names the client, stored cut to its /24', async () => {
    // The proxy's own address (127.0.0.1) is not what is stored: the client it names is.
    expect(await storedIps(product, {}, { 'x-forwarded-for': '198.51.100.77' })).toEqual({ ip: '198.51.100.0', context: '198.51.100.0', refused: '198.51.100.0' });
  });

  test('IPv6 keeps its /48, in events and refused events', async () => {
    expect(await storedIps(product, {}, { 'x-forwarded-for': '2001:db8:85a3:8d3:1319:8a2e:370:7348' })).toEqual({
      ip: '2001:db8:85a3::',
      context: '2001:db8:85a3::',
      refused: '2001:db8:85a3::',
    });
  });

  test('an address the client sent in context.ip is cut too', async () => {
    const stored = await storedIps(product, { context: { ip: '2001:db8:aaaa:1::5' } }, { 'x-forwarded-for': '203.0.113.45' });
    expect(stored).toEqual({ ip: '2001:db8:aaaa::', context: '2001:db8:aaaa::', refused: '203.0.113.0' });
  });
});
