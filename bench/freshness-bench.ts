import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chTime } from '../pipeline/clickhouse/ch-time.js';
import { percentile, round, type Target } from './figures.js';
import { offeredRate, sendOpenLoop } from './open-loop.js';
import type { BenchOptions } from './options.js';
import { childLoadBatchWaitMs, removeDir, startProductChild, stopChild } from './server-children.js';

// Freshness, 200 → queryable: events sent at BENCH_FRESHNESS_RATE events/s (default 1,000, open loop, a
// /v1/batch every 20 ms) for BENCH_DURATION seconds to the product (roles api,workers in one child process,
// embedded chDB, its private Redis). This process asks the product's SQL API every POLL_MS for the events
// loaded since shortly before the latest load time it saw; an event's freshness is the time from the 200 of
// its request to the first poll that saw it (so it includes up to POLL_MS of polling). Events of the warm-up
// are left out. The target (ARCHITECTURE, Numbers) is p95 ≤ 2 s with all roles on one box.

const ADMIN_KEY = 'ak_bench_freshness';
const WRITE_KEY = 'wk_bench_freshness';
const POLL_MS = 100;
const TARGET_P95_MS = 2000;

export interface FreshnessReport {
  rate: number;
  /** Events per second actually sent: below `rate` when this process could not keep the pace (a loaded machine). */
  sentPerSec: number;
  seconds: number;
  sent: number;
  measured: number;
  seen: number;
  freshnessMs: { p50: number; p95: number; p99: number; max: number };
  p95: Target;
  notes: string[];
}

const progress = (msg: string) => process.stderr.write(`bench: freshness: ${msg}\n`);


export async function runFreshnessBench(opts: BenchOptions): Promise<FreshnessReport> {
  const perSecond = offeredRate('BENCH_FRESHNESS_RATE');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cdp-bench-freshness-'));
  progress('starting the product (api,workers)');
  // A poll after a slow one may answer more rows than the SQL API's default limit.
  const product = await startProductChild(dataDir, 'api,workers', { CDP_ADMIN_KEY: ADMIN_KEY, CDP_WRITE_KEYS: `${WRITE_KEY}:bench`, QUEUE_PREFIX: `{bf${randomUUID().slice(0, 6)}}`, SQL_MAX_RESULT_ROWS: '1000000' });
  const seen = new Map<string, number>();
  let polling = true;
  // The poller: every event loaded since a little before the latest load time it has seen, noted the first time
  // it is visible. (A fixed "last 10 s" lost events when a poll under a backlog took longer than that.)
  const poller = (async () => {
    let since = chTime(Date.now() - 5000);
    while (polling) {
      const res = await fetch(`${product.url}/v1/sql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
        body: JSON.stringify({ query: `SELECT message_id, toString(loaded_at) AS loaded FROM events WHERE loaded_at >= toDateTime64('${since}', 3, 'UTC') - INTERVAL 2 SECOND` }),
      });
      const at = performance.now();
      if (res.status === 200) {
        for (const r of ((await res.json()) as { rows: { message_id: string; loaded: string }[] }).rows) {
          if (!seen.has(r.message_id)) seen.set(r.message_id, at);
          if (r.loaded > since) since = r.loaded;
        }
      } else progress(`poll refused: ${res.status} ${(await res.text()).slice(0, 300)}`);
      await sleep(POLL_MS);
    }
  })();
  try {
    const { acked, refused, sent, sendingSeconds } = await sendOpenLoop({
      url: product.url,
      writeKey: WRITE_KEY,
      perSecond,
      warmupSec: opts.warmupSec,
      durationSec: opts.durationSec,
      batch: (tick, perTick) => Array.from({ length: perTick }, (_, i) => ({ type: 'track', userId: `bench-${(tick * perTick + i) % 5000}`, event: 'Product Viewed', messageId: randomUUID(), properties: { sku: `sku-${i}`, price: 19.9 } })),
      progress,
    });
    progress(`sent ${sent} events; waiting until they are queryable`);
    const deadline = performance.now() + 120_000;
    while (performance.now() < deadline && [...acked.keys()].some((m) => !seen.has(m))) await sleep(200);
    const freshness = [...acked].filter(([m]) => seen.has(m)).map(([m, at]) => seen.get(m)! - at).sort((a, b) => a - b);
    const p95 = round(percentile(freshness, 95), 1);
    const notes = [`freshness: from the 200 of the event's request to the first SQL poll (every ${POLL_MS} ms) that returned it, same clock (this process)`, `load batches at LOAD_BATCH_MAX_WAIT_MS (${childLoadBatchWaitMs()} ms)`];
    if (refused > 0) notes.push(`${refused} events refused by the API (not measured)`);
    if (freshness.length < acked.size) notes.push(`${acked.size - freshness.length} measured events not queryable within 120 s`);
    return {
      rate: perSecond,
      sentPerSec: round(sent / sendingSeconds, 1),
      seconds: opts.durationSec,
      sent,
      measured: acked.size,
      seen: freshness.length,
      freshnessMs: { p50: round(percentile(freshness, 50), 1), p95, p99: round(percentile(freshness, 99), 1), max: round(freshness.at(-1) ?? 0, 1) },
      p95: { target: TARGET_P95_MS, value: p95, met: freshness.length === acked.size && acked.size > 0 && p95 <= TARGET_P95_MS },
      notes,
    };
  } finally {
    polling = false;
    await poller.catch(() => undefined);
    await stopChild(product.child);
    removeDir(dataDir, opts.keepData);
  }
}
