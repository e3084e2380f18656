import { describe, expect, test } from 'vitest';
import { decodeChangesCursor, decodeMembersCursor, encodeChangesCursor, encodeMembersCursor } from '../../segments/audience/audience-cursor.js';
import { InvalidCursorError } from '../../segments/audience/errors/invalid-cursor-error.js';

const refused = (fn: () => unknown, message: RegExp) => {
  expect(fn).toThrow(InvalidCursorError);
  expect(fn).toThrow(message);
};

describe('members cursor', () => {
  test('round-trips any profile id, including commas, quotes and non-ASCII, as URL-safe text', () => {
    for (const after of ['', 'p-000123', 'a,b"c\\d', 'é🙂\u0000', 'x'.repeat(300)]) {
      const raw = encodeMembersCursor({ segmentId: 'vip', seq: 42, after });
      expect(raw).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeMembersCursor(raw, 'vip')).toEqual({ segmentId: 'vip', seq: 42, after });
    }
  });

  test('is refused for another segment, as a changes cursor, or when not issued by the API', () => {
    const raw = encodeMembersCursor({ segmentId: 'vip', seq: 1, after: 'p1' });
    refused(() => decodeMembersCursor(raw, 'churned'), /belongs to segment "vip", not "churned"/);
    refused(() => decodeChangesCursor(raw, 'vip'), /not a changes cursor/);
    refused(() => decodeMembersCursor('abc$', 'vip'), /not a base64url string/);
    refused(() => decodeMembersCursor(Buffer.from('not json').toString('base64url'), 'vip'), /not one this API issued/);
    refused(() => decodeMembersCursor(Buffer.from('["m","vip",-1,"p"]').toString('base64url'), 'vip'), /not one this API issued/);
    refused(() => decodeMembersCursor(Buffer.from('["m","vip",1.5,"p"]').toString('base64url'), 'vip'), /not one this API issued/);
    refused(() => decodeMembersCursor(Buffer.from('["m","vip",1]').toString('base64url'), 'vip'), /not a members cursor/);
  });
});

describe('changes cursor', () => {
  test('round-trips (seq, profile_id)', () => {
    const raw = encodeChangesCursor({ segmentId: 's', seq: 9007199254740991, profileId: 'p-9' });
    expect(decodeChangesCursor(raw, 's')).toEqual({ segmentId: 's', seq: 9007199254740991, profileId: 'p-9' });
    refused(() => decodeMembersCursor(raw, 's'), /not a members cursor/);
  });
});
