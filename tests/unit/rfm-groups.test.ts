import { describe, expect, test } from 'vitest';
import { RFM_GROUPS, rfmGroup, rfmGroupMapParameter } from '../../segments/rfm-groups.js';

describe('RFM groups', () => {
  test('is total: every (R, F) pair of scores 1-5 has exactly one named segment', () => {
    for (let r = 1; r <= 5; r++) {
      for (let f = 1; f <= 5; f++) expect(RFM_GROUPS).toContain(rfmGroup(r, f));
    }
  });

  test('uses every named segment', () => {
    const used = new Set(rfmGroupMapParameter());
    expect([...used].sort()).toEqual([...RFM_GROUPS].sort());
  });

  test('the SQL parameter is indexed by (r - 1) * 5 + f, 1-based', () => {
    const map = rfmGroupMapParameter();
    expect(map).toHaveLength(25);
    for (let r = 1; r <= 5; r++) for (let f = 1; f <= 5; f++) expect(map[(r - 1) * 5 + f - 1]).toBe(rfmGroup(r, f));
  });

  test('the corners are what marketers expect', () => {
    expect(rfmGroup(5, 5)).toBe('Champions');
    expect(rfmGroup(1, 1)).toBe('Lost');
    expect(rfmGroup(1, 5)).toBe("Can't Lose Them");
    expect(rfmGroup(5, 1)).toBe('New');
  });

  test('scores outside 1-5 are refused', () => {
    expect(() => rfmGroup(0, 3)).toThrow(RangeError);
    expect(() => rfmGroup(3, 6)).toThrow(RangeError);
  });
});
