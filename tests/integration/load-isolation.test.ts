import { randomUUID } from 'node:crypto';
import { afterEach, expect, test } from 'vitest';
import { createClickHouse } from '../../pipeline/clickhouse/client.js';
import { LOAD_JOB_NAME, type EnrichedEvent, type LoadJobData } from '../../pipeline/core/load-job.js';
import { SOURCE_ID, startTestProduct, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// Jobs in the queue holding events ClickHouse or the identity script refuse (as a producer without today's
// door checks could have queued them): each such event is found, kept in rejected_events with the database's
// error, and counted; every other event of its job and of the jobs loaded with it loads; no job fails.

let product: TestProduct | undefined;

afterEach(async () => {
  await product?.destroy();
  product = undefined;
});

function event(run: string, n: number, overrides: Partial<EnrichedEvent> = {}): EnrichedEvent {
  const at = Date.UTC(2026, 0, 1, 12);
  return {
    messageId: `${run}-${n}`,
    type: 'track',
    event: 'Isolation',
    userId: `u-${run}-${n % 7}`,
    properties: { run },
    context: { ip: '203.0.113.1' },
    integrations: {},
    timestamp: at,
    originalTimestamp: at,
    // Now: rejected_events keeps 90 days by received_at, and drops older rows as they are written.
    receivedAt: Date.now(),
    sourceId: SOURCE_ID,
    ...overrides,
  };
}

// With two worker slots every job is a group cut full: each group's identity rows go in on the loader's second
// connection while the previous group's events go in (pipeline/load/loader.ts).
test.each([
  ['groups cut by the timer', {}],
  ['groups cut full, their first phase beside the previous events', { WORKER_CONCURRENCY: '2' }],
])('a refused event is split out of its job: the rest loads, it goes to rejected_events with the error, no job fails (%s)', async (_, env: Record<string, string>) => {
  product = await startTestProduct({ env: { LOAD_RETRY_BASE_DELAY_MS: '100', LOAD_RETRY_MAX_DELAY_MS: '400', ...env } });
  const run = randomUUID();
  const poison: EnrichedEvent[] = [
    // ClickHouse refuses a lone surrogate in a typed String column (CANNOT_PARSE_ESCAPE_SEQUENCE).
    event(run, 1000, { event: 'Bad\ud800Name' }),
    // The identity script's cjson refuses it in an identifier.
    event(run, 1001, { userId: 'u\udc00x' }),
    // An event without a context (an older producer): row building throws.
    event(run, 1002, { context: null as unknown as Record<string, unknown> }),
    // Refused in the first insert phase, with the identity rows (a trait value in profile_traits): its event
    // must not go in on its own.
    event(run, 1003, { context: { ip: '203.0.113.1', traits: { nickname: 'Bad\ud800Nick' } } }),
  ];
  const jobs: LoadJobData[] = [
    { events: [...Array.from({ length: 40 }, (_, i) => event(run, i)), poison[0]!, ...Array.from({ length: 40 }, (_, i) => event(run, 40 + i))], rejected: [] },
    { events: [event(run, 80), poison[1]!, event(run, 81), poison[2]!, event(run, 82)], rejected: [] },
    { events: [...Array.from({ length: 15 }, (_, i) => event(run, 83 + i)), poison[3]!, ...Array.from({ length: 15 }, (_, i) => event(run, 98 + i))], rejected: [] },
  ];
  for (const data of jobs) await product.queue!.add(LOAD_JOB_NAME, data);
  const good = 113;

  const loaded = await product.waitForRows<{ n: string; ids: string }>(
    `SELECT count() AS n, uniqExact(message_id) AS ids FROM events WHERE JSONExtractString(properties, 'run') = '${run}'`,
    (rows) => Number(rows[0]?.n) >= good,
  );
  expect(loaded).toEqual([{ n: String(good), ids: String(good) }]);
  const rejected = await product.waitForRows<{ message_id: string; reason: string; code: string; payload: string }>(
    // The payload keeps the lone surrogates as sent (escaped), which ClickHouse's JSON functions refuse to read.
    `SELECT extract(payload, '"messageId":"([^"]+)"') AS message_id, reason, JSONExtractString(errors, 1, 'code') AS code, payload
     FROM rejected_events WHERE route = 'load' AND payload LIKE '%${run}%' ORDER BY message_id`,
    (rows) => rows.length >= 4,
  );
  expect(rejected.map((r) => [r.message_id, r.code])).toEqual([
    [`${run}-1000`, 'CANNOT_PARSE_ESCAPE_SEQUENCE'],
    [`${run}-1001`, 'IDENTITY_SCRIPT_ERROR'],
    [`${run}-1002`, 'TypeError'],
    [`${run}-1003`, 'CANNOT_PARSE_ESCAPE_SEQUENCE'],
  ]);
  // The database's (or script's) error is the reason.
  expect(rejected[0]!.reason).toMatch(/^CANNOT_PARSE_ESCAPE_SEQUENCE: Cannot parse escape sequence: missing second part of surrogate pair/);
  expect(rejected[1]!.reason).toMatch(/^IDENTITY_SCRIPT_ERROR: .*invalid unicode escape/);
  expect(rejected[2]!.reason).toMatch(/^TypeError: Cannot read properties of null/);
  // Each identity edge in once, however many times the bisection split the parts holding it; the event refused
  // for its trait keeps the edge its identifier made (the identity graph took it in), not its traits.
  const edges = await product.sql<{ n: string; u: string; refused: string }>(
    `SELECT count() AS n, uniqExact(message_id, identifier_type, identifier) AS u, countIf(message_id = '${run}-1003') AS refused FROM identity_edges WHERE startsWith(message_id, '${run}-')`,
  );
  expect(edges).toEqual([{ n: edges[0]!.u, u: edges[0]!.u, refused: '1' }]);
  expect(await product.sql(`SELECT trait FROM profile_traits WHERE message_id = '${run}-1003'`)).toEqual([]);
  await waitFor('the queue to drain', async () => (await product!.queue!.getJobCounts('completed', 'waiting', 'active', 'delayed')).delayed === 0 && (await product!.queue!.count()) === 0);
  expect(await product.queue!.getJobCounts('failed')).toEqual({ failed: 0 });
  const metrics = await (await fetch(`${product.url}/metrics`)).text();
  expect(metrics).toMatch(/cdp_events_rejected_total\{reason="load_failed"\} 4/);
});

test('one batch spanning more than a thousand months loads whole, in blocks of at most 100 partitions', async () => {
  product = await startTestProduct();
  const run = randomUUID();
  // 1970-01 … 2069-12: 1,200 months, one event in each.
  const events = Array.from({ length: 1200 }, (_, m) => {
    const at = Date.UTC(1970 + Math.floor(m / 12), m % 12, 15);
    return event(run, m, { timestamp: at, originalTimestamp: at });
  });
  await product.queue!.add(LOAD_JOB_NAME, { events, rejected: [] });
  const rows = await product.waitForRows<{ n: string; months: string }>(
    `SELECT count() AS n, uniqExact(toYYYYMM(timestamp)) AS months FROM events WHERE JSONExtractString(properties, 'run') = '${run}'`,
    (r) => Number(r[0]?.n) >= 1200,
  );
  expect(rows).toEqual([{ n: '1200', months: '1200' }]);
  expect(await product.sql(`SELECT count() AS n FROM rejected_events WHERE payload LIKE '%${run}%'`)).toEqual([{ n: '0' }]);
});

test('a group that fails after its events went in (rejected_events unavailable) loads each event once when retried', async () => {
  product = await startTestProduct({ env: { LOAD_RETRY_BASE_DELAY_MS: '100', LOAD_RETRY_MAX_DELAY_MS: '400', LOAD_BATCH_MAX_WAIT_MS: '200' } });
  const admin = createClickHouse(product.config);
  try {
    const run = randomUUID();
    await admin.command({ query: 'DETACH TABLE cdp.rejected_events' });
    const refusal = (n: number) => ({ rejectionId: `${run}-r${n}`, receivedAt: Date.now(), sourceId: SOURCE_ID, requestId: 'q', route: 'track', index: 0, reason: 'invalid_event', errors: [], payload: '{}', ip: '' });
    // Three jobs, grouped into one insert: events go in, then rejected_events fails; the jobs are tried alone.
    await Promise.all([0, 1, 2].map((j) => product!.queue!.add(LOAD_JOB_NAME, { events: Array.from({ length: 10 }, (_, i) => event(run, j * 10 + i)), rejected: [refusal(j)] })));
    await waitFor('a job to wait for its retry', async () => ((await product!.queue!.getJobCounts('delayed')).delayed ?? 0) > 0);
    await admin.command({ query: 'ATTACH TABLE cdp.rejected_events' });
    const rejected = await product.waitForRows<{ n: string }>(`SELECT count() AS n FROM rejected_events WHERE startsWith(rejection_id, '${run}')`, (r) => Number(r[0]?.n) >= 3);
    expect(rejected).toEqual([{ n: '3' }]);
    await waitFor('the queue to drain', async () => (await product!.queue!.count()) === 0 && (await product!.queue!.getJobCounts('active')).active === 0);
    expect(await product.sql(`SELECT count() AS n, uniqExact(message_id) AS ids FROM events WHERE JSONExtractString(properties, 'run') = '${run}'`)).toEqual([{ n: '30', ids: '30' }]);
  } finally {
    await admin.close();
  }
});
