import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { redisFor } from '../../pipeline/redis/connection.js';
import { startReceiver, type Receiver } from '../helpers/alert-fixtures.js';
import { waitFor } from '../helpers/wait-for.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';
import { queuePrefix } from '../../pipeline/redis/key-names.js';

// The scheduler role's path, end to end: its Job Scheduler makes one job per minute, the worker evaluates
// the minute the job was planned for, and the delivery worker sends the change; after a restart on the same
// data folder the alert is still firing and nothing is sent again. Waits for minute boundaries (up to about
// two minutes).

const SECRET = `alsec_${randomUUID()}${randomUUID()}`;
const ROLES = ['api', 'workers', 'scheduler'] as const;
let product: TestProduct;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver(SECRET);
  product = await startTestProduct({ roles: [...ROLES], env: { DESTINATIONS_ALLOW_PRIVATE: 'true' } });
});

/** The evaluation job of a minute after `after`, once completed (the scheduler's own ids). */
async function completedAfter(after: number) {
  const redis = redisFor(product.redis, 'producer');
  const queue = new Queue('alerts', { connection: redis, prefix: queuePrefix(product.config.QUEUE_PREFIX, 'alerts') });
  try {
    let found: { id: string; returnvalue: unknown } | undefined;
    await waitFor('a later minute evaluated', async () => {
      const jobs = await queue.getJobs(['completed']);
      const later = jobs.find((j) => Number(String(j.id).split(':').at(-1)) > after);
      found = later && { id: later.id!, returnvalue: later.returnvalue };
      return found !== undefined;
    }, 90_000);
    return found!;
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

afterAll(async () => {
  await product?.destroy();
  await receiver?.close();
});

test('the scheduler evaluates each minute once, under the job id of that minute, the change reaches the webhook signed, and a restart sends nothing again', async () => {
  const put = await product.request('PUT', '/v1/alerts/always', { name: 'Always', metric: 'events_per_minute', threshold: { op: 'gte', value: 0 }, webhook: { url: `${receiver.url}/always`, secret: SECRET } }, { auth: `Bearer ${ADMIN_KEY}` });
  expect(put.status, JSON.stringify(put.body)).toBe(201);

  await waitFor('the first scheduled evaluation to reach the webhook', () => receiver.received.length > 0, 90_000);
  const [first] = receiver.received;
  expect(first!.signatureValid).toBe(true);
  expect(first!.body).toMatchObject({ alert: { id: 'always' }, state: 'firing', previous_state: 'ok', value: 0 });
  const minute = Date.parse(first!.body.at);
  expect(minute % 60_000).toBe(0);
  expect(first!.deliveryId).toBe(`always.${minute}`);

  const redis = redisFor(product.redis, 'producer');
  const queue = new Queue('alerts', { connection: redis, prefix: queuePrefix(product.config.QUEUE_PREFIX, 'alerts') });
  try {
    const job = await queue.getJob(`repeat:alerts-every-minute:${minute}`);
    expect(await job?.getState()).toBe('completed');
    expect(job?.returnvalue).toEqual({ alerts: 1, changed: ['always: firing'] });
  } finally {
    await queue.close();
    redis.disconnect();
  }
  const events = await product.request('GET', '/v1/alerts/always/events', undefined, { auth: `Bearer ${ADMIN_KEY}` });
  expect(events.body.events.map((e: { state: string; at: string }) => [e.state, e.at])).toEqual([['firing', first!.body.at]]);

  // A restart on the same data folder (ClickHouse and the private Redis's AOF): the next minute finds the
  // alert firing already, changes nothing, and sends nothing.
  const { dataDir } = product;
  const prefix = product.config.QUEUE_PREFIX;
  await product.stop();
  product = await startTestProduct({ roles: [...ROLES], dataDir, env: { DESTINATIONS_ALLOW_PRIVATE: 'true', QUEUE_PREFIX: prefix } });
  const next = await completedAfter(minute);
  expect(next.returnvalue).toEqual({ alerts: 1, changed: [] });
  const listed = await product.request('GET', '/v1/alerts/always', undefined, { auth: `Bearer ${ADMIN_KEY}` });
  expect(listed.body.alert.state).toMatchObject({ state: 'firing', since: first!.body.at });
  expect(receiver.received).toHaveLength(1);
});
