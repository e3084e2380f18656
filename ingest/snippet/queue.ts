import { getItem, setItem } from './storage.js';

/** An event as sent to the tracking API. */
export interface Message {
  type: string;
  messageId: string;
  context: Record<string, unknown>;
  [field: string]: unknown;
}

/** The offline queue: events not yet acknowledged, oldest first, and how many were dropped to keep it bounded. */
export interface Queue {
  items: Message[];
  dropped: number;
}

const KEY = 'cdp_queue';

/** Drops the oldest events beyond `max`, counting them. */
export function bounded(queue: Queue, max: number): Queue {
  const over = queue.items.length - max;
  return over > 0 ? { items: queue.items.slice(over), dropped: queue.dropped + over } : queue;
}

/**
 * The longest run of the oldest events within `maxCount` events and `maxChars` characters of JSON; empty when
 * the oldest event alone is over `maxChars`.
 */
export function takeBatch(items: Message[], maxCount: number, maxChars: number): Message[] {
  let chars = 0;
  let n = 0;
  while (n < items.length && n < maxCount) {
    chars += JSON.stringify(items[n]).length + 1;
    if (chars > maxChars) break;
    n++;
  }
  return items.slice(0, n);
}

/** The queue without the given events (by messageId) and with `reported` drops taken off the count. */
export function withoutSent(queue: Queue, sent: Message[], reported: number): Queue {
  const ids = new Set(sent.map((m) => m.messageId));
  return { items: queue.items.filter((m) => !ids.has(m.messageId)), dropped: Math.max(0, queue.dropped - reported) };
}

/**
 * The queue lives in localStorage, not in memory: every tab of the site reads and writes the same one, so a
 * tab closed while the API was down leaves its events to the next page. Two tabs may send the same event;
 * its messageId makes the API load it once.
 */
export function readQueue(): Queue {
  try {
    const q = JSON.parse(getItem(KEY) || 'null') as Queue | null;
    if (q && Array.isArray(q.items)) return { items: q.items, dropped: Number(q.dropped) || 0 };
  } catch {
    // unreadable: start again
  }
  return { items: [], dropped: 0 };
}

export function writeQueue(queue: Queue): void {
  setItem(KEY, JSON.stringify(queue));
}
