import { gzipSync, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { seededRandom } from '../../bench/seeded-random.js';
import { basicAuth, startTestProduct, WRITE_KEY, type TestProduct } from '../helpers/test-product.js';

// A seeded fuzz of the tracking API: thousands of mutated Segment events (deep nesting, lone surrogates, huge
// and odd numbers, odd keys, odd timestamps, wrong types, odd content types and encodings) sent concurrently
// with good events. Every good event is answered 200 and loaded once; a bad one is answered with a 4xx that
// carries a reason, or with a 200 after which it loads; nothing is answered 5xx; the queue drains with no
// dead letters and nothing refused at load. The seed is printed on failure: FUZZ_SEED reproduces a run.

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const FUZZ_REQUESTS = 400;
const GOOD_REQUESTS = 200;
const CONCURRENCY = 24;

let product: TestProduct;

beforeAll(async () => {
  product = await startTestProduct();
});

afterAll(async () => {
  await product?.destroy();
});

const random = seededRandom(SEED);
const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

// Raw JSON text spliced in where a value is (numbers JSON.stringify cannot write, escapes it would not make).
const RAW = '\u0000raw:';
const raw = (text: string) => `${RAW}${text}`;
function toJson(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0000raw:((?:[^"\\]|\\.)*)"/g, (_, text: string) => JSON.parse(`"${text}"`) as string);
}

const TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;

function baseEvent(type: (typeof TYPES)[number], messageId: string, run: string): Record<string, unknown> {
  const e: Record<string, unknown> = { type, messageId, userId: `u-${int(1, 50)}`, anonymousId: `a-${int(1, 80)}`, timestamp: '2026-06-01T10:00:00.000Z', context: { library: { name: 'fuzz' }, page: { url: 'https://shop.example/p' } }, properties: { run, price: 9.5 } };
  if (type === 'track') e.event = pick(['Order Completed', 'Product Viewed', 'Cart Viewed']);
  if (type === 'identify') e.traits = { email: `c${int(1, 40)}@example.com`, name: 'Ann' };
  if (type === 'page' || type === 'screen') e.name = 'Home';
  if (type === 'group') e.groupId = `g-${int(1, 5)}`;
  if (type === 'alias') e.previousId = `a-${int(1, 80)}`;
  return e;
}

/** An object nested `depth` levels, as raw JSON text (JSON.stringify itself overflows on the deepest). */
const nested = (depth: number) => raw(`${'{"d":'.repeat(depth - 1)}{"leaf":1}${'}'.repeat(depth - 1)}`);

const LONE = ['\ud800', '\udbff', '\udc00', '\udfff'];
const withLone = (s: string) => {
  const at = int(0, s.length);
  return `${s.slice(0, at)}${pick(LONE)}${s.slice(at)}`;
};

/** The object under `key`, made one when an earlier mutation left something else there. */
function bag(e: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = e[key];
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  return (e[key] = {}) as Record<string, unknown>;
}

/** One mutation of an event, in place; messageId is left alone so that an accepted event can be found. */
const MUTATIONS: ((e: Record<string, unknown>) => void)[] = [
  (e) => (bag(e, 'properties').deep = nested(pick([10, 63, 64, 65, 200, 1000, 4200, 6000]))),
  (e) => (bag(e, 'context').deep = nested(pick([62, 63, 64, 3000]))),
  (e) => (e.userId = withLone(String(e.userId))),
  (e) => (e.anonymousId = withLone(String(e.anonymousId))),
  (e) => (e.event = withLone(String(e.event ?? 'Name'))),
  (e) => (e.name = withLone('Page Name')),
  (e) => (bag(e, 'properties')[withLone('key')] = withLone('value')),
  (e) => (e.traits = { email: withLone('ann@example.com') }),
  (e) => (bag(e, 'context').traits = { phone: withLone('+44 7700 900777') }),
  (e) => (e.userId = raw(pick(['12345678901234567890', '9007199254740993', '1e21', '-0', '4242', '1.5', '1e400']))),
  (e) => (bag(e, 'properties').revenue = raw(pick(['1e400', '-1e400', '1e-400', '-0', '123456789012345678901234567890', '0.1e-7']))),
  (e) => (bag(e, 'properties').order_id = raw(pick(['98765432109876543210', '12', '1e30']))),
  // An own "__proto__" key, as JSON.parse makes one (an assignment would set the prototype instead).
  (e) => Object.defineProperty(bag(e, 'properties'), '__proto__', { value: { admin: true }, enumerable: true, writable: true, configurable: true }),
  (e) => (e.properties = JSON.parse('{"__proto__":{"polluted":1}}')),
  (e) => Object.assign(bag(e, 'traits'), JSON.parse('{"constructor":{"prototype":{"admin":true}}}')),
  (e) => (bag(e, 'properties')[''] = 'empty key'),
  (e) => (bag(e, 'properties')['a.b.c'] = { 'x y': 1, ['k'.repeat(2000)]: 2 }),
  (e) => (bag(e, 'properties').nul = 'a\u0000b\u001fc'),
  (e) => (bag(e, 'properties').emoji = '🙂👍🏽 עברית 中文'),
  (e) => (e.timestamp = pick(['1900-01-01T00:00:00Z', '2300-01-01T00:00:00Z', '1969-12-31T23:59:59.999Z', '2100-01-01T00:00:00Z', 'not a date', '2024-02-30T00:00:00Z', '+275760-09-13T00:00:00.000Z', '1970-01-01T00:00:00Z', '2099-12-31T23:59:59Z'])),
  (e) => (e.timestamp = raw(pick(['0', '1717236000000', 'null', 'true']))),
  (e) => ((e.sentAt = pick(['1970-01-01T00:00:00Z', '2099-01-01T00:00:00Z', 'soon'])), (e.originalTimestamp = '1970-01-01T03:00:00Z')),
  (e) => (e.properties = pick([[], 'text', null, 42, [1, 2, 3]])),
  (e) => (e.context = pick(['ctx', [], 7, null])),
  (e) => (e.userId = pick([{ id: 1 }, true, [], ''])),
  (e) => (e.event = pick([42, null, '', ' ', 'x'.repeat(600)])),
  (e) => ((e.userId = undefined), (e.anonymousId = undefined)),
  (e) => (e.userId = pick(['null', 'undefined', '0', '-1', '[object Object]', 'anonymous'])),
  (e) => (e.type = pick(['Track', 'delete', '', 7])),
  (e) => (bag(e, 'properties').pad = 'x'.repeat(pick([30_000, 33_000, 40_000]))),
  (e) => (bag(e, 'properties').accents = 'é'.repeat(pick([15_000, 17_000]))),
  (e) => (bag(e, 'context').externalIds = pick([[{ id: raw('12345678901234567890'), type: 'crm' }], [{ id: withLone('x'), type: 'crm' }], 'ids', [null, 1, { type: '' }]])),
  (e) => (e.integrations = pick([{ All: false }, 'none', []])),
];

interface Sent {
  items: Record<string, unknown>[] | undefined;
  status: number;
  body: { success?: boolean; code?: string; message?: string; rejected?: { index: number; reason: string }[]; errors?: { index: number }[] };
}

async function send(route: string, text: string): Promise<Omit<Sent, 'items'>> {
  const headers: Record<string, string> = { authorization: basicAuth(WRITE_KEY) };
  const contentType = pick(['application/json', 'application/json', 'text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'application/octet-stream', undefined]);
  if (contentType) headers['content-type'] = contentType;
  let body: Uint8Array = Buffer.from(text);
  const encoding = pick([undefined, undefined, 'gzip', 'deflate']);
  if (encoding === 'gzip') body = gzipSync(body);
  if (encoding === 'deflate') body = deflateSync(body);
  if (encoding) headers['content-encoding'] = encoding;
  const res = await fetch(`${product.url}${route}`, { method: 'POST', headers, body: new Uint8Array(body) });
  const answer = await res.text();
  let parsed: Sent['body'] = {};
  try {
    parsed = JSON.parse(answer);
  } catch {
    // checked below: every answer must be JSON with a code or success
  }
  return { status: res.status, body: parsed };
}

async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  }));
  return out;
}

test(`seeded fuzz (seed ${SEED}): good events load once, bad ones are refused with a reason or load, never a 5xx`, async () => {
  const run = `fz${SEED}-${Date.now()}`;
  let n = 0;
  const tasks: (() => Promise<Sent>)[] = [];
  const goodIds: string[] = [];
  for (let r = 0; r < GOOD_REQUESTS; r++) {
    const items = Array.from({ length: int(1, 10) }, () => baseEvent(pick(TYPES), `${run}-good-${n++}`, run));
    goodIds.push(...items.map((i) => String(i.messageId)));
    const text = toJson({ batch: items });
    tasks.push(async () => ({ items, ...(await send('/v1/batch', text)) }));
  }
  let fuzzEvents = 0;
  for (let r = 0; r < FUZZ_REQUESTS; r++) {
    const kind = random();
    if (kind < 0.05) {
      // Not JSON at all, or cut short.
      const text = pick(['{"batch":[{"type":"track"', 'not json', '', '{"batch":', '\u0000\u0001', '{"userId":"u1","event":"E"']);
      tasks.push(async () => ({ items: undefined, ...(await send(pick(['/v1/batch', '/v1/track']), text)) }));
      continue;
    }
    const count = kind < 0.3 ? 1 : int(2, 40);
    const items = Array.from({ length: count }, () => {
      const e = baseEvent(pick(TYPES), `${run}-fz-${n++}`, run);
      for (let m = int(1, 3); m > 0; m--) pick(MUTATIONS)(e);
      return e;
    });
    fuzzEvents += count;
    if (kind < 0.3) {
      const item = items[0]!;
      const route = `/v1/${typeof item.type === 'string' && (TYPES as readonly string[]).includes(item.type) ? item.type : 'track'}`;
      const text = toJson(item);
      tasks.push(async () => ({ items, ...(await send(route, text)) }));
    } else {
      const text = toJson(random() < 0.1 ? { batch: items, context: pick([{ app: 'x' }, nested(70), { t: withLone('t') }]) } : { batch: items });
      tasks.push(async () => ({ items, ...(await send('/v1/batch', text)) }));
    }
  }
  // Good and bad requests interleaved, several in flight at once.
  for (let i = tasks.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [tasks[i], tasks[j]] = [tasks[j]!, tasks[i]!];
  }
  const answers = await pool(tasks, CONCURRENCY);

  expect(fuzzEvents).toBeGreaterThan(4000);
  const serverErrors = answers.filter((a) => a.status >= 500);
  expect(serverErrors.map((a) => [a.status, a.body])).toEqual([]);
  for (const a of answers) {
    if (a.status === 200) expect(a.body.success).toBe(true);
    else {
      expect([400, 413, 415]).toContain(a.status);
      expect(typeof a.body.code).toBe('string');
      expect(typeof a.body.message).toBe('string');
    }
  }
  // What each 200 accepted: its items minus those it listed as rejected.
  const accepted = new Set<string>();
  for (const a of answers) {
    if (a.status !== 200 || !a.items) continue;
    const refused = new Set((a.body.rejected ?? []).map((r) => r.index));
    a.items.forEach((item, i) => {
      if (!refused.has(i)) accepted.add(String(item.messageId));
    });
  }
  for (const id of goodIds) expect(accepted.has(id), `good event ${id} was not accepted`).toBe(true);

  const rows = await product.waitForRows<{ message_id: string; n: string }>(
    `SELECT message_id, count() AS n FROM events WHERE startsWith(message_id, '${run}-') GROUP BY message_id`,
    (r) => r.length >= accepted.size,
    120_000,
  );
  const loaded = new Map(rows.map((r) => [r.message_id, Number(r.n)]));
  expect([...accepted].filter((id) => loaded.get(id) !== 1)).toEqual([]);
  expect([...loaded.keys()].filter((id) => !accepted.has(id))).toEqual([]);

  // The queue drains: nothing waits, runs, backs off or sits in the dead letters.
  const until = Date.now() + 30_000;
  let counts = await product.queue!.getJobCounts('waiting', 'active', 'delayed', 'failed');
  while (Object.values(counts).some((c) => c > 0) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    counts = await product.queue!.getJobCounts('waiting', 'active', 'delayed', 'failed');
  }
  expect(counts).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  expect(await product.sql(`SELECT count() AS n FROM rejected_events WHERE route = 'load'`)).toEqual([{ n: '0' }]);
});
