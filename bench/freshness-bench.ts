import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chTime } from '../pipeline/clickhouse/ch-time.js';
import { createBodyGenerator, type Json } from './bodies.js';
import { cpuBudget, readCpu, type CpuBudget } from './cpu-budget.js';
import { percentile, round, seconds, type Target } from './figures.js';
import { sqlRows } from './sql-api.js';
import { offeredRate, sendOpenLoop } from './open-loop.js';
import type { BenchOptions } from './options.js';
import { childLoadBatchWaitMs, removeDir, startProductChild, stopChild } from './server-children.js';

// Freshness, 200 → queryable: events sent at BENCH_FRESHNESS_RATE events/s (default 1,000, open loop, a
// /v1/batch every 20 ms) for BENCH_DURATION seconds to the product (roles api,workers in one child process,
// embedded chDB, its private Redis). The events are a shop's (bodies.ts: anonymous visitors, logged-in users,
// identify calls with emails), each with a messageId of its own. Every SAMPLE_EVERY-th event is measured:
// this process asks the product's SQL API every POLL_MS for the measured events loaded since shortly before
// the latest load time it saw; an event's freshness is the time from the 200 of its request to the first poll
// that saw it (so it includes up to POLL_MS of polling). Events of the warm-up are left out. The target
// (ARCHITECTURE, Numbers) is p95 ≤ 2 s with all roles on one box. Every event answered 200, measured or not,
// must then be in `events`.
//
// Why a sample: a poll returns every measured event loaded in its look-back (2 s and more), so each is
// returned some 20 times; polling for all of them at 25,000 events/s made the product serialise half a
// million rows a second to the poller, load that no shop puts on it.

const ADMIN_KEY = 'ak_bench_freshness';
const WRITE_KEY = 'wk_bench_freshness';
const POLL_MS = 100;
const TARGET_P95_MS = 2000;
const SAMPLE_EVERY = 10;
const MEASURED_PREFIX = 'fresh-';
// Distinct bodies the generator cycles through (each sent with a new messageId): most of bodies.ts's 20,000
// visitors appear, so identity resolution meets returning visitors and new links, as a shop's traffic does.
const BODY_POOL = 20_000;
const WAIT_AFTER_SENDING_MS = 120_000;
// Polls after the run that measure what one costs the product (a SQL API query costs milliseconds of CPU).
const CALIBRATION_POLLS = 20;

export interface FreshnessReport {
  rate: number;
  /** Events per second actually sent: below `rate` when this process could not keep the pace (a loaded machine). */
  sentPerSec: number;
  seconds: number;
  sent: number;
  /** Events answered 200 (warm-up included), and of them those in `events` when the bench stopped waiting. */
  accepted: number;
  loaded: number;
  /** Events answered otherwise (e.g. 503 when the queue could not confirm in time). */
  refused: number;
  /** From the last request sent to every accepted event being in `events`: the backlog the load left. */
  drainSeconds: number | null;
  measured: number;
  seen: number;
  freshnessMs: { p50: number; p95: number; p99: number; max: number };
  p95: Target;
  /** CPU per event loaded, by process, over the whole run, and the cores the offered rate needs at that cost. */
  cpu: CpuBudget;
  notes: string[];
}

const progress = (msg: string) => process.stderr.write(`bench: freshness: ${msg}\n`);

/** The bodies the open loop cycles through: batch items of a shop's traffic, each sent with a new messageId. */
function bodyPool(): Json[] {
  const gen = createBodyGenerator(11);
  return Array.from({ length: BODY_POOL }, () => gen.batchItem());
}

async function countEvents(url: string): Promise<number> {
  return Number((await sqlRows<{ n: string | number }>(url, ADMIN_KEY, 'SELECT count() AS n FROM events'))[0]?.n ?? 0);
}

export async function runFreshnessBench(opts: BenchOptions): Promise<FreshnessReport> {
  const perSecond = offeredRate('BENCH_FRESHNESS_RATE');
  const pool = bodyPool();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cdp-bench-freshness-'));
  progress('starting the product (api,workers)');
  // A poll after a slow one may answer more rows than the SQL API's default limit.
  const product = await startProductChild(dataDir, 'api,workers', { CDP_ADMIN_KEY: ADMIN_KEY, CDP_WRITE_KEYS: `${WRITE_KEY}:bench`, QUEUE_PREFIX: `{bf${randomUUID().slice(0, 6)}}`, SQL_MAX_RESULT_ROWS: '1000000' });
  const seen = new Map<string, number>();
  let since = chTime(Date.now() - 5000);
  let polls = 0;
  /**
   * The measured events loaded since a little before the latest load time seen, each noted the first time it is
   * visible. (A fixed "last 10 s" lost events when a poll under a backlog took longer than that.)
   */
  const poll = async () => {
    const res = await fetch(`${product.url}/v1/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({
        query: `SELECT message_id, toString(loaded_at) AS loaded FROM events WHERE loaded_at >= toDateTime64('${since}', 3, 'UTC') - INTERVAL 2 SECOND AND startsWith(message_id, '${MEASURED_PREFIX}')`,
      }),
    });
    // Read when the answer's head arrives, before its rows are parsed: sqlRows would add that parsing to every
    // event's freshness.
    const at = performance.now();
    polls++;
    if (res.status !== 200) return progress(`poll refused: ${res.status} ${(await res.text()).slice(0, 300)}`);
    for (const r of ((await res.json()) as { rows: { message_id: string; loaded: string }[] }).rows) {
      if (!seen.has(r.message_id)) seen.set(r.message_id, at);
      if (r.loaded > since) since = r.loaded;
    }
  };
  let polling = true;
  const poller = (async () => {
    while (polling) {
      await poll();
      await sleep(POLL_MS);
    }
  })();
  /** The product's CPU per poll like the last ones (the same look-back), measured once the load is over. */
  const pollCpuSeconds = async () => {
    polling = false;
    await poller;
    const before = await readCpu(product.url, dataDir);
    for (let i = 0; i < CALIBRATION_POLLS; i++) await poll();
    return ((await readCpu(product.url, dataDir)).productSeconds - before.productSeconds) / CALIBRATION_POLLS;
  };
  try {
    const cpuBefore = await readCpu(product.url, dataDir);
    const pollsBefore = polls;
    let next = 0;
    const { acked, refused, refusedByStatus, sent, sendingSeconds } = await sendOpenLoop({
      url: product.url,
      writeKey: WRITE_KEY,
      perSecond,
      warmupSec: opts.warmupSec,
      durationSec: opts.durationSec,
      // As an SDK sends them: a batch of BENCH_BATCH_SIZE events (100) stays well within the 500 KB body limit.
      requestEvents: opts.batchSize,
      batch: (_tick, perTick) =>
        Array.from({ length: perTick }, () => {
          const n = next++;
          return { ...pool[n % pool.length], messageId: `${n % SAMPLE_EVERY === 0 ? MEASURED_PREFIX : 'bench-'}${randomUUID()}` };
        }),
      progress,
    });
    const sentAt = performance.now();
    const accepted = sent - refused;
    progress(`sent ${sent} events (${refused} refused); waiting until they are queryable`);
    const measured = [...acked].filter(([m]) => m.startsWith(MEASURED_PREFIX));
    const deadline = sentAt + WAIT_AFTER_SENDING_MS;
    let loaded = 0;
    let drainSeconds: number | null = null;
    while (performance.now() < deadline) {
      loaded = await countEvents(product.url);
      if (loaded >= accepted && measured.every(([m]) => seen.has(m))) {
        drainSeconds = round(seconds(sentAt), 1);
        break;
      }
      await sleep(200);
    }
    const cpuAfter = await readCpu(product.url, dataDir);
    const pollsDuring = polls - pollsBefore;
    const cpu = cpuBudget(cpuBefore, cpuAfter, loaded, perSecond, pollsDuring * (await pollCpuSeconds()));
    const freshness = measured.filter(([m]) => seen.has(m)).map(([m, at]) => seen.get(m)! - at).sort((a, b) => a - b);
    const p95 = round(percentile(freshness, 95), 1);
    const notes = [
      `freshness: from the 200 of the event's request to the first SQL poll (every ${POLL_MS} ms) that returned it, same clock (this process); every ${SAMPLE_EVERY}th event is measured`,
      `load batches at LOAD_BATCH_MAX_WAIT_MS (${childLoadBatchWaitMs()} ms)`,
      `cpu: from just before the first request to every accepted event loaded (or the end of the wait), per event loaded; the product's includes the requests it refused, and answering ${pollsDuring} polls (usPerEvent.polls, from ${CALIBRATION_POLLS} more polls after the run), which the total and the cores leave out`,
    ];
    if (refused > 0) notes.push(`${refused} events refused by the API (not loaded, not measured), by status: ${JSON.stringify(refusedByStatus)}`);
    if (freshness.length < measured.length) notes.push(`${measured.length - freshness.length} measured events not queryable within ${WAIT_AFTER_SENDING_MS / 1000} s of the last request`);
    // More than accepted: a 503 says the queue did not confirm in time, and such a write may still land (the client's retry is then a duplicate the loader drops).
    if (loaded !== accepted) notes.push(`${loaded} events in the table for ${accepted} accepted`);
    const complete = refused === 0 && loaded === accepted && freshness.length === measured.length && measured.length > 0;
    return {
      rate: perSecond,
      sentPerSec: round(sent / sendingSeconds, 1),
      seconds: opts.durationSec,
      sent,
      accepted,
      loaded,
      refused,
      drainSeconds,
      measured: measured.length,
      seen: freshness.length,
      freshnessMs: { p50: round(percentile(freshness, 50), 1), p95, p99: round(percentile(freshness, 99), 1), max: round(freshness.at(-1) ?? 0, 1) },
      p95: { target: TARGET_P95_MS, value: p95, met: complete && p95 <= TARGET_P95_MS },
      cpu,
      notes,
    };
  } finally {
    polling = false;
    await poller.catch(() => undefined);
    await stopChild(product.child);
    removeDir(dataDir, opts.keepData);
  }
}
