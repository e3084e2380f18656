import { describe, expect, test } from 'vitest';
import { nestsDeeperThan } from '../../pipeline/core/nesting-depth.js';

describe('nestsDeeperThan', () => {
  const nested = (levels: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < levels; i++) v = i % 2 === 0 ? { a: v } : [v];
    return v;
  };

  test('counts objects and arrays, the outermost value being level 1; scalars nest nothing', () => {
    expect(nestsDeeperThan(nested(3), 3)).toBe(false);
    expect(nestsDeeperThan(nested(4), 3)).toBe(true);
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan(null, 0)).toBe(false);
  });

  test('finds the deep branch beside shallow ones, and a value far deeper than the stack would take', () => {
    expect(nestsDeeperThan({ a: 1, b: [1, 2], c: { d: nested(10) } }, 10)).toBe(true);
    expect(nestsDeeperThan({ a: 1, b: [1, 2], c: { d: nested(8) } }, 10)).toBe(false);
    expect(nestsDeeperThan(nested(100_000), 256)).toBe(true);
  });
});
