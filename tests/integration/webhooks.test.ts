import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { webhooksFailedCommand, webhooksReplayCommand } from '../../pipeline/cli/commands/webhooks.js';
import { diff, segmentFixtures, type Change, type SegmentFixtures } from '../helpers/segment-audience-fixtures.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';
import { readBody } from '../helpers/http-receiver.js';
import { redisKeyNames } from '../../pipeline/redis/key-names.js';

// Webhook destinations against a real HTTP receiver that checks every signature. Runs are written straight
// into ClickHouse and announced with product.webhooks.onSegmentRun, as the membership runner does.

interface Received {
  deliveryId: string;
  path: string;
  status: number;
  body: { delivery_id: string; segment_id: string; seq: number; as_of: string; changes: Change[] };
}

const SECRET = `whsec_${randomUUID()}${randomUUID()}`;
const BATCH = 3;
const ATTEMPTS = 4;
let product: TestProduct;
let fx: SegmentFixtures;
let receiver: Server;
let base: string;
const received: Received[] = [];
/** path → how to answer the n-th request of a delivery id (n from 1). */
const behaviour = new Map<string, (attempt: number) => number>();
const badSignatures: string[] = [];
const tag = randomUUID().slice(0, 8);
const T0 = Date.parse('2026-05-01T00:00:00Z');
const pid = (i: number) => `p-${String(i).padStart(5, '0')}`;
const ids = (from: number, to: number) => new Set(Array.from({ length: to - from }, (_, k) => pid(from + k)));

/** The receiver's own check, written from the documented scheme rather than with the product's code. */
function signatureValid(req: IncomingMessage, raw: string): boolean {
  const timestamp = String(req.headers['x-cdp-timestamp'] ?? '');
  const given = Buffer.from(String(req.headers['x-cdp-signature'] ?? ''));
  const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${raw}`).digest('hex')}`);
  return /^\d+$/.test(timestamp) && Math.abs(Date.now() / 1000 - Number(timestamp)) < 300 && given.length === expected.length && timingSafeEqual(given, expected);
}

const attemptsSeen = new Map<string, number>();
async function handle(req: IncomingMessage): Promise<number> {
  const raw = await readBody(req);
  const deliveryId = String(req.headers['x-cdp-delivery'] ?? '');
  if (!signatureValid(req, raw)) {
    badSignatures.push(deliveryId);
    return 401;
  }
  const body = JSON.parse(raw) as Received['body'];
  const attempt = (attemptsSeen.get(deliveryId) ?? 0) + 1;
  attemptsSeen.set(deliveryId, attempt);
  const status = (behaviour.get(req.url!) ?? (() => 200))(attempt);
  received.push({ deliveryId, path: req.url!, status, body });
  return status;
}

const api = async (method: string, path: string, body?: unknown, key = ADMIN_KEY) => {
  const res = await fetch(`${product.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any, text: '' };
};

async function createDestination(segmentId: string, path: string): Promise<string> {
  const res = await api('POST', '/v1/destinations', { segment_id: segmentId, url: `${base}${path}`, secret: SECRET });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(JSON.stringify(res.body)).not.toContain(SECRET);
  return res.body.destination.id;
}

/** Commits run `seq` with the changes taking `from` to `to`, and announces it (unless `announce` is false). */
async function run(segmentId: string, seq: number, from: Set<string>, to: Set<string>, announce = true): Promise<Change[]> {
  const changes = diff(from, to);
  await fx.writeChanges(segmentId, seq, T0 + seq * 60_000, changes);
  await fx.commitRun(segmentId, seq, T0 + seq * 60_000, changes, to.size);
  const entered = changes.filter((c) => c.change === 'entered').length;
  if (announce) await product.webhooks!.onSegmentRun({ segmentId, seq, version: 1, asOf: T0 + seq * 60_000, size: to.size, entered, exited: changes.length - entered });
  return changes;
}

async function until<T>(what: string, probe: () => Promise<T> | T, done: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last = await probe();
  while (!done(last)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last).slice(0, 400)}`);
    await sleep(50);
    last = await probe();
  }
  return last;
}

const accepted = (path: string) => received.filter((r) => r.path === path && r.status >= 200 && r.status < 300);
const key = (c: Change) => `${c.profile_id}:${c.change}`;
const batches = (n: number) => Math.ceil(n / BATCH);

beforeAll(async () => {
  receiver = createServer((req, res) => {
    handle(req).then(
      (status) => res.writeHead(status).end(),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  product = await startTestProduct({
    roles: ['api', 'scheduler'],
    // One delivery at a time: jobs are taken in the order they were queued, so once a later delivery has
    // arrived, anything queued before it has been attempted.
    // The receiver listens on 127.0.0.1: destinations may reach private addresses here.
    env: { DESTINATIONS_ALLOW_PRIVATE: 'true', WEBHOOK_BATCH_SIZE: String(BATCH), WEBHOOK_ATTEMPTS: String(ATTEMPTS), WEBHOOK_BACKOFF_MS: '20', WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_CONCURRENCY: '1' },
  });
  fx = segmentFixtures(product);
});

afterAll(async () => {
  await fx?.close();
  await product?.destroy();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('delivery', () => {
  test('each committed run reaches the destination in signed batches under deterministic delivery ids', async () => {
    const segment = `happy-${tag}`;
    await fx.defineSegment(segment);
    const s1 = ids(0, 10);
    // A run before the destination existed is not sent: the members endpoint gives the starting audience.
    await run(segment, 1, new Set(), s1);
    const dst = await createDestination(segment, '/happy');
    const s2 = new Set([...s1].filter((p) => p !== pid(3) && p !== pid(7))).add(pid(10)).add(pid(11)).add(pid(12));
    const changes2 = await run(segment, 2, s1, s2);
    await until('run 2', () => accepted('/happy').length, (n) => n === batches(changes2.length));
    const got = accepted('/happy');
    expect(got.map((r) => r.deliveryId).sort()).toEqual(Array.from({ length: batches(changes2.length) }, (_, b) => `${dst}.2.${b}`).sort());
    for (const r of got) {
      expect(r.body).toMatchObject({ delivery_id: r.deliveryId, segment_id: segment, seq: 2, as_of: new Date(T0 + 2 * 60_000).toISOString() });
      expect(r.body.changes.length).toBeLessThanOrEqual(BATCH);
    }
    expect(got.flatMap((r) => r.body.changes).map(key).sort()).toEqual(changes2.map(key).sort());
    expect(badSignatures).toEqual([]);
  });

  test('announcing a run again delivers nothing new; a run never announced is caught up by the next one', async () => {
    const segment = `catchup-${tag}`;
    await fx.defineSegment(segment);
    const dst = await createDestination(segment, '/catchup');
    const s1 = ids(0, 4);
    const s2 = ids(2, 9);
    const s3 = ids(5, 6);
    const c1 = await run(segment, 1, new Set(), s1);
    await until('run 1', () => accepted('/catchup').length, (n) => n === batches(c1.length));
    await product.webhooks!.onSegmentRun({ segmentId: segment, seq: 1, version: 1, asOf: T0 + 60_000, size: 4, entered: 4, exited: 0 });
    // As if the process died after queuing run 1 but before recording it: the same delivery ids are queued
    // again, and BullMQ keeps the delivered ones, so nothing is sent twice.
    const redis = new Redis(product.redis.options);
    await redis.hset(redisKeyNames(product.config.QUEUE_PREFIX).destinations.one(dst), 'enqueued_seq', '0');
    redis.disconnect();
    await product.webhooks!.onSegmentRun({ segmentId: segment, seq: 1, version: 1, asOf: T0 + 60_000, size: 4, entered: 4, exited: 0 });
    const c2 = await run(segment, 2, s1, s2, false);
    const c3 = await run(segment, 3, s2, s3);
    const expectedCount = batches(c1.length) + batches(c2.length) + batches(c3.length);
    await until('runs 2 and 3', () => accepted('/catchup').length, (n) => n >= expectedCount);
    const got = accepted('/catchup');
    expect(got.length).toBe(expectedCount);
    expect(new Set(got.map((r) => r.deliveryId)).size).toBe(expectedCount);
    for (const [seq, changes] of [[1, c1], [2, c2], [3, c3]] as const) {
      expect(got.filter((r) => r.body.seq === seq).flatMap((r) => r.body.changes).map(key).sort()).toEqual(changes.map(key).sort());
    }
    expect((await api('GET', `/v1/destinations/${dst}`)).body.destination.enqueued_seq).toBe(3);
  });

  test('a receiver failing for a while loses nothing and gets each change under one delivery id only', async () => {
    const segment = `flaky-${tag}`;
    await fx.defineSegment(segment);
    // Every delivery is refused twice (500), then accepted: within the attempts, after backoff.
    behaviour.set('/flaky', (attempt) => (attempt <= 2 ? 500 : 200));
    const dst = await createDestination(segment, '/flaky');
    const c1 = await run(segment, 1, new Set(), ids(0, 20));
    const c2 = await run(segment, 2, ids(0, 20), ids(10, 25));
    const expectedIds = [...Array.from({ length: batches(c1.length) }, (_, b) => `${dst}.1.${b}`), ...Array.from({ length: batches(c2.length) }, (_, b) => `${dst}.2.${b}`)].sort();
    await until('flaky deliveries', () => accepted('/flaky').length, (n) => n >= expectedIds.length);
    const ok = accepted('/flaky');
    expect(ok.map((r) => r.deliveryId).sort()).toEqual(expectedIds);
    const attempts = received.filter((r) => r.path === '/flaky');
    expect(attempts.filter((r) => r.status === 500).length).toBe(2 * expectedIds.length);
    // A change travels under exactly one delivery id, whatever the number of attempts.
    const idsByChange = new Map<string, Set<string>>();
    for (const r of attempts) for (const c of r.body.changes) idsByChange.set(`${r.body.seq}:${key(c)}`, (idsByChange.get(`${r.body.seq}:${key(c)}`) ?? new Set()).add(r.deliveryId));
    expect([...idsByChange.values()].every((s) => s.size === 1)).toBe(true);
    expect([...idsByChange.keys()].sort()).toEqual([...c1.map((c) => `1:${key(c)}`), ...c2.map((c) => `2:${key(c)}`)].sort());
    expect(ok.flatMap((r) => r.body.changes.map((c) => `${r.body.seq}:${key(c)}`)).sort()).toEqual([...idsByChange.keys()].sort());
  });

  test('after the last attempt a delivery is dead-lettered, and a replay delivers it under the same id', async () => {
    const segment = `dead-${tag}`;
    await fx.defineSegment(segment);
    let down = true;
    behaviour.set('/dead', () => (down ? 503 : 200));
    const dst = await createDestination(segment, '/dead');
    const c1 = await run(segment, 1, new Set(), ids(0, 5));
    const dead = await until('dead letters', async () => (await api('GET', `/v1/destinations/${dst}`)).body.dead_letters as any[], (d) => d.length === batches(c1.length));
    expect(dead.map((d) => d.delivery_id).sort()).toEqual(Array.from({ length: batches(c1.length) }, (_, b) => `${dst}.1.${b}`).sort());
    for (const d of dead) expect(d).toMatchObject({ destination_id: dst, segment_id: segment, seq: 1, attempts: ATTEMPTS, reason: expect.stringMatching(/answered 503/) });
    expect(received.filter((r) => r.path === '/dead').length).toBe(ATTEMPTS * batches(c1.length));
    down = false;
    expect((await api('POST', `/v1/destinations/${dst}/replay`, {})).body).toEqual({ success: true, replayed: batches(c1.length), skipped: 0 });
    await until('replayed deliveries', () => accepted('/dead').length, (n) => n === batches(c1.length));
    expect(accepted('/dead').map((r) => r.deliveryId).sort()).toEqual(dead.map((d) => d.delivery_id).sort());
    expect(accepted('/dead').flatMap((r) => r.body.changes).map(key).sort()).toEqual(c1.map(key).sort());
    expect((await api('GET', `/v1/destinations/${dst}`)).body.dead_letters).toEqual([]);
  });

  test('a customer erased while deliveries wait leaves the other batches as they were: nobody skipped, nobody twice', async () => {
    const segment = `erase-${tag}`;
    await fx.defineSegment(segment);
    let down = true;
    behaviour.set('/erase', () => (down ? 503 : 200));
    const dst = await createDestination(segment, '/erase');
    const c1 = await run(segment, 1, new Set(), ids(0, 9));
    // Every batch has been tried once and waits for its retry (or in the dead letters).
    await until('first attempts', () => new Set(received.filter((r) => r.path === '/erase').map((r) => r.deliveryId)).size, (n) => n === batches(c1.length));
    // What deleting the customer does to segment_changes (identity/profile-store.ts).
    await fx.clickhouse.command({ query: `ALTER TABLE ${product.config.CLICKHOUSE_DATABASE}.segment_changes DELETE WHERE segment_id = {s:String} AND profile_id = {p:String}`, query_params: { s: segment, p: pid(1) }, clickhouse_settings: { mutations_sync: '2' } });
    down = false;
    await api('POST', `/v1/destinations/${dst}/replay`, {});
    await until('deliveries', () => accepted('/erase').length, (n) => n === batches(c1.length));
    const byBatch = Object.fromEntries(accepted('/erase').map((r) => [r.deliveryId, r.body.changes.map((c) => c.profile_id)]));
    expect(byBatch).toEqual({
      [`${dst}.1.0`]: [pid(0), pid(2)],
      [`${dst}.1.1`]: [pid(3), pid(4), pid(5)],
      [`${dst}.1.2`]: [pid(6), pid(7), pid(8)],
    });
  });

  test('cdp webhooks failed lists dead letters and cdp webhooks replay --id replays one', async () => {
    const segment = `cli-${tag}`;
    await fx.defineSegment(segment);
    let down = true;
    behaviour.set('/cli', () => (down ? 500 : 204));
    const dst = await createDestination(segment, '/cli');
    const c1 = await run(segment, 1, new Set(), ids(0, 6));
    const failed = await until('dead letters', async () => JSON.parse(await webhooksFailedCommand(product.config, dst)), (f) => f.count === batches(c1.length));
    expect(failed.deliveries.map((d: any) => d.delivery_id).sort()).toEqual([`${dst}.1.0`, `${dst}.1.1`]);
    down = false;
    expect(JSON.parse(await webhooksReplayCommand(product.config, { deliveryId: `${dst}.1.1` }))).toEqual({ replayed: 1, skipped: 0 });
    await until('replayed delivery', () => accepted('/cli').length, (n) => n === 1);
    expect(accepted('/cli')[0]!.deliveryId).toBe(`${dst}.1.1`);
    expect(JSON.parse(await webhooksFailedCommand(product.config, dst)).deliveries.map((d: any) => d.delivery_id)).toEqual([`${dst}.1.0`]);
    await expect(webhooksReplayCommand(product.config, { deliveryId: `${dst}.9.9` })).rejects.toThrow(/no webhook delivery with id/);
  });

  test('a receiver answering 410 disables its destination; later runs are not sent to it', async () => {
    const segment = `gone-${tag}`;
    await fx.defineSegment(segment);
    behaviour.set('/gone', () => 410);
    const goneDst = await createDestination(segment, '/gone');
    const witness = await createDestination(segment, '/witness');
    const c1 = await run(segment, 1, new Set(), ids(0, 2));
    const info = await until('disabled', async () => (await api('GET', `/v1/destinations/${goneDst}`)).body, (b) => b.destination.disabled_at !== null);
    expect(info.destination.disabled_reason).toMatch(/410/);
    expect(received.filter((r) => r.path === '/gone').length).toBe(1);
    await until('witness run 1', () => accepted('/witness').length, (n) => n === batches(c1.length));
    const c2 = await run(segment, 2, ids(0, 2), ids(1, 6));
    // The witness, created after the disabled destination, is served after it: once its run-2 batches are
    // in, a run-2 delivery to the disabled one would have been attempted.
    await until('witness run 2', () => accepted('/witness').length, (n) => n === batches(c1.length) + batches(c2.length));
    expect(received.filter((r) => r.path === '/gone').length).toBe(1);
    const after = (await api('GET', `/v1/destinations/${goneDst}`)).body;
    expect(after.destination.enqueued_seq).toBe(1);
    expect(after.dead_letters.map((d: any) => d.delivery_id)).toEqual([`${goneDst}.1.0`]);
    const replay = await api('POST', `/v1/destinations/${goneDst}/replay`, {});
    expect(replay.status).toBe(409);
    expect(replay.body.code).toBe('destination_disabled');
  });
});

describe('destinations API', () => {
  test('create, read, list and delete; the secret is never shown', async () => {
    const segment = `crud-${tag}`;
    await fx.defineSegment(segment);
    const dst = await createDestination(segment, '/crud');
    const one = await api('GET', `/v1/destinations/${dst}`);
    expect(one.body.destination).toMatchObject({ id: dst, segment_id: segment, url: `${base}/crud`, disabled_at: null, created_by: 'CDP_ADMIN_KEY' });
    const list = await api('GET', '/v1/destinations');
    expect(list.body.destinations.map((d: any) => d.id)).toContain(dst);
    expect(JSON.stringify([one.body, list.body])).not.toContain(SECRET);
    expect(await api('DELETE', `/v1/destinations/${dst}`)).toMatchObject({ status: 200, body: { deleted: dst } });
    expect((await api('GET', `/v1/destinations/${dst}`)).status).toBe(404);
    expect((await api('DELETE', `/v1/destinations/${dst}`)).status).toBe(404);
  });

  test('bad input is refused with what is wrong', async () => {
    const segment = `valid-${tag}`;
    await fx.defineSegment(segment);
    const good = { segment_id: segment, url: 'https://hooks.example.com/cdp', secret: 'k'.repeat(32) };
    const cases: [unknown, number, RegExp][] = [
      [{ ...good, url: 'ftp://hooks.example.com/x' }, 400, /url: must be an absolute http/],
      [{ ...good, url: 'not a url' }, 400, /url: must be an absolute http/],
      [{ ...good, url: 'https://user:pw@hooks.example.com/' }, 400, /without user name or password/],
      [{ ...good, secret: 'short' }, 400, /secret: must be at least 32 characters/],
      [{ ...good, secret: 'k'.repeat(257) }, 400, /secret: must be at most 256 characters/],
      [{ ...good, extra: 1 }, 400, /unknown field\(s\) extra/],
      [{ url: good.url, secret: good.secret }, 400, /segment_id/],
      [{ ...good, segment_id: `nope-${tag}` }, 404, /no segment/],
    ];
    for (const [body, status, message] of cases) {
      const res = await api('POST', '/v1/destinations', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.message, JSON.stringify(body)).toMatch(message);
    }
    expect((await api('GET', '/v1/destinations/not-an-id')).status).toBe(400);
    expect((await api('POST', '/v1/destinations/dst_0000000000000000/replay', {})).status).toBe(404);
  });
});
