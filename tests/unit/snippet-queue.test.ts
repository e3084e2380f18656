import { expect, test } from 'vitest';
import { bounded, takeBatch, withoutSent, type Message } from '../../ingest/snippet/queue.js';

const message = (n: number, padding = 0): Message => ({ type: 'track', messageId: `m${n}`, event: 'E', context: {}, properties: { pad: 'x'.repeat(padding) } });
const ids = (items: Message[]) => items.map((m) => m.messageId);

test('bounded: the oldest events beyond the bound are dropped and counted', () => {
  const items = [1, 2, 3, 4, 5].map((n) => message(n));
  expect(bounded({ items, dropped: 0 }, 5)).toEqual({ items, dropped: 0 });
  const kept = bounded({ items, dropped: 7 }, 3);
  expect(ids(kept.items)).toEqual(['m3', 'm4', 'm5']);
  expect(kept.dropped).toBe(9);
});

test('takeBatch: the oldest events within the count and the size', () => {
  const items = [1, 2, 3, 4].map((n) => message(n, 100));
  const one = JSON.stringify(items[0]).length + 1;
  expect(ids(takeBatch(items, 10, 10_000))).toEqual(['m1', 'm2', 'm3', 'm4']);
  expect(ids(takeBatch(items, 2, 10_000))).toEqual(['m1', 'm2']);
  expect(ids(takeBatch(items, 10, one * 3))).toEqual(['m1', 'm2', 'm3']);
  expect(ids(takeBatch(items, 10, one * 3 - 1))).toEqual(['m1', 'm2']);
  expect(takeBatch(items, 10, one - 1)).toEqual([]);
  expect(takeBatch([], 10, 10_000)).toEqual([]);
});

test('withoutSent: removes the sent events wherever they are, and the reported drops', () => {
  const items = [1, 2, 3, 4].map((n) => message(n));
  // Another tab already removed m1, and m5 arrived meanwhile.
  const queue = { items: [...items.slice(1), message(5)], dropped: 4 };
  const next = withoutSent(queue, [items[0]!, items[1]!, items[2]!], 3);
  expect(ids(next.items)).toEqual(['m4', 'm5']);
  expect(next.dropped).toBe(1);
  expect(withoutSent({ items: [], dropped: 0 }, items, 2).dropped).toBe(0);
});
