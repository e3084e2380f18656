import { describe, expect, test } from 'vitest';
import { RFM_SEGMENTS, rfmSegment, segmentMapParameter } from '../../segments/rfm-segment-map.js';

describe('RFM segment map', () => {
  test('is total: every (R, F) pair of scores 1-5 has exactly one named segment', () => {
    for (let r = 1; r <= 5; r++) {
      for (let f = 1; f <= 5; f++) expect(RFM_SEGMENTS).toContain(rfmSegment(r, f));
    }
  });

  test('uses every named segment', () => {
    const used = new Set(segmentMapParameter());
    expect([...used].sort()).toEqual([...RFM_SEGMENTS].sort());
  });

  test('the SQL parameter is indexed by (r - 1) * 5 + f, 1-based', () => {
    const map = segmentMapParameter();
    expect(map).toHaveLength(25);
    for (let r = 1; r <= 5; r++) for (let f = 1; f <= 5; f++) expect(map[(r - 1) * 5 + f - 1]).toBe(rfmSegment(r, f));
  });

  test('the corners are what marketers expect', () => {
    expect(rfmSegment(5, 5)).toBe('Champions');
    expect(rfmSegment(1, 1)).toBe('Lost');
    expect(rfmSegment(1, 5)).toBe("Can't Lose Them");
    expect(rfmSegment(5, 1)).toBe('New');
  });

  test('scores outside 1-5 are refused', () => {
    expect(() => rfmSegment(0, 3)).toThrow(RangeError);
    expect(() => rfmSegment(3, 6)).toThrow(RangeError);
  });
});
