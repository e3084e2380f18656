import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createEventDestinationStore } from '../../pipeline/destinations/event-destination-store.js';
import { redisKeyNames } from '../../pipeline/redis/key-names.js';
import { startReceiver, type HttpReceiver } from '../helpers/http-receiver.js';
import { segmentFixtures, type SegmentFixtures } from '../helpers/segment-audience-fixtures.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// The check at every connection, without DESTINATIONS_ALLOW_PRIVATE. The API refuses private URLs, so the
// destinations are written into Redis here as the two cases stand there: one written through the API when its
// host was public and that now resolves to 127.0.0.1 (marked as checked: it must not be connected to), and an
// audience webhook stored before URLs were checked (not marked: it keeps working).

const SECRET = `whsec_${randomUUID()}${randomUUID()}`;
let product: TestProduct;
let receiver: HttpReceiver;
let fx: SegmentFixtures;
let redis: Redis;

const admin = (method: string, path: string, body?: unknown) => product.request(method, path, body, { auth: `Bearer ${ADMIN_KEY}` });

beforeAll(async () => {
  receiver = await startReceiver();
  product = await startTestProduct({
    roles: ['api', 'workers', 'scheduler'],
    env: { WEBHOOK_ATTEMPTS: '2', WEBHOOK_BACKOFF_MS: '20', DESTINATION_RETRY_BASE_MS: '20', DESTINATION_RETRY_FOR_MS: '300' },
  });
  fx = segmentFixtures(product);
  redis = new Redis(product.redis.options);
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await fx?.close();
  await product?.destroy();
  await receiver?.close();
});

test('an event destination whose host now resolves to a private address is not connected to', async () => {
  const store = createEventDestinationStore(redis, redisKeyNames(product.config.QUEUE_PREFIX).destinations);
  const id = 'dst_rebound';
  await store.create({ id, name: 'rebound', format: 'webhook', url: `http://localhost:${receiver.port}/rebound`, credential: SECRET, filter: { types: [], events: [], exclude_events: [], sources: [] }, transform: null, consent_categories: [], batch_size: 10, max_wait_ms: 50, createdBy: 'test' });
  await waitFor('the delivery loop', async () => (await admin('GET', `/v1/dashboard/destinations`)).body.destinations.some((d: { id: string }) => d.id === id));
  expect((await product.post('/v1/track', { userId: 'guard-1', event: 'Guarded' })).status).toBe(200);
  let dead: any[] = [];
  await waitFor('the dead letter', async () => (dead = (await admin('GET', `/v1/destinations/${id}`)).body.dead_letters).length === 1);
  expect(dead[0].reason).toMatch(/localhost resolved to .*not connected/);
  expect(receiver.received.filter((r) => r.path === '/rebound')).toEqual([]);
});

test('an audience webhook stored before URLs were checked keeps working; one marked as checked is not connected to', async () => {
  const keys = redisKeyNames(product.config.QUEUE_PREFIX).destinations;
  const segment = `guard-${randomUUID().slice(0, 8)}`;
  await fx.defineSegment(segment);
  const store = async (id: string, path: string, guarded: boolean) => {
    const fields = { id, segment_id: segment, url: `${receiver.url}${path}`, secret: SECRET, created_at: new Date().toISOString(), created_by: 'before', enqueued_seq: '0', ...(guarded ? { type: 'audience', guarded: '1' } : {}) };
    await redis.multi().hset(keys.one(id), fields).sadd(keys.all, id).sadd(keys.ofSegment(segment), id).exec();
  };
  await store('dst_legacy', '/legacy', false);
  await store('dst_checked', '/checked', true);
  const changes = [{ profile_id: 'p-1', change: 'entered' as const }];
  await fx.writeChanges(segment, 1, Date.now(), changes);
  await fx.commitRun(segment, 1, Date.now(), changes, 1);
  await product.webhooks!.onSegmentRun({ segmentId: segment, seq: 1, version: 1, asOf: Date.now(), size: 1, entered: 1, exited: 0 });
  await waitFor('the legacy delivery', () => receiver.accepted('/legacy').length === 1);
  let dead: any[] = [];
  await waitFor('the checked one dead-lettered', async () => (dead = (await admin('GET', '/v1/destinations/dst_checked')).body.dead_letters).length === 1);
  expect(dead[0].reason).toMatch(/127\.0\.0\.1.*not connected/);
  expect(receiver.received.filter((r) => r.path === '/checked')).toEqual([]);
});
