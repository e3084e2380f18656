import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { recordingSender } from '../helpers/recording-sender.js';
import { ADMIN_KEY, startTestProduct, tempDir, type TestProduct } from '../helpers/test-product.js';

// Waits are durable: an instance in the middle of a wait when the product stops continues when it starts
// again on the same data (its step is a delayed job in Redis), and the send is made by the restarted product.

const dataDir = tempDir();
const env = { QUEUE_PREFIX: `{t${randomUUID().slice(0, 8)}}` };
let product: TestProduct | undefined;

afterAll(async () => {
  await product?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a product restarted during a wait continues it, and sends once', async () => {
  const before = recordingSender({ reminder: 'email' });
  product = await startTestProduct({ dataDir, env, start: { messageSender: before } });
  const admin = (p: TestProduct, method: string, path: string, body?: unknown) => p.request(method, path, body, { auth: `Bearer ${ADMIN_KEY}` });
  const put = await admin(product, 'PUT', '/v1/journeys/restart', {
    name: 'restart',
    entry: { event: 'Cart Abandoned' },
    start: 'nap',
    steps: { nap: { type: 'wait', duration: { seconds: 10 }, next: 'mail' }, mail: { type: 'send', channel: 'email', template: 'reminder', next: 'done' }, done: { type: 'exit' } },
  });
  expect(put.status, JSON.stringify(put.body)).toBe(201);
  expect((await product.post('/v1/track', { userId: 'sleeper', event: 'Cart Abandoned' })).status).toBe(200);
  await product.waitForRows(`SELECT 1 FROM journey_events WHERE journey_id = 'restart' AND kind = 'step' AND step = 'nap'`, (r) => r.length === 1);
  await product.stop();
  expect(before.sends).toHaveLength(0);

  const after = recordingSender({ reminder: 'email' });
  product = await startTestProduct({ dataDir, env, start: { messageSender: after } });
  const rows = await product.waitForRows<{ kind: string; step: string }>(`SELECT kind, step FROM journey_events FINAL WHERE journey_id = 'restart' ORDER BY at, kind`, (r) => r.some((x) => x.kind === 'exited'));
  expect(rows.map((r) => `${r.kind}:${r.step}`)).toEqual(['entered:', 'step:nap', 'step:mail', 'sent:mail', 'step:done', 'exited:']);
  expect(after.sends.map((s) => s.templateId)).toEqual(['reminder']);
  expect(before.sends).toHaveLength(0);
}, 120_000);
