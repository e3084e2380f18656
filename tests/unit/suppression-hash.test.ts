import { createHash, createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { createSuppressionHasher, legacyIdentifierHash } from '../../identity/suppression-hash.js';
import { suppressionHashes } from '../../identity/resolver.js';

const secret = Buffer.from('s'.repeat(40));
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

describe('suppression hashes', () => {
  test('HMAC-SHA256 keyed with the secret, over the SHA-1 hex of "type\\x1fvalue"', () => {
    const expected = createHmac('sha256', secret).update(sha1('email\u001fann@shop.example')).digest('hex');
    expect(createSuppressionHasher(secret).of('email', 'ann@shop.example')).toBe(expected);
  });

  test('an entry of the earlier SHA-1 form converts to the hash of its identifier', () => {
    const hasher = createSuppressionHasher(secret);
    expect(legacyIdentifierHash('user_id', 'u-1')).toBe(sha1('user_id\u001fu-1'));
    expect(hasher.fromLegacy(legacyIdentifierHash('user_id', 'u-1'))).toBe(hasher.of('user_id', 'u-1'));
  });

  test('another secret gives other hashes; the SHA-1 alone is not among them', () => {
    const a = createSuppressionHasher(secret).of('user_id', 'u-1');
    const b = createSuppressionHasher(Buffer.from('t'.repeat(40))).of('user_id', 'u-1');
    expect(a).not.toBe(b);
    expect(a).not.toContain(sha1('user_id\u001fu-1'));
  });

  test('the same answer from the cache as computed, for many identifiers', () => {
    const hasher = createSuppressionHasher(secret);
    for (let i = 0; i < 60_000; i += 997) expect(hasher.of('anonymous_id', `a-${i}`)).toBe(hasher.fromLegacy(sha1(`anonymous_id\u001fa-${i}`)));
    expect(hasher.of('anonymous_id', 'a-0')).toBe(hasher.fromLegacy(sha1('anonymous_id\u001fa-0')));
  });

  test('a previous_id is looked up as a user id and as an anonymous id', () => {
    const hasher = createSuppressionHasher(secret);
    expect(suppressionHashes([{ type: 'user_id', value: 'u' }, { type: 'previous_id', value: 'p' }], hasher)).toEqual([
      hasher.of('user_id', 'u'),
      hasher.of('user_id', 'p'),
      hasher.of('anonymous_id', 'p'),
    ]);
  });
});
