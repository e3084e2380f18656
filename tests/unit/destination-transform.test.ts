import { describe, expect, test } from 'vitest';
import { compileTransform } from '../../pipeline/destinations/transform.js';

describe('destination transforms', () => {
  test('reshape, and drop with undefined', async () => {
    const t = compileTransform('event = "Skip" ? undefined : {"e": event, "rev": properties.revenue}');
    expect(await t({ event: 'Order Completed', properties: { revenue: 3 } })).toEqual({ e: 'Order Completed', rev: 3 });
    expect(await t({ event: 'Skip' })).toBeUndefined();
  });

  test('a transform that does not compile is refused with its position', () => {
    expect(() => compileTransform('{"a": event')).toThrow(expect.objectContaining({ code: 'invalid_transform', reply: expect.objectContaining({ position: expect.any(Number) }) }));
  });

  test('endless recursion fails instead of holding the loader', async () => {
    const t = compileTransform('($f := function($n) { $f($n + 1) }; $f(0))');
    await expect(t({})).rejects.toMatchObject({ code: expect.stringMatching(/^D101[12]$/) });
  });
});
