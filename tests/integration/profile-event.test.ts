import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordProfileEvent, PRODUCT_SOURCE_ID } from '../../ingest/profile-event.js';
import { ProfileNotAddressableError } from '../../ingest/errors/profile-not-addressable-error.js';
import { redisFor } from '../../pipeline/redis/connection.js';
import { redisKeyNames } from '../../pipeline/redis/key-names.js';
import { startTestProduct, type TestProduct } from '../helpers/test-product.js';
import type { RedisClient } from '../../pipeline/redis/connection.js';

// The product's own events about a customer (loyalty adjustments, subscription changes, opens) load like a
// shop's: to the profile they name, once per message id, without merging anyone.

let product: TestProduct;
let redis: RedisClient;

beforeAll(async () => {
  product = await startTestProduct();
  redis = redisFor(product.redis, 'producer');
});

afterAll(async () => {
  redis?.disconnect();
  await product?.destroy();
});

const deps = () => ({ redis, graph: redisKeyNames(product.config.QUEUE_PREFIX).identity, queue: product.queue, config: product.config });

async function profileOf(query: string): Promise<string> {
  const rows = await product.waitForRows<{ profile_id: string }>(query, (r) => r.length === 1);
  return rows[0]!.profile_id;
}

describe('recordProfileEvent', () => {
  it('loads the event once under the profile, by its user id, however often it is recorded', async () => {
    await product.post('/v1/identify', { userId: 'pe-user', messageId: 'pe-m1', traits: { email: 'pe-user@example.com' } });
    const id = await profileOf(`SELECT profile_id FROM events WHERE message_id = 'pe-m1'`);
    for (let i = 0; i < 2; i++) await recordProfileEvent(deps(), id, { event: 'Points Adjusted', properties: { points: 5 }, messageId: 'pe-adjust-1' });
    await product.post('/v1/track', { userId: 'pe-user', event: 'Marker', messageId: 'pe-marker-1' });
    await product.waitForRows(`SELECT 1 FROM events WHERE message_id = 'pe-marker-1'`, (r) => r.length === 1);
    const rows = await product.waitForRows<{ profile_id: string; source_id: string; user_id: string }>(
      `SELECT profile_id, source_id, user_id FROM events WHERE message_id = 'pe-adjust-1'`,
      (r) => r.length >= 1,
    );
    expect(rows).toEqual([{ profile_id: id, source_id: PRODUCT_SOURCE_ID, user_id: 'pe-user' }]);
  });

  it('addresses a profile known only by an email without merging it into another', async () => {
    await product.post('/v1/identify', { anonymousId: 'pe-anon-a', messageId: 'pe-m2', traits: { email: 'a@example.com' } });
    await product.post('/v1/identify', { anonymousId: 'pe-anon-b', messageId: 'pe-m3', traits: { email: 'b@example.com' } });
    const a = await profileOf(`SELECT profile_id FROM events WHERE message_id = 'pe-m2'`);
    const b = await profileOf(`SELECT profile_id FROM events WHERE message_id = 'pe-m3'`);
    await redis.srem(`${redisKeyNames(product.config.QUEUE_PREFIX).identity.profileIdentifiersPrefix}${a}`, 'anonymous_id\u001fpe-anon-a');
    await recordProfileEvent(deps(), a, { event: 'Email Opened', properties: {}, messageId: 'pe-open-a' });
    await recordProfileEvent(deps(), b, { event: 'Email Opened', properties: {}, messageId: 'pe-open-b' });
    expect(await profileOf(`SELECT profile_id FROM events WHERE message_id = 'pe-open-a'`)).toBe(a);
    expect(await profileOf(`SELECT profile_id FROM events WHERE message_id = 'pe-open-b'`)).toBe(b);
  });

  it('refuses a profile the live graph does not hold', async () => {
    await expect(recordProfileEvent(deps(), 'no-such-profile', { event: 'X', properties: {}, messageId: 'pe-x' })).rejects.toBeInstanceOf(ProfileNotAddressableError);
  });
});
