import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QueueGetters, Worker } from 'bullmq';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { deleteProfileScript } from '../../identity/profile-store.js';
import { createSuppressionHasher } from '../../identity/suppression-hash.js';
import { SECRET_FILE } from '../../pipeline/core/installation-secret.js';
import type { LoadJobData } from '../../pipeline/core/load-job.js';
import { redisFor } from '../../pipeline/redis/connection.js';
import { profileKeys, QUEUE_NAMES, queuePrefix, redisKeyNames } from '../../pipeline/redis/key-names.js';
import { redisDump } from '../helpers/redis-dump.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';
import type { RedisClient } from '../../pipeline/redis/connection.js';

// What a deletion does with a load job a worker holds at that moment: it waits for the job, and when the
// attempt fails and the job comes back, takes the customer out of it. The worker here is the test's own
// (the product runs without the workers role), so the job stays active exactly as long as the test says.

let product: TestProduct;
let redis: RedisClient;
const SEP = '\u001f';

beforeAll(async () => {
  product = await startTestProduct({ roles: ['api', 'scheduler'], env: { LOAD_RETRY_ATTEMPTS: '1' } });
  redis = redisFor(product.redis, 'worker');
});

afterAll(async () => {
  await redis?.quit();
  await product?.destroy();
});

/** A profile in the live identity graph, as resolve-identities.lua leaves one. */
async function seedProfile(profileId: string, members: string[]): Promise<void> {
  const graph = redisKeyNames(product.config.QUEUE_PREFIX).identity;
  for (const m of members) await redis.hset(graph.index, m, profileId);
  await redis.sadd(profileKeys(graph, profileId).identifiers, ...members);
  await redis.hset(graph.created, profileId, '1');
}

test('a job being loaded is waited for, and cleared of the customer when its attempt fails', async () => {
  const prefix = product.config.QUEUE_PREFIX;
  await seedProfile('p_active_test', [`user_id${SEP}held-customer`]);

  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let taken: string | undefined;
  // Watched, not replaced: the deletion asks BullMQ for the state of each job a worker holds, again and
  // again, once it is done with every job no worker holds (identity/queued-redaction.ts).
  const stateAsked = vi.spyOn(QueueGetters.prototype, 'getJobState');
  const worker = new Worker<LoadJobData>(
    QUEUE_NAMES.load,
    async (job) => {
      taken = job.id;
      await gate;
      // An error quoting a row, as a database error may.
      throw new Error('held by the test, then failed on row {"user_id":"held-customer"}');
    },
    { connection: redisFor(product.redis, 'worker'), prefix: queuePrefix(prefix, QUEUE_NAMES.load), concurrency: 1 },
  );
  try {
    const res = await product.post('/v1/batch', {
      batch: [
        { type: 'track', userId: 'held-customer', event: 'Held' },
        { type: 'track', userId: 'held-other', event: 'Held' },
        { type: 'track', userId: 'held-customer', properties: { note: 'refused' } },
      ],
    });
    expect(res.status).toBe(200);
    const until = Date.now() + 10_000;
    while (!taken && Date.now() < until) await sleep(20);
    expect(taken).toBeDefined();

    const deletion = fetch(`${product.url}/v1/profiles/p_active_test`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    // The customer is suppressed first; the deletion then waits on the held job.
    const hash = createSuppressionHasher(Buffer.from(readFileSync(path.join(product.dataDir, SECRET_FILE), 'utf8').trim())).of('user_id', 'held-customer');
    const suppressed = redisKeyNames(prefix).identity.suppressed;
    while ((await redis.sismember(suppressed, hash)) === 0 && Date.now() < until) await sleep(20);
    expect(await redis.sismember(suppressed, hash)).toBe(1);
    expect((await product.queue!.getJob(taken!))!.data.events).toHaveLength(2);
    // Released once the deletion is done with every job no worker holds and waits on the held one: a
    // deletion that did not wait would never ask, and would leave the customer in the job that comes back.
    await waitFor('the deletion to wait on the held job', () => stateAsked.mock.calls.some(([id]) => id === taken), 10_000);
    release();

    const res2 = await deletion;
    expect(res2.status).toBe(200);
    expect(await res2.json()).toMatchObject({ success: true, identifiers: 1, queued_events: 1, queued_rejected: 1, unfinished_load_jobs: 0 });
    const job = (await product.queue!.getJob(taken!))!;
    expect(await job.getState()).toBe('failed');
    expect(job.data.events.map((e) => e.userId)).toEqual(['held-other']);
    expect(job.data.rejected).toEqual([]);
    expect(job.failedReason).not.toContain('held-customer');
    expect(JSON.stringify(await redis.hgetall(product.queue!.toKey(taken!)))).not.toContain('held-customer');
    // Nowhere in Redis either: BullMQ's event stream recorded the failure too.
    for (const [k, value] of Object.entries(await redisDump(redis, prefix))) expect(`${k} ${value}`, k).not.toContain('held-customer');
  } finally {
    release();
    stateAsked.mockRestore();
    await worker.close();
  }
});

test('the suppression script does nothing while the profile holds identifiers it was not given, and names them', async () => {
  const prefix = product.config.QUEUE_PREFIX;
  const members = [`user_id${SEP}race-u`, `email${SEP}race@shop.example`];
  await seedProfile('p_race', members);
  const graph = redisKeyNames(prefix).identity;
  const deleteFromGraph = deleteProfileScript(redis, graph);
  const call = (profileId: string, ...args: string[]) => deleteFromGraph(profileId, args);

  // Only one of the two: an identifier arrived after the caller read the profile.
  expect(await call('p_race', members[0]!, 'h-user')).toEqual([0, [members[1]]]);
  expect(await redis.hget(graph.index, members[0]!)).toBe('p_race');
  expect(await redis.sismember(graph.suppressed, 'h-user')).toBe(0);

  expect(await call('p_race', members[0]!, 'h-user', members[1]!, 'h-email')).toEqual([1, members, []]);
  expect(await redis.hget(graph.index, members[0]!)).toBeNull();
  expect(await redis.smismember(graph.suppressed, 'h-user', 'h-email')).toEqual([1, 1]);
  expect(await redis.exists(profileKeys(graph, 'p_race').identifiers)).toBe(0);
});
