import { setTimeout as sleep } from 'node:timers/promises';

// The open-loop load of the latency benches (destinations, freshness, journeys): a /v1/batch every TICK_MS,
// each due at its time whatever the answers (a closed loop would slow down with the product and hide its
// queueing), for the warm-up and then the measured seconds.

const TICK_MS = 20;

/** The offered rate of a latency bench from its variable (e.g. BENCH_FRESHNESS_RATE): events/s, default 1,000. */
export function offeredRate(variable: string): number {
  const raw = process.env[variable];
  const n = raw === undefined || raw.trim() === '' ? 1000 : Number(raw);
  if (!Number.isInteger(n) || n < 50) throw new Error(`${variable} must be a whole number of events/s, at least 50; got "${raw}"`);
  return n;
}

export interface OpenLoopOptions {
  url: string;
  writeKey: string;
  perSecond: number;
  warmupSec: number;
  durationSec: number;
  /** The events of one tick: track calls, each with its own messageId. */
  batch(tick: number, perTick: number): { messageId: string }[];
  /** Most events in one request: a tick holding more is sent as several requests (default: one request a tick). */
  requestEvents?: number;
  /** Called for each event as it is acked (measured ones only), e.g. to sample some for a baseline while sending. */
  onAcked?(messageId: string, at: number): void;
  /** The clock `acked` is read on: this process's (performance.now, the default) or the wall clock, to set against the product's. */
  clock?: () => number;
  progress(message: string): void;
}

export interface OpenLoopResult {
  /** Every event answered 200 after the warm-up → when its answer came, on `clock`; in the order sent. */
  acked: Map<string, number>;
  /** Events in answers other than 200. */
  refused: number;
  /** Those events by the status of their answer. */
  refusedByStatus: Record<string, number>;
  sent: number;
  perTick: number;
  /** From the first tick to the last (the pace actually kept). */
  sendingSeconds: number;
}

export async function sendOpenLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const clock = o.clock ?? (() => performance.now());
  const auth = `Basic ${Buffer.from(`${o.writeKey}:`).toString('base64')}`;
  const perTick = Math.max(1, Math.round((o.perSecond * TICK_MS) / 1000));
  const acked = new Map<string, number>();
  const measuredFrom = performance.now() + o.warmupSec * 1000;
  const until = measuredFrom + o.durationSec * 1000;
  const pending: Promise<void>[] = [];
  let refused = 0;
  const refusedByStatus: Record<string, number> = {};
  let tick = 0;
  o.progress(`sending ${o.perSecond} events/s for ${o.warmupSec} s warm-up + ${o.durationSec} s`);
  const start = performance.now();
  const send = (batch: { messageId: string }[], measured: boolean) =>
    fetch(`${o.url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify({ batch }) }).then(async (res) => {
      const at = clock();
      await res.arrayBuffer();
      if (res.status !== 200) {
        refused += batch.length;
        refusedByStatus[res.status] = (refusedByStatus[res.status] ?? 0) + batch.length;
      } else if (measured) {
        for (const e of batch) {
          acked.set(e.messageId, at);
          o.onAcked?.(e.messageId, at);
        }
      }
    });
  const requestEvents = o.requestEvents ?? perTick;
  while (performance.now() < until) {
    const batch = o.batch(tick, perTick);
    const measured = performance.now() >= measuredFrom;
    for (let at = 0; at < batch.length; at += requestEvents) pending.push(send(batch.slice(at, at + requestEvents), measured));
    tick++;
    await sleep(Math.max(0, start + tick * TICK_MS - performance.now()));
  }
  const sendingSeconds = (performance.now() - start) / 1000;
  await Promise.all(pending);
  return { acked, refused, refusedByStatus, sent: tick * perTick, perTick, sendingSeconds };
}
