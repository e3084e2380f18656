import { retryAfterMs, retryDelay, shouldRetry } from './backoff.js';
import { bounded, readQueue, takeBatch, withoutSent, writeQueue, type Message } from './queue.js';
import { beacon, post } from './transport.js';

export interface SenderOptions {
  batchUrl: string;
  writeKey: string;
  flushAt: number;
  flushInterval: number;
  maxQueueSize: number;
  maxRetryDelay: number;
  warn(message: string, detail?: unknown): void;
}

// Under the API's default limits (2,500 events, 500 KB per batch; characters count at least one byte each).
const MAX_BATCH_EVENTS = 500;
const MAX_BATCH_CHARS = 400_000;
// sendBeacon refuses bodies once a page has 64 KB of beacons in flight.
const MAX_BEACON_CHARS = 60_000;

export interface Sender {
  enqueue(message: Message): void;
  flush(): void;
  /** The page is being hidden or left: hand what is queued to sendBeacon. */
  unload(): void;
}

/**
 * Batching into POST /v1/batch: a batch leaves when `flushAt` events wait or `flushInterval` ms after the
 * first; failures are retried with backoff while the events wait in the offline queue. One request at a time.
 */
export function createSender(o: SenderOptions): Sender {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sending = false;
  // Failed attempts in a row; while above 0 a retry is scheduled and new events wait for it.
  let attempt = 0;

  const schedule = (ms: number) => {
    if (timer === undefined) timer = setTimeout(flush, ms);
  };

  const body = (batch: Message[], dropped: number) => {
    const sentAt = new Date().toISOString();
    const items = batch.map((m) => ({ ...m, sentAt }));
    // Drops are reported on the first event sent after them, where they can be counted in ClickHouse.
    if (dropped > 0) items[0] = { ...items[0]!, context: { ...items[0]!.context, droppedEvents: dropped } };
    return JSON.stringify({ writeKey: o.writeKey, batch: items });
  };

  async function send(): Promise<void> {
    const queue = readQueue();
    if (queue.items.length === 0) return;
    const batch = takeBatch(queue.items, MAX_BATCH_EVENTS, MAX_BATCH_CHARS);
    // An event over the batch size (left by another version of this script) goes alone, and its refusal
    // removes it, rather than blocking the queue behind it.
    if (batch.length === 0) batch.push(queue.items[0]!);
    const answer = await post(o.batchUrl, body(batch, queue.dropped));
    if (shouldRetry(answer.status)) {
      schedule(retryDelay(attempt++, Math.random(), o.maxRetryDelay, retryAfterMs(answer.retryAfter, Date.now())));
      return;
    }
    attempt = 0;
    // A refusal is final: the API says what was wrong, and sending the same events again would not fix it.
    if (answer.status >= 400 || answer.body.indexOf('"rejected"') >= 0) o.warn(`cdp: the API refused events (${answer.status})`, answer.body);
    writeQueue(withoutSent(readQueue(), batch, queue.dropped));
    if (readQueue().items.length > 0) await send();
  }

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    if (sending) return;
    sending = true;
    send()
      .catch((err: unknown) => o.warn('cdp: sending failed', err))
      .then(() => {
        sending = false;
      });
  }

  return {
    enqueue(message) {
      let chars: number;
      try {
        chars = JSON.stringify(message).length;
      } catch (err) {
        return o.warn('cdp: event dropped, it cannot be serialized to JSON', err);
      }
      if (chars > MAX_BATCH_CHARS) return o.warn(`cdp: event dropped, ${chars} characters of JSON is over the batch size`);
      const queue = readQueue();
      const next = bounded({ items: queue.items.concat(message), dropped: queue.dropped }, o.maxQueueSize);
      if (next.dropped > queue.dropped) o.warn(`cdp: offline queue full, ${next.dropped} events dropped so far`);
      writeQueue(next);
      if (attempt > 0 || sending) return;
      if (next.items.length >= o.flushAt) flush();
      else schedule(o.flushInterval);
    },
    flush() {
      if (attempt === 0) flush();
    },
    unload() {
      // While the API fails the events stay in localStorage, for the scheduled retry or the next page.
      if (attempt > 0) return;
      let queue = readQueue();
      for (;;) {
        const batch = takeBatch(queue.items, MAX_BATCH_EVENTS, MAX_BEACON_CHARS);
        if (batch.length === 0 || !beacon(o.batchUrl, body(batch, queue.dropped))) break;
        // Handed to the browser: trusted as sent, so the next page does not send them a second time.
        queue = withoutSent(queue, batch, queue.dropped);
      }
      writeQueue(queue);
    },
  };
}
