import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { offeredRate, sendOpenLoop } from './open-loop.js';
import { sqlRows } from './sql-api.js';
import { percentile, round, type Target } from './figures.js';
import type { BenchOptions } from './options.js';
import { childLoadBatchWaitMs, removeDir, startProductChild, stopChild } from './server-children.js';

// Journey event-entry freshness: events sent at BENCH_JOURNEY_RATE events/s (default 1,000) for BENCH_DURATION
// seconds to the product (roles api,workers, a child process) with one journey entered by that event, its
// first step a wait (recorded at once). Each event is a new customer, so each starts an instance. For every
// event after the warm-up, the time from the 200 its request got to its instance's first step in
// journey_events (`at`, the product's wall clock, the same machine's as this process's). Baseline from the same
// run: the plain load freshness of a sample of the same events (200 → in the events table, polled every
// 100 ms). Target: p95 ≤ 5 s (ARCHITECTURE, Numbers).

const ADMIN_KEY = 'ak_bench_journeys';
const WRITE_KEY = 'wk_bench_journeys';
const TARGET_P95_MS = 5000;
const SAMPLE_EVERY = 10;
const POLL_MS = 100;

export interface JourneysReport {
  rate: number;
  seconds: number;
  sent: number;
  instances: number;
  firstStepMs: { p50: number; p95: number; p99: number; max: number };
  p95: Target;
  baseline: { loadFreshnessP50Ms: number; loadFreshnessP95Ms: number; sampled: number; pollMs: number };
  notes: string[];
}

const progress = (msg: string) => process.stderr.write(`bench: journeys: ${msg}\n`);


export async function runJourneysBench(opts: BenchOptions): Promise<JourneysReport> {
  const perSecond = offeredRate('BENCH_JOURNEY_RATE');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cdp-bench-journeys-'));
  progress('starting the product (api,workers)');
  const product = await startProductChild(dataDir, 'api,workers', { CDP_ADMIN_KEY: ADMIN_KEY, CDP_WRITE_KEYS: `${WRITE_KEY}:bench`, QUEUE_PREFIX: `{bj${randomUUID().slice(0, 6)}}` });
  const admin = { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` };
  const sql = <T>(query: string) => sqlRows<T>(product.url, ADMIN_KEY, query);
  try {
    const created = await fetch(`${product.url}/v1/journeys/bench`, {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify({ name: 'bench', entry: { event: 'Cart Abandoned' }, start: 'nap', steps: { nap: { type: 'wait', duration: { hours: 1 }, next: 'done' }, done: { type: 'exit' } } }),
    });
    if (created.status !== 201) throw new Error(`journey not created: ${created.status} ${await created.text()}`);

    const sampled = new Map<string, number>();
    const loaded = new Map<string, number>();
    let sending = true;
    let measuredCount = 0;
    let sentAt = Infinity;
    // The baseline: the sampled events as they become queryable.
    const poller = (async () => {
      while (sending || [...sampled.keys()].some((m) => !loaded.has(m))) {
        const waiting = [...sampled.keys()].filter((m) => !loaded.has(m)).slice(0, 1000);
        if (waiting.length > 0) {
          const rows = await sql<{ message_id: string }>(`SELECT message_id FROM events WHERE message_id IN (${waiting.map((m) => `'${m}'`).join(',')})`);
          const now = Date.now();
          for (const r of rows) if (!loaded.has(r.message_id)) loaded.set(r.message_id, now);
        }
        if (!sending && performance.now() > sentAt + 120_000) break;
        await sleep(POLL_MS);
      }
    })();
    const { acked, refused, sent } = await sendOpenLoop({
      url: product.url,
      writeKey: WRITE_KEY,
      perSecond,
      warmupSec: opts.warmupSec,
      durationSec: opts.durationSec,
      batch: (_tick, perTick) => Array.from({ length: perTick }, () => ({ type: 'track', userId: `bench-${randomUUID()}`, event: 'Cart Abandoned', messageId: randomUUID(), properties: { value: 19.9 } })),
      // Wall clock: set against the product's `at` in journey_events.
      clock: Date.now,
      onAcked: (messageId, at) => {
        if (measuredCount++ % SAMPLE_EVERY === 0) sampled.set(messageId, at);
      },
      progress,
    });
    sending = false;
    sentAt = performance.now();
    progress(`sent ${sent} events; waiting for their instances' first steps`);
    const firstSteps = `SELECT JSONExtractString(e.detail, 'message_id') AS m, toUnixTimestamp64Milli(s.at) AS at
FROM journey_events AS e INNER JOIN journey_events AS s ON s.instance_id = e.instance_id AND s.kind = 'step' AND s.step = 'nap'
WHERE e.journey_id = 'bench' AND e.kind = 'entered' AND s.journey_id = 'bench'`;
    let steps = new Map<string, number>();
    const deadline = performance.now() + 120_000;
    while (performance.now() < deadline) {
      steps = new Map((await sql<{ m: string; at: string | number }>(firstSteps)).map((r) => [r.m, Number(r.at)]));
      if ([...acked.keys()].every((m) => steps.has(m))) break;
      await sleep(1000);
    }
    await poller;

    const latencies = [...acked].filter(([m]) => steps.has(m)).map(([m, at]) => steps.get(m)! - at).sort((a, b) => a - b);
    const baseline = [...sampled].filter(([m]) => loaded.has(m)).map(([m, at]) => loaded.get(m)! - at).sort((a, b) => a - b);
    const p95 = round(percentile(latencies, 95), 1);
    const notes = [
      "latency: from the 200 of the event's request (this process's clock) to the `at` of its instance's first step in journey_events (the product's clock, same machine)",
      `baseline: every ${SAMPLE_EVERY}th measured event polled in the events table every ${POLL_MS} ms (includes up to one poll of delay)`,
      `load batches at LOAD_BATCH_MAX_WAIT_MS (${childLoadBatchWaitMs()} ms), then the loader's hook queues the events for the journeys`,
    ];
    if (refused > 0) notes.push(`${refused} events refused by the API (not measured)`);
    if (latencies.length < acked.size) notes.push(`${acked.size - latencies.length} measured events without a first step within 120 s`);
    return {
      rate: perSecond,
      seconds: opts.durationSec,
      sent,
      instances: steps.size,
      firstStepMs: { p50: round(percentile(latencies, 50), 1), p95, p99: round(percentile(latencies, 99), 1), max: round(latencies.at(-1) ?? 0, 1) },
      p95: { target: TARGET_P95_MS, value: p95, met: latencies.length === acked.size && acked.size > 0 && p95 <= TARGET_P95_MS },
      baseline: { loadFreshnessP50Ms: round(percentile(baseline, 50), 1), loadFreshnessP95Ms: round(percentile(baseline, 95), 1), sampled: baseline.length, pollMs: POLL_MS },
      notes,
    };
  } finally {
    await stopChild(product.child);
    removeDir(dataDir, opts.keepData);
  }
}
