import { describe, expect, test } from 'vitest';
import { oversizedBatchItems } from '../../ingest/batch-item-sizes.js';

// The sizes must equal the UTF-8 length of each item's own JSON text, however the body is laid out.
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
const pad = (n: number) => ({ type: 'track', userId: 'u', event: 'E', properties: { p: 'x'.repeat(n) } });

describe('oversizedBatchItems', () => {
  test('finds exactly the items over the limit, with their size as sent', () => {
    const items = [pad(10), pad(200), pad(50), pad(1000)];
    const limit = bytes(pad(100));
    expect(oversizedBatchItems(JSON.stringify({ batch: items }), limit)).toEqual(new Map([[1, bytes(items[1])], [3, bytes(items[3])]]));
  });

  test('an item of exactly the limit is not oversized; one byte more is', () => {
    const item = pad(100);
    expect(oversizedBatchItems(JSON.stringify({ batch: [item] }), bytes(item)).size).toBe(0);
    expect(oversizedBatchItems(JSON.stringify({ batch: [item] }), bytes(item) - 1)).toEqual(new Map([[0, bytes(item)]]));
  });

  test('items of every JSON kind are delimited right: strings with brackets, commas, quotes and escapes', () => {
    const items = [{ a: '}],[{', b: [1, 2, { c: '"\\' }] }, 'a string, with "quotes" and \\ backslash', 'ends with a backslash \\', '\\"\\\\"', 12.5e3, true, null, [1, [2, [3]]]];
    const found = oversizedBatchItems(JSON.stringify({ batch: items }), 0);
    expect([...found.values()]).toEqual(items.map(bytes));
  });

  test('white space between items is not counted; inside items it is', () => {
    const text = '{ "batch" : [  {"a": 1} ,\n\t{ "b" : 2 }  ] }';
    expect([...oversizedBatchItems(text, 0).values()]).toEqual(['{"a": 1}'.length, '{ "b" : 2 }'.length]);
  });

  test('multi-byte characters count their UTF-8 bytes', () => {
    const items = [{ t: 'é'.repeat(20) }, { t: '€'.repeat(20) }, { t: '😀'.repeat(20) }];
    // Every item is 20 characters long but from 48 to 88 bytes.
    const found = oversizedBatchItems(JSON.stringify({ batch: items }), 50);
    expect(found).toEqual(new Map([[1, bytes(items[1])], [2, bytes(items[2])]]));
  });

  test('the batch array is found whatever comes before it; a repeated key counts as JSON.parse reads it', () => {
    const body = '{"context": {"batch": [1, 2]}, "note": "batch", "other": [1], "batch": [{"x": 1}], "batch": [{"y": 22}, {"z": 333}]}';
    expect(JSON.parse(body).batch).toHaveLength(2);
    expect([...oversizedBatchItems(body, 0)]).toEqual([[0, '{"y": 22}'.length], [1, '{"z": 333}'.length]]);
  });

  test('nothing is found in an empty batch or a body without one', () => {
    expect(oversizedBatchItems('{"batch": []}', 0).size).toBe(0);
    expect(oversizedBatchItems('{"events": [{"a": 1}]}', 0).size).toBe(0);
  });
});
