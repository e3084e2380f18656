import { describe, expect, test } from 'vitest';
import { batchItemSizes } from '../../ingest/batch-item-sizes.js';

// Each size must equal the UTF-8 length of the item's own JSON text, however the body is laid out.
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe('batchItemSizes', () => {
  test('items of every JSON kind, measured as sent', () => {
    const items = [{ a: 1, b: [1, 2, { c: '}]' }] }, 'a string, with "quotes" and \\ backslash', 12.5e3, true, null, [1, [2, [3]]]];
    expect(batchItemSizes(JSON.stringify({ batch: items }))).toEqual(items.map(bytes));
  });

  test('white space between items is not counted; inside items it is', () => {
    const text = '{ "batch" : [  {"a": 1} ,\n\t{ "b" : 2 }  ] }';
    expect(batchItemSizes(text)).toEqual(['{"a": 1}'.length, '{ "b" : 2 }'.length]);
  });

  test('multi-byte characters count their UTF-8 bytes', () => {
    const items = [{ t: 'é' }, { t: '€' }, { t: '😀' }];
    expect(batchItemSizes(JSON.stringify({ batch: items }))).toEqual(items.map(bytes));
  });

  test('the batch array is found whatever comes before it', () => {
    const body = { context: { batch: [9, 9, 9] }, note: 'batch', other: [1, 2], batch: [{ x: 1 }, { y: 22 }] };
    expect(batchItemSizes(JSON.stringify(body))).toEqual([7, 8]);
  });

  test('an empty batch has no sizes; a body without one has none at all', () => {
    expect(batchItemSizes('{"batch": []}')).toEqual([]);
    expect(batchItemSizes('{"events": [{"a": 1}]}')).toBeUndefined();
    expect(batchItemSizes('{"batch": "not an array"}')).toBeUndefined();
  });
});
