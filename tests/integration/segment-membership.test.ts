import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { redisFor } from '../../pipeline/redis/connection.js';
import { openClickHouse } from '../../pipeline/clickhouse/open-clickhouse.js';
import { createLogger } from '../../pipeline/core/logger.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';
import { queuePrefix } from '../../pipeline/redis/key-names.js';

// The membership job over several runs: who entered and who left, once each; re-runs that change nothing;
// versions; analyst SQL segments and what they may not do; segments of segments; a run that died half-way.
// The scheduler role runs here too, so a saved segment is also run by its BullMQ Job Scheduler. Each test
// saves the segments it needs under ids of its own; those that read every saved segment get a product of
// their own.

let product: TestProduct;
let clickhouse: ClickHouseClient;
const admin = { auth: `Bearer ${ADMIN_KEY}` };
const DAY = 86_400_000;
const T1 = Date.parse('2026-06-01T12:00:00Z');
const profile = new Map<string, string>();

const order = (userId: string, at: number, orderId: string) => ({ type: 'track', userId, event: 'Order Completed', timestamp: new Date(at).toISOString(), properties: { order_id: orderId, revenue: 10 } });

async function api(method: string, route: string, body?: unknown) {
  const res = await fetch(`${product.url}${route}`, {
    method,
    headers: { authorization: admin.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function run(id: string, asOf: number) {
  const res = await api('POST', `/v1/segments/${id}/run`, { as_of: new Date(asOf).toISOString() });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.result as { seq: number; size: number; entered: number; exited: number; version: number };
}

async function changes(id: string) {
  const rows = await product.sql<{ seq: string; profile_id: string; change: string }>(
    `SELECT seq, profile_id, change FROM segment_changes WHERE segment_id = '${id}' ORDER BY seq, profile_id`,
  );
  const user = new Map([...profile].map(([u, p]) => [p, u]));
  return rows.map((r) => `${r.seq}:${r.change}:${user.get(r.profile_id)}`);
}

async function current(id: string): Promise<string[]> {
  const rows = await product.sql<{ profile_id: string }>(`SELECT profile_id FROM segment_members_current WHERE segment_id = '${id}'`);
  const user = new Map([...profile].map(([u, p]) => [p, u]));
  return rows.map((r) => user.get(r.profile_id) ?? r.profile_id).sort();
}

/** A product with the four customers below loaded; `profile` maps their user ids to profile ids. */
async function startWithCustomers(): Promise<void> {
  // The webhook receiver listens on 127.0.0.1: destinations may reach private addresses here.
  product = await startTestProduct({ roles: ['api', 'workers', 'scheduler'], env: { DESTINATIONS_ALLOW_PRIVATE: 'true' } });
  profile.clear();
  // a: ordered 5 days before T1; b: 20 days before; c: 40 days before (outside a 30-day window); d: never.
  const batch = [
    order('a', T1 - 5 * DAY, 'oa'),
    order('b', T1 - 20 * DAY, 'ob'),
    order('c', T1 - 40 * DAY, 'oc'),
    { type: 'identify', userId: 'd', timestamp: new Date(T1 - 50 * DAY).toISOString(), traits: { city: 'Berlin' } },
  ];
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === batch.length);
  for (const row of await product.sql<{ identifier: string; profile_id: string }>(`SELECT identifier, profile_id FROM profile_identifiers WHERE identifier_type = 'user_id'`)) {
    profile.set(row.identifier, row.profile_id);
  }
  clickhouse = await openClickHouse(product.config);
}

async function stopProduct(): Promise<void> {
  await clickhouse?.close();
  await product?.destroy();
}

beforeAll(startWithCustomers);
afterAll(stopProduct);

/** Buyers of the last `days` days, under `id`. */
const buyers = (id: string, days: number) => ({ id, name: `Buyers in ${days} days`, conditions: { type: 'event', event: 'Order Completed', window: { within_days: days } } });
const recentBuyers = { ...buyers('recent-buyers', 30), name: 'Recent buyers' };

/**
 * Saves a segment and waits for the run the scheduler role starts at once (as of now, when none of these
 * orders is recent), so that the runs a test asks for are the only ones left to reason about.
 */
async function save(segment: { id: string; name: string } & Record<string, unknown>) {
  const created = await api('POST', '/v1/segments', segment);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await product.waitForRows(`SELECT count() AS n FROM segment_runs WHERE segment_id = '${segment.id}'`, (r) => Number((r[0] as { n: string }).n) >= 1);
  return created.body;
}

/** Buyers in 30 days edited to 60 (version 2), run as of T1: a, b and c are members. */
async function editedTo60Days(id: string): Promise<void> {
  await save(buyers(id, 30));
  const edited = await api('PUT', `/v1/segments/${id}`, buyers(id, 60));
  expect(edited.status, JSON.stringify(edited.body)).toBe(200);
  expect(await run(id, T1)).toMatchObject({ version: 2, size: 3 });
}

describe('membership over runs', () => {
  test('a profile that stops qualifying exits once; re-running an as_of changes nothing', async () => {
    const created = await save(recentBuyers);
    expect(created.segment).toMatchObject({ id: 'recent-buyers', version: 1, kind: 'rules' });
    const before = (await changes('recent-buyers')).length;
    expect(await current('recent-buyers')).toEqual([]);

    const first = await run('recent-buyers', T1);
    expect(first).toMatchObject({ size: 2, entered: 2, exited: 0 });
    expect(await current('recent-buyers')).toEqual(['a', 'b']);

    expect(await run('recent-buyers', T1)).toMatchObject({ size: 2, entered: 0, exited: 0 });

    // Eleven days later b's order is 31 days old.
    const later = await run('recent-buyers', T1 + 11 * DAY);
    expect(later).toMatchObject({ size: 1, entered: 0, exited: 1 });
    expect(await run('recent-buyers', T1 + 12 * DAY)).toMatchObject({ size: 1, entered: 0, exited: 0 });
    expect(await current('recent-buyers')).toEqual(['a']);

    const log = (await changes('recent-buyers')).slice(before).sort();
    expect(log).toEqual([`${first.seq}:entered:a`, `${first.seq}:entered:b`, `${later.seq}:exited:b`]);

    const [jobRun] = await product.sql<{ status: string; rows: string; summary: string; took: string }>(
      `SELECT status, rows, summary, dateDiff('millisecond', started_at, finished_at) AS took FROM job_runs FINAL WHERE job = 'segment:recent-buyers' AND as_of = '${chTime(T1 + 11 * DAY)}'`,
    );
    expect(jobRun).toMatchObject({ status: 'succeeded', rows: '1' });
    expect(JSON.parse(jobRun!.summary)).toMatchObject({ size: 1, entered: 0, exited: 1, seq: later.seq });
    // The duration is the run's own start and finish, as recorded beside it.
    expect(JSON.parse(jobRun!.summary).duration_ms).toBe(Number(jobRun!.took));
  });

  test('editing makes a new version and a full recompute', async () => {
    const id = 'edited-buyers';
    await save(buyers(id, 30));
    // Twelve days after T1 only a has ordered in the last 30 days.
    expect(await run(id, T1 + 12 * DAY)).toMatchObject({ version: 1, size: 1 });
    expect(await current(id)).toEqual(['a']);

    const res = await api('PUT', `/v1/segments/${id}`, buyers(id, 60));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.segment.version).toBe(2);
    const r = await run(id, T1);
    expect(r).toMatchObject({ version: 2, size: 3, entered: 2, exited: 0 });
    expect(await current(id)).toEqual(['a', 'b', 'c']);
    const versions = await api('GET', `/v1/segments/${id}/versions`);
    expect(versions.body.versions.map((v: { version: number; conditions: { window: unknown } }) => [v.version, v.conditions.window])).toEqual([
      [2, { within_days: 60 }],
      [1, { within_days: 30 }],
    ]);
  });

  test('a run that died before committing is cleared by the next run', async () => {
    const id = 'crashed-buyers';
    await editedTo60Days(id);
    const [last] = await product.sql<{ seq: string }>(`SELECT max(seq) AS seq FROM segment_runs WHERE segment_id = '${id}'`);
    const orphan = Number(last!.seq) + 1;
    // What a crash between the changes insert and the commit leaves: d "entered" and a "exited" in a run
    // nobody committed; and a merge that already collapsed a's committed row into the dead one.
    const db = product.config.CLICKHOUSE_DATABASE;
    await clickhouse.insert({
      table: `${db}.segment_changes`,
      format: 'JSONEachRow',
      values: [
        { segment_id: id, seq: orphan, version: 2, as_of: chTime(T1), profile_id: profile.get('d'), change: 'entered' },
        { segment_id: id, seq: orphan, version: 2, as_of: chTime(T1), profile_id: profile.get('a'), change: 'exited' },
      ],
    });
    await clickhouse.command({ query: `OPTIMIZE TABLE ${db}.segment_membership FINAL` });
    expect(await current(id)).toEqual(['b', 'c', 'd']);
    const r = await run(id, T1);
    expect(r).toMatchObject({ seq: orphan, entered: 0, exited: 0, size: 3 });
    expect(await current(id)).toEqual(['a', 'b', 'c']);
    expect((await changes(id)).filter((c) => c.endsWith(':d') || c.startsWith(`${orphan}:`))).toEqual([]);
  });
});

describe('segments of segments', () => {
  test('membership of another segment, and cycles refused', async () => {
    // a, b and c buy within 60 days of T1; d lives in Berlin.
    await editedTo60Days('any-buyers');
    const berlin = await api('POST', '/v1/segments', { id: 'berlin', name: 'Berlin', conditions: { type: 'trait', trait: 'city', op: 'eq', value: 'Berlin' } });
    expect(berlin.status).toBe(201);
    const either = await api('POST', '/v1/segments', { id: 'berlin-or-buyer', name: 'Berlin or buyer', conditions: { type: 'or', conditions: [{ type: 'segment', segment_id: 'berlin' }, { type: 'segment', segment_id: 'any-buyers' }] } });
    expect(either.status, JSON.stringify(either.body)).toBe(201);
    await run('berlin', T1);
    expect(await run('berlin-or-buyer', T1)).toMatchObject({ size: 4 });

    const cycle = await api('PUT', '/v1/segments/berlin', { name: 'Berlin', conditions: { type: 'segment', segment_id: 'berlin-or-buyer' } });
    expect(cycle.status).toBe(400);
    expect(cycle.body.message).toMatch(/berlin → berlin-or-buyer → berlin/);
    const self = await api('PUT', '/v1/segments/berlin', { name: 'Berlin', conditions: { type: 'segment', segment_id: 'berlin' } });
    expect(self.status).toBe(400);
    const inUse = await api('DELETE', '/v1/segments/berlin');
    expect(inUse.status).toBe(400);
    expect(inUse.body.message).toMatch(/berlin-or-buyer/);
  });
});

describe('analyst SQL segments', () => {
  test('a SELECT returning profile_id runs read-only', async () => {
    const res = await api('POST', '/v1/segments', { id: 'sql-buyers', name: 'SQL buyers', sql: `SELECT DISTINCT profile_id FROM events_resolved WHERE event = 'Order Completed' -- every buyer ever` });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    // The scheduler may have run it already as of now; either way every buyer entered exactly once.
    expect(await run('sql-buyers', T1)).toMatchObject({ size: 3, exited: 0 });
    expect(await current('sql-buyers')).toEqual(['a', 'b', 'c']);
    expect((await changes('sql-buyers')).map((c) => c.split(':').slice(1).join(':')).sort()).toEqual(['entered:a', 'entered:b', 'entered:c']);
  });

  test.each([
    ['an insert', `INSERT INTO events (message_id) VALUES ('x')`, /only one SELECT is allowed/],
    ['a drop', 'DROP TABLE events', /only one SELECT is allowed/],
    ['two statements', 'SELECT profile_id FROM events; DROP TABLE events', /cannot parse/],
    ['breaking out of the wrapper', `SELECT profile_id FROM events) UNION ALL (SELECT 'x' AS profile_id`, /cannot parse/],
    ['no profile_id column', 'SELECT user_id FROM events', /must return a profile_id column/],
    ['an unknown table', 'SELECT profile_id FROM nowhere', /nowhere/],
    ['lifting its own limits', 'SELECT profile_id FROM events SETTINGS readonly = 0', /SETTINGS is not allowed/],
  ])('%s is refused', async (_name, sql, message) => {
    const res = await api('POST', '/v1/segments', { name: 'bad', sql });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.message).toMatch(message);
    // The events table is still there.
    const [events] = await product.sql<{ n: string }>('SELECT count() AS n FROM events');
    expect(Number(events!.n)).toBeGreaterThanOrEqual(4);
  });
});

describe('API', () => {
  describe('over every saved segment', () => {
    /**
     * What the segments above leave saved, in a fresh product: the list and the schedules are of every saved
     * segment, so these tests do not share a product with any other.
     */
    async function freshProductWithSegments(): Promise<void> {
      await stopProduct();
      await startWithCustomers();
      await editedTo60Days('recent-buyers');
      await save({ id: 'berlin', name: 'Berlin', conditions: { type: 'trait', trait: 'city', op: 'eq', value: 'Berlin' } });
      await save({ id: 'berlin-or-buyer', name: 'Berlin or buyer', conditions: { type: 'or', conditions: [{ type: 'segment', segment_id: 'berlin' }, { type: 'segment', segment_id: 'recent-buyers' }] } });
      await save({ id: 'sql-buyers', name: 'SQL buyers', sql: `SELECT DISTINCT profile_id FROM events_resolved WHERE event = 'Order Completed'` });
    }
    beforeEach(freshProductWithSegments);

    test('list, get with its last run, preview, delete', async () => {
      const list = await api('GET', '/v1/segments');
      expect(list.body.segments.map((s: { id: string }) => s.id)).toEqual(['berlin', 'berlin-or-buyer', 'recent-buyers', 'sql-buyers']);
      const one = await api('GET', '/v1/segments/recent-buyers');
      expect(one.body.segment.last_run).toMatchObject({ size: 3, as_of: new Date(T1).toISOString() });

      const preview = await api('POST', '/v1/segments/preview', { conditions: recentBuyers.conditions, as_of: new Date(T1).toISOString() });
      expect(preview.body).toMatchObject({ size: 2 });
      expect(preview.body.sample.sort()).toEqual([profile.get('a'), profile.get('b')].sort());

      const sqlPreview = await api('POST', '/v1/segments/preview', { sql: `SELECT profile_id FROM profile_identifiers WHERE identifier_type = 'user_id' AND identifier = 'd'` });
      expect(sqlPreview.body).toMatchObject({ size: 1, sample: [profile.get('d')] });

      expect((await api('DELETE', '/v1/segments/sql-buyers')).status).toBe(200);
      expect((await api('GET', '/v1/segments/sql-buyers')).status).toBe(404);
      expect((await api('POST', '/v1/segments/sql-buyers/run', {})).status).toBe(404);
    });

    test('each segment has a BullMQ Job Scheduler at its interval; deleting removes it', async () => {
      const conn = redisFor(product.redis, 'producer', createLogger(product.config));
      const queue = new Queue('segments', { connection: conn, prefix: queuePrefix(product.config.QUEUE_PREFIX, 'segments') });
      try {
        await api('PUT', '/v1/segments/berlin', { name: 'Berlin', every_minutes: 15, conditions: { type: 'trait', trait: 'city', op: 'eq', value: 'Berlin' } });
        expect((await api('DELETE', '/v1/segments/sql-buyers')).status).toBe(200);
        const schedulers = await queue.getJobSchedulers();
        const byKey = new Map(schedulers.map((s) => [s.key, Number(s.every)]));
        expect(byKey.get('segment:berlin')).toBe(15 * 60_000);
        expect(byKey.get('segment:recent-buyers')).toBe(product.config.SEGMENTS_EVERY_MINUTES * 60_000);
        expect(byKey.has('segment:sql-buyers')).toBe(false);
      } finally {
        await queue.close();
        await conn.quit();
      }
    });
  });

  test('changing needs an admin key', async () => {
    const key = await product.keys.create('read', 'marketing-tool');
    const res = await fetch(`${product.url}/v1/segments`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(recentBuyers) });
    expect(res.status).toBe(403);
    const list = await fetch(`${product.url}/v1/segments`, { headers: { authorization: `Bearer ${key}` } });
    expect(list.status).toBe(200);
  });
});

describe('webhook destinations through real runs', () => {
  let receiver: Server;
  const received: { delivery: string; body: { seq: number; changes: { profile_id: string; change: string }[] } }[] = [];
  const SECRET = 'a-destination-secret-of-some-length';

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let raw = '';
      req.on('data', (d) => (raw += d));
      req.on('end', () => {
        // The receiver's own check of the signature over "<timestamp>.<body>".
        const expected = `sha256=${createHmac('sha256', SECRET).update(`${req.headers['x-cdp-timestamp']}.${raw}`).digest('hex')}`;
        if (req.headers['x-cdp-signature'] !== expected) {
          res.statusCode = 401;
          return res.end();
        }
        received.push({ delivery: String(req.headers['x-cdp-delivery']), body: JSON.parse(raw) });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  test('entered and exited profiles of each run arrive signed, once', async () => {
    const segment = { id: 'hook-buyers', name: 'Buyers in 10 days', every_minutes: 60, conditions: { type: 'event', event: 'Order Completed', window: { within_days: 10 } } };
    expect((await api('POST', '/v1/segments', segment)).status).toBe(201);
    // The scheduler's immediate run (as of now: nobody qualifies) commits first; the destination starts after it.
    await product.waitForRows(`SELECT count() AS n FROM segment_runs WHERE segment_id = 'hook-buyers'`, (r) => Number((r[0] as { n: string }).n) >= 1);
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const dest = await api('POST', '/v1/destinations', { segment_id: 'hook-buyers', url, secret: SECRET });
    expect(dest.status, JSON.stringify(dest.body)).toBe(201);

    const first = await run('hook-buyers', T1); // a (5 days) enters
    const second = await run('hook-buyers', T1 + 6 * DAY); // a's order is 11 days old: a exits
    expect([first.entered, second.exited]).toEqual([1, 1]);
    await waitFor('both deliveries', () => received.length >= 2, 30_000);
    const user = new Map([...profile].map(([u, p]) => [p, u]));
    const got = received.map((r) => [r.body.seq, ...r.body.changes.map((c) => `${c.change}:${user.get(c.profile_id)}`)]).sort();
    expect(got).toEqual([
      [first.seq, 'entered:a'],
      [second.seq, 'exited:a'],
    ]);
    expect(new Set(received.map((r) => r.delivery)).size).toBe(2);
  });
});
