import { describe, expect, test } from 'vitest';
import { createPayloadWriter } from '../../pipeline/clickhouse/insert-payload.js';

const parse = (b: Buffer) => JSON.parse(b.toString('utf8')) as unknown[];

describe('the insert payload writer', () => {
  test('writes the rows as one JSON array, multi-byte text and lone surrogates included', async () => {
    const rows = [
      { a: 1, s: 'plain' },
      { s: '顾客 – 会员 😀', n: null, nested: { list: [1, 'two', { three: 3 }] } },
      { s: 'lone \ud800 surrogate', q: '"quoted" \\ back\nslash' },
      { big: 'é'.repeat(100_000) },
    ];
    const got = await createPayloadWriter().withPayload(rows, async (p) => parse(p));
    expect(got).toEqual(JSON.parse(JSON.stringify(rows)));
  });

  test('reuses its Buffer from one insert to the next, and never hands out one still in use', async () => {
    const writer = createPayloadWriter();
    const first: Buffer[] = [];
    await writer.withPayload([{ a: 1 }], async (p) => void first.push(p));
    let inner: unknown[] = [];
    let outerAfterInner: unknown[] = [];
    await writer.withPayload([{ a: 2 }], async (outer) => {
      expect(outer.buffer).toBe(first[0]!.buffer);
      // A second insert on the same connection while the first payload is still being read.
      inner = await writer.withPayload([{ b: 'other' }], async (p) => {
        expect(p.buffer).not.toBe(outer.buffer);
        return parse(p);
      });
      outerAfterInner = parse(outer);
    });
    expect(inner).toEqual([{ b: 'other' }]);
    expect(outerAfterInner).toEqual([{ a: 2 }]);
  });

  test('does not keep a Buffer larger than its limit', async () => {
    const writer = createPayloadWriter(1024 * 1024);
    const big = [{ s: 'x'.repeat(2 * 1024 * 1024) }];
    const buffers: ArrayBufferLike[] = [];
    await writer.withPayload(big, async (p) => void buffers.push(p.buffer));
    await writer.withPayload([{ a: 1 }], async (p) => void buffers.push(p.buffer));
    expect(buffers[1]).not.toBe(buffers[0]);
    const after = await writer.withPayload([{ a: 3 }], async (p) => parse(p));
    expect(after).toEqual([{ a: 3 }]);
  });

  test('a failing use releases the Buffer for the next insert', async () => {
    const writer = createPayloadWriter();
    const seen: ArrayBufferLike[] = [];
    await expect(writer.withPayload([{ a: 1 }], async (p) => {
      seen.push(p.buffer);
      throw new Error('refused');
    })).rejects.toThrow('refused');
    await writer.withPayload([{ a: 2 }], async (p) => void seen.push(p.buffer));
    expect(seen[1]).toBe(seen[0]);
  });
});
