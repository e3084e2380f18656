import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { offeredRate, sendOpenLoop } from './open-loop.js';
import { percentile, round, type Target } from './figures.js';
import type { BenchOptions } from './options.js';
import { childLoadBatchWaitMs, removeDir, startProductChild, stopChild } from './server-children.js';

// Event destination freshness: events sent at BENCH_DESTINATION_RATE events/s (default 1,000) for
// BENCH_DURATION seconds to the product (roles api,workers, a child process), with one webhook destination
// (default batch_size 100 and max_wait_ms 1000) pointing at a receiver in this process. For every event, the
// time from the 200 its request got to the arrival of the delivery carrying it; events of the warm-up are
// left out. Baseline from the same run: the receiver's own latency for a delivery-sized POST sent straight to
// it (what an ideal forwarder could not beat). Target: p95 ≤ 5 s (ARCHITECTURE, Numbers).

const ADMIN_KEY = 'ak_bench_destinations';
const WRITE_KEY = 'wk_bench_destinations';
const SECRET = `whsec_${'b'.repeat(40)}`;
const TARGET_P95_MS = 5000;

export interface DestinationsReport {
  rate: number;
  seconds: number;
  sent: number;
  delivered: number;
  duplicates: number;
  deliveries: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  p95: Target;
  baseline: { directPostP50Ms: number; directPostP95Ms: number; posts: number; eventsPerPost: number };
  notes: string[];
}

const progress = (msg: string) => process.stderr.write(`bench: destinations: ${msg}\n`);


/** The receiver: when each messageId first arrived, how many arrived again, and how many deliveries. */
async function startReceiver() {
  const arrived = new Map<string, number>();
  let duplicates = 0;
  let deliveries = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = performance.now();
      if (req.url === '/direct') return res.writeHead(200).end();
      deliveries++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: { messageId: string }[] };
      for (const e of body.events) {
        if (arrived.has(e.messageId)) duplicates++;
        else arrived.set(e.messageId, now);
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrived,
    counts: () => ({ duplicates, deliveries }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function runDestinationsBench(opts: BenchOptions): Promise<DestinationsReport> {
  const perSecond = offeredRate('BENCH_DESTINATION_RATE');
  const receiver = await startReceiver();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cdp-bench-destinations-'));
  progress('starting the product (api,workers)');
  const product = await startProductChild(dataDir, 'api,workers', {
    CDP_ADMIN_KEY: ADMIN_KEY,
    CDP_WRITE_KEYS: `${WRITE_KEY}:bench`,
    QUEUE_PREFIX: `{bd${randomUUID().slice(0, 6)}}`,
    DESTINATIONS_ALLOW_PRIVATE: 'true',
  });
  try {
    const created = await fetch(`${product.url}/v1/destinations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ type: 'events', name: 'bench receiver', format: 'webhook', url: `${receiver.url}/events`, secret: SECRET }),
    });
    if (created.status !== 201) throw new Error(`destination not created: ${created.status} ${await created.text()}`);
    // The delivery loop starts within a second of the destination's creation.
    await sleep(1500);

    const { acked, refused, sent } = await sendOpenLoop({
      url: product.url,
      writeKey: WRITE_KEY,
      perSecond,
      warmupSec: opts.warmupSec,
      durationSec: opts.durationSec,
      batch: (tick, perTick) => Array.from({ length: perTick }, (_, i) => ({ type: 'track', userId: `bench-${(tick * perTick + i) % 5000}`, event: 'Product Viewed', messageId: randomUUID(), properties: { sku: `sku-${i}`, price: 19.9 } })),
      progress,
    });
    progress(`sent ${sent} events; waiting for their delivery`);
    const deadline = performance.now() + 120_000;
    while (performance.now() < deadline && [...acked.keys()].some((m) => !receiver.arrived.has(m))) await sleep(200);

    const latencies = [...acked].filter(([m]) => receiver.arrived.has(m)).map(([m, at]) => receiver.arrived.get(m)! - at).sort((a, b) => a - b);
    const { duplicates, deliveries } = receiver.counts();

    // Baseline: delivery-sized POSTs straight to the same receiver.
    const eventsPerPost = 100;
    const body = JSON.stringify({ delivery_id: 'x', destination_id: 'x', events: Array.from({ length: eventsPerPost }, () => ({ type: 'track', event: 'Product Viewed', messageId: randomUUID(), properties: { sku: 'sku-1', price: 19.9 } })) });
    const direct: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      const res = await fetch(`${receiver.url}/direct`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      direct.push(performance.now() - t);
    }
    direct.sort((a, b) => a - b);

    const p95 = round(percentile(latencies, 95), 1);
    const notes = [
      'latency: from the 200 of the event\'s request to the arrival of the delivery carrying it, same clock (this process)',
      `destination with the default batch_size 100 and max_wait_ms 1000; load batches at LOAD_BATCH_MAX_WAIT_MS (${childLoadBatchWaitMs()} ms)`,
    ];
    if (refused > 0) notes.push(`${refused} events refused by the API (not measured)`);
    if (latencies.length < acked.size) notes.push(`${acked.size - latencies.length} measured events not delivered within 120 s`);
    return {
      rate: perSecond,
      seconds: opts.durationSec,
      sent,
      delivered: receiver.arrived.size,
      duplicates,
      deliveries,
      latencyMs: { p50: round(percentile(latencies, 50), 1), p95, p99: round(percentile(latencies, 99), 1), max: round(latencies.at(-1) ?? 0, 1) },
      p95: { target: TARGET_P95_MS, value: p95, met: latencies.length === acked.size && acked.size > 0 && p95 <= TARGET_P95_MS },
      baseline: { directPostP50Ms: round(percentile(direct, 50), 2), directPostP95Ms: round(percentile(direct, 95), 2), posts: direct.length, eventsPerPost },
      notes,
    };
  } finally {
    await stopChild(product.child);
    await receiver.close();
    removeDir(dataDir, opts.keepData);
  }
}
