import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { breakAofManifest } from '../helpers/private-redis.js';
import { ADMIN_KEY, WRITE_KEY, basicAuth, startTestProduct, tempDir, type TestProduct } from '../helpers/test-product.js';

// API keys across two real processes sharing one private Redis, as in split mode: `a` answers the admin
// routes, `b` is a second api process beside it. `b` trusts a write key it looked up for an hour, so only the
// revocation announcement can make it refuse one; `a` re-asks Redis after a second, the fallback for a
// missed announcement.

const dataDir = tempDir();
let a: TestProduct;
let b: TestProduct;
let redis: Redis;

interface Answer {
  status: number;
  body: any;
}

async function call(product: TestProduct, method: string, route: string, auth: string | undefined, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = auth === undefined ? {} : { authorization: auth };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${product.url}${route}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

const admin = `Bearer ${ADMIN_KEY}`;
const track = (product: TestProduct, key: string) => product.post('/v1/track', { userId: 'u1', event: 'Keyed' }, { auth: basicAuth(key) });

async function create(body: Record<string, unknown>): Promise<{ id: string; value: string }> {
  const res = await call(a, 'POST', '/v1/keys', admin, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.key;
}

/** A write key put straight into Redis, as the key store keeps it, without announcing it; its id from the list. */
async function storeWriteKey(value: string, source: string): Promise<{ id: string; value: string }> {
  await redis.hset('cdp:keys:write', value, JSON.stringify({ sourceId: source, createdAt: new Date().toISOString() }));
  const listed = ((await call(a, 'GET', '/v1/keys', admin)).body.keys as { id: string; name: string }[]).find((k) => k.name === source);
  return { id: listed!.id, value };
}

/** Polls `probe` until it answers `want`, or fails with the last answer. */
async function until(what: string, probe: () => Promise<number>, want: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    last = await probe();
    if (last === want) return;
    await sleep(50);
  }
  throw new Error(`${what}: still ${last} after ${timeoutMs} ms, wanted ${want}`);
}

beforeAll(async () => {
  a = await startTestProduct({ roles: ['api'], dataDir, env: { WRITE_KEY_CACHE_SECONDS: '1' } });
  b = await startTestProduct({ roles: ['api'], dataDir, env: { WRITE_KEY_CACHE_SECONDS: '3600' } });
  redis = new Redis(a.redis.options);
});

afterAll(async () => {
  await redis?.quit();
  // b first: a started the private Redis and stops it.
  await b?.stop();
  await a?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('who may manage keys', () => {
  test('no key or a write key is 401, an audience or read key 403, on every key route', async () => {
    const audience = await create({ scope: 'audience', name: 'ads' });
    const read = await create({ scope: 'read', name: 'analyst' });
    const victim = await create({ scope: 'read', name: 'victim' });
    const routes: [string, string, unknown?][] = [
      ['GET', '/v1/keys'],
      ['POST', '/v1/keys', { scope: 'write', name: 'shop' }],
      ['DELETE', `/v1/keys/${victim.id}`],
    ];
    for (const [method, route, body] of routes) {
      const none = await call(a, method, route, undefined, body);
      expect([none.status, none.body.code], `${method} ${route}`).toEqual([401, 'missing_key']);
      const write = await call(a, method, route, `Bearer ${WRITE_KEY}`, body);
      expect([write.status, write.body.code], `${method} ${route}`).toEqual([401, 'invalid_key']);
      for (const key of [audience, read]) {
        const refused = await call(a, method, route, `Bearer ${key.value}`, body);
        expect([refused.status, refused.body.code], `${method} ${route}`).toEqual([403, 'forbidden']);
      }
    }
    const list = await call(a, 'GET', '/v1/keys', admin);
    expect(list.body.keys.map((k: { id: string }) => k.id)).toContain(victim.id);
  });
});

describe('creating and listing', () => {
  test('a created key is shown once; the list never holds a key, only ids, names and hints', async () => {
    const write = await create({ scope: 'write', name: 'shop' });
    const audience = await create({ scope: 'audience', name: 'ads-tool', segments: ['vip', 'lapsed', 'vip'] });
    expect(write.value).toMatch(/^wk_/);
    expect(audience).toMatchObject({ scope: 'audience', name: 'ads-tool', segments: ['vip', 'lapsed'], origin: 'redis', hint: null, revocable: true });
    expect(audience.id).toMatch(/^key_[0-9a-f]{12}$/);
    expect((await track(a, write.value)).status).toBe(200);

    const list = await call(a, 'GET', '/v1/keys', admin);
    expect(list.status).toBe(200);
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(write.value);
    expect(text).not.toContain(audience.value);
    expect(text).not.toContain(ADMIN_KEY);
    expect(text).not.toContain('"value"');
    const byId = new Map(list.body.keys.map((k: { id: string }) => [k.id, k]));
    expect(byId.get(write.id)).toMatchObject({ scope: 'write', name: 'shop', origin: 'redis', hint: write.value.slice(-4), segments: null });
    expect(byId.get(audience.id)).toMatchObject({ scope: 'audience', segments: ['vip', 'lapsed'] });
    expect(Date.parse((byId.get(write.id) as { created_at: string }).created_at)).not.toBeNaN();
    const env = list.body.keys.filter((k: { origin: string }) => k.origin === 'env');
    expect(env).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ scope: 'write', name: 'web', revocable: false, created_at: null }),
        expect.objectContaining({ scope: 'admin', name: 'CDP_ADMIN_KEY', revocable: false, hint: null }),
      ]),
    );
    expect(list.body.keys.filter((k: { origin: string }) => k.origin === 'local-cli')).toHaveLength(1);
  });

  test('bad bodies are 400 with a message naming the field', async () => {
    const bad: [unknown, RegExp][] = [
      [[], /body/],
      [{ name: 'x' }, /scope/],
      [{ scope: 'root', name: 'x' }, /scope: must be one of write, audience, read, admin/],
      [{ scope: 'write' }, /name/],
      [{ scope: 'write', name: '   ' }, /name: must not be empty/],
      [{ scope: 'write', name: 'x'.repeat(101) }, /name: must be at most 100/],
      [{ scope: 'write', name: 'a\nb' }, /name: must not contain control characters/],
      [{ scope: 'admin', name: 'local-cli' }, /name: "local-cli" is reserved/],
      [{ scope: 'audience', name: 'x', segments: [] }, /segments: must name at least one segment/],
      [{ scope: 'audience', name: 'x', segments: ['VIP'] }, /segments\.0: lower-case letters/],
      [{ scope: 'audience', name: 'x', segments: 'vip' }, /segments/],
      [{ scope: 'read', name: 'x', segments: ['vip'] }, /segments: applies to audience keys only/],
      [{ scope: 'write', name: 'x', owner: 'me' }, /unknown field\(s\) owner/],
    ];
    const before = (await call(a, 'GET', '/v1/keys', admin)).body.keys.length;
    expect((await call(a, 'POST', '/v1/keys', admin, 'not json')).status).toBe(400);
    for (const [body, message] of bad) {
      const res = await call(a, 'POST', '/v1/keys', admin, body);
      expect([res.status, res.body.code], JSON.stringify(body)).toEqual([400, 'invalid_request']);
      expect(res.body.message, JSON.stringify(body)).toMatch(message);
    }
    expect((await call(a, 'GET', '/v1/keys', admin)).body.keys).toHaveLength(before);
  });
});

describe('revoking', () => {
  test('bad ids are 400, unknown ids 404, keys from the environment 409', async () => {
    for (const id of ['nope', 'key_', 'key_0123456789AB', 'key_0123456789abc', `${'key_0123456789ab'}%20`]) {
      const res = await call(a, 'DELETE', `/v1/keys/${id}`, admin);
      expect([res.status, res.body.code], id).toEqual([400, 'invalid_request']);
    }
    const unknown = await call(a, 'DELETE', '/v1/keys/key_000000000000', admin);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'key_not_found']);
    const keys = (await call(a, 'GET', '/v1/keys', admin)).body.keys as { id: string; origin: string }[];
    for (const env of keys.filter((k) => k.origin === 'env')) {
      const res = await call(a, 'DELETE', `/v1/keys/${env.id}`, admin);
      expect([res.status, res.body.code]).toEqual([409, 'env_key']);
      expect(res.body.message).toMatch(/remove it there/);
      expect((await call(a, 'DELETE', `/v1/keys/${env.id}?force=true`, admin)).status).toBe(409);
    }
    expect((await track(a, WRITE_KEY)).status).toBe(200);
    expect((await call(a, 'GET', '/v1/keys', admin)).status).toBe(200);
    const other = await create({ scope: 'read', name: 'query-test' });
    for (const query of ['?force=yes', '?all=true']) {
      const res = await call(a, 'DELETE', `/v1/keys/${other.id}${query}`, admin);
      expect([res.status, res.body.code], query).toEqual([400, 'invalid_request']);
    }
  });

  test('revoked read and admin keys are 401 at once in both processes; a key may revoke itself', async () => {
    const read = await create({ scope: 'read', name: 'to-revoke' });
    const ops = await create({ scope: 'admin', name: 'ops' });
    for (const p of [a, b]) {
      expect((await call(p, 'GET', '/v1/keys', `Bearer ${read.value}`)).status).toBe(403);
      expect((await call(p, 'GET', '/v1/keys', `Bearer ${ops.value}`)).status).toBe(200);
    }
    const revoked = await call(a, 'DELETE', `/v1/keys/${read.id}`, `Bearer ${ops.value}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked).toMatchObject({ id: read.id, scope: 'read', name: 'to-revoke' });
    const self = await call(b, 'DELETE', `/v1/keys/${ops.id}`, `Bearer ${ops.value}`);
    expect(self.status).toBe(200);
    for (const p of [a, b]) {
      for (const key of [read, ops]) {
        const res = await call(p, 'GET', '/v1/keys', `Bearer ${key.value}`);
        expect([res.status, res.body.code]).toEqual([401, 'invalid_key']);
      }
    }
    const again = await call(a, 'DELETE', `/v1/keys/${read.id}`, admin);
    expect([again.status, again.body.code]).toEqual([404, 'key_not_found']);
    const ids = (await call(a, 'GET', '/v1/keys', admin)).body.keys.map((k: { id: string }) => k.id);
    expect(ids).not.toContain(read.id);
    expect(ids).not.toContain(ops.id);
  });

  test('a write key revoked through one process is refused by the other, which had it cached', async () => {
    // Stored without the creation's announcement, which would otherwise also empty b's cache.
    const key = await storeWriteKey('wk_spread_to_every_process', 'spread');
    expect((await track(b, key.value)).status).toBe(200);
    expect((await track(b, key.value)).status).toBe(200);
    expect((await call(a, 'DELETE', `/v1/keys/${key.id}`, admin)).status).toBe(200);
    expect((await track(a, key.value)).status).toBe(401);
    // b trusts what it looked up for an hour: only the announcement can make it ask again.
    await until('b taking the revoked key', async () => (await track(b, key.value)).status, 401);
    expect((await track(b, key.value)).body.code).toBe('invalid_write_key');
  });

  test('a revocation whose announcement is missed still reaches a process after its cache time', async () => {
    const key = await storeWriteKey('wk_removed_without_a_word', 'quiet');
    expect((await track(a, key.value)).status).toBe(200);
    expect((await track(b, key.value)).status).toBe(200);
    // Removed behind the product's back, as if the message had been lost: no announcement at all.
    expect(await redis.hdel('cdp:keys:write', key.value)).toBe(1);
    await until('a taking the silently removed key', async () => (await track(a, key.value)).status, 401);
    // b (an hour's cache, no message) still takes it: a's refusal came from its cache time, not a message.
    expect((await track(b, key.value)).status).toBe(200);
  });

  test('keys stored before ids existed are listed and revoked', async () => {
    // As the earlier key store wrote them: a write key as given, a secret key by its SHA-256.
    const oldWrite = 'wk_stored_before_ids';
    const oldRead = 'rk_stored_before_ids';
    await redis.hset('cdp:keys:write', oldWrite, JSON.stringify({ sourceId: 'legacy', createdAt: '2026-01-02T03:04:05.000Z' }));
    await redis.hset('cdp:keys:secret', createHash('sha256').update(oldRead).digest('hex'), JSON.stringify({ scope: 'audience', name: 'old-tool', createdAt: '2026-01-02T03:04:05.000Z', segments: ['vip'] }));
    const keys = (await call(a, 'GET', '/v1/keys', admin)).body.keys as { id: string; name: string }[];
    const write = keys.find((k) => k.name === 'legacy');
    const read = keys.find((k) => k.name === 'old-tool');
    expect(write).toMatchObject({ scope: 'write', origin: 'redis', hint: '_ids', created_at: '2026-01-02T03:04:05.000Z' });
    expect(read).toMatchObject({ scope: 'audience', origin: 'redis', segments: ['vip'], hint: null });
    expect((await track(b, oldWrite)).status).toBe(200);
    // Let through by the key, then refused for want of ClickHouse in an api-only process.
    expect((await call(b, 'GET', '/v1/segments/vip/members', `Bearer ${oldRead}`)).status).toBe(503);
    for (const k of [write!, read!]) expect((await call(a, 'DELETE', `/v1/keys/${k.id}`, admin)).status).toBe(200);
    await until('b taking the old write key', async () => (await track(b, oldWrite)).status, 401);
    expect((await call(b, 'GET', '/v1/segments/vip/members', `Bearer ${oldRead}`)).status).toBe(401);
  });

  test("the data folder's cli.key is revoked only when forced", async () => {
    const local = ((await call(a, 'GET', '/v1/keys', admin)).body.keys as { id: string; origin: string }[]).find((k) => k.origin === 'local-cli')!;
    const refused = await call(a, 'DELETE', `/v1/keys/${local.id}`, admin);
    expect([refused.status, refused.body.code]).toEqual([409, 'local_cli_key']);
    expect(refused.body.message).toMatch(/cli\.key/);
    const forced = await call(a, 'DELETE', `/v1/keys/${local.id}?force=true`, admin);
    expect(forced.status).toBe(200);
    expect(forced.body.revoked).toMatchObject({ id: local.id, origin: 'local-cli', scope: 'admin' });
    expect((await call(a, 'GET', '/v1/keys', admin)).body.keys.some((k: { id: string }) => k.id === local.id)).toBe(false);
  });
});

describe('Redis down', () => {
  let c: TestProduct | undefined;
  afterAll(async () => {
    await c?.destroy();
  });

  test('a stored write key asked about during an outage answers 503, as the queue write does, not 500', async () => {
    // No cache time: every request asks Redis about the key, so the outage is met at the lookup.
    c = await startTestProduct({ roles: ['api'], env: { WRITE_KEY_CACHE_SECONDS: '0' } });
    const created = await call(c, 'POST', '/v1/keys', admin, { scope: 'write', name: 'outage' });
    const key = created.body.key.value as string;
    expect((await track(c, key)).status).toBe(200);
    // The product restarts its Redis by itself; a damaged AOF manifest keeps it down until it is put back.
    const repair = breakAofManifest(c.dataDir);
    process.kill(c.redis.local!.pid, 'SIGKILL');
    const deadline = Date.now() + 15_000;
    let during = await track(c, key);
    while (during.status === 200 && Date.now() < deadline) during = await track(c, key);
    expect([during.status, during.body.code]).toEqual([503, 'unavailable']);
    repair();
    await until('the key after the outage', async () => (await track(c!, key)).status, 200, 30_000);
  });
});
