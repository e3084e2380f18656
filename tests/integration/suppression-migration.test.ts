import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, expect, test } from 'vitest';
import { createSuppressionHasher, legacyIdentifierHash } from '../../identity/suppression-hash.js';
import { createClickHouse } from '../../pipeline/clickhouse/client.js';
import { ConfigError } from '../../pipeline/core/errors/config-error.js';
import { SECRET_FILE } from '../../pipeline/core/installation-secret.js';
import { ADMIN_KEY, startTestProduct, tempDir, type TestProduct } from '../helpers/test-product.js';
import { redisKeyNames } from '../../pipeline/redis/key-names.js';

// An installation whose deleted customers were kept as bare SHA-1 hashes (before the installation secret)
// is converted where it lies at start: ClickHouse rows and the Redis set end up keyed, the customers stay
// suppressed, a second start changes nothing, and the identity rebuild keeps working.

const dataDir = tempDir();
const env = { QUEUE_PREFIX: `{t${randomBytes(4).toString('hex')}}` };
const run = randomUUID().slice(0, 8);
const supKey = redisKeyNames(env.QUEUE_PREFIX).identity.suppressed;
let product: TestProduct | undefined;

afterAll(async () => {
  await product?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const hasher = () => createSuppressionHasher(Buffer.from(readFileSync(path.join(dataDir, SECRET_FILE), 'utf8').trim()));

/** Inserts rows as a version before the keyed hashes wrote them (no scheme column named). */
async function insertLegacyRows(p: TestProduct, rows: { identifier_hash: string; scheme?: string }[]): Promise<void> {
  const client = createClickHouse(p.config);
  try {
    await client.insert({ table: 'cdp.suppressed_identifiers', values: rows.map((r) => ({ ...r, suppressed_at: '2025-01-01 00:00:00.000' })), format: 'JSONEachRow' });
  } finally {
    await client.close();
  }
}

async function withRedis<T>(p: TestProduct, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(p.redis.options);
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** Sends events of the given user ids and of someone else; answers which of the given ones were loaded. */
async function loadedOf(p: TestProduct, userIds: string[], tag: string): Promise<string[]> {
  const other = `other-${tag}-${run}`;
  const res = await p.post('/v1/batch', { batch: [...userIds, other].map((userId) => ({ type: 'track', userId, event: `Probe ${tag}` })) });
  expect(res.status).toBe(200);
  await p.waitForRows(`SELECT 1 FROM events WHERE user_id = '${other}'`, (r) => r.length === 1);
  return (await p.sql<{ user_id: string }>(`SELECT user_id FROM events WHERE event = 'Probe ${tag}' AND user_id != '${other}' ORDER BY user_id`)).map((r) => r.user_id);
}

test('SHA-1 suppression entries are converted in place at start, stay suppressing, and survive a crash midway, a second start and a rebuild', async () => {
  product = await startTestProduct({ dataDir, env });
  const a = `legacy-a-${run}`;
  const b = `legacy-b-${run}`;
  const sha1A = legacyIdentifierHash('user_id', a);
  const sha1B = legacyIdentifierHash('user_id', b);
  const keyed = hasher();
  // A as an old version left it; B as a conversion interrupted between its insert and its delete.
  await insertLegacyRows(product, [{ identifier_hash: sha1A }, { identifier_hash: sha1B }, { identifier_hash: keyed.of('user_id', b), scheme: 'hmac-sha256' }]);
  await withRedis(product, (redis) => redis.sadd(supKey, sha1A, sha1B));
  await product.stop();

  product = await startTestProduct({ dataDir, env });
  const rows = async () => (await product!.sql<{ h: string; scheme: string }>('SELECT DISTINCT identifier_hash AS h, scheme FROM suppressed_identifiers ORDER BY h')).map((r) => `${r.scheme}:${r.h}`);
  const expected = [`hmac-sha256:${keyed.of('user_id', a)}`, `hmac-sha256:${keyed.of('user_id', b)}`].sort();
  expect(await rows()).toEqual(expected);
  expect((await withRedis(product, (redis) => redis.smembers(supKey))).sort()).toEqual([keyed.of('user_id', a), keyed.of('user_id', b)].sort());
  expect(await loadedOf(product, [a, b, `fresh-${run}`], 'after-start')).toEqual([`fresh-${run}`]);

  // A start with nothing left to convert changes nothing.
  await product.stop();
  product = await startTestProduct({ dataDir, env });
  expect(await rows()).toEqual(expected);

  // The rebuild restores the set from ClickHouse, keying on the way a row no start has converted yet.
  const c = `legacy-c-${run}`;
  await insertLegacyRows(product, [{ identifier_hash: legacyIdentifierHash('user_id', c) }]);
  const res = await fetch(`${product.url}/v1/identity/rebuild`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(res.status).toBe(200);
  expect((await res.json()).suppressed).toBe(3);
  await withRedis(product, async (redis) => {
    expect(await redis.sismember(supKey, keyed.of('user_id', c))).toBe(1);
    expect(await redis.sismember(supKey, legacyIdentifierHash('user_id', c))).toBe(0);
  });
  expect(await loadedOf(product, [a, b, c], 'after-rebuild')).toEqual([]);
});

test('a start with another secret than the installation was set up with is refused, naming CDP_SECRET', async () => {
  await product?.stop();
  product = undefined;
  // An installation of its own, set up by a first start: it made its secret and keeps it in the data folder.
  const installed = tempDir();
  try {
    await (await startTestProduct({ dataDir: installed, env })).stop();
    expect(existsSync(path.join(installed, SECRET_FILE))).toBe(true);
    const err = await startTestProduct({ dataDir: installed, env: { ...env, CDP_SECRET: 'another-secret-of-32-characters-x' } }).then(
      async (started) => {
        await started.stop();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems[0]!.variable).toBe('CDP_SECRET');
    expect((err as ConfigError).message).not.toContain('another-secret-of-32-characters-x');
  } finally {
    rmSync(installed, { recursive: true, force: true });
  }
});
