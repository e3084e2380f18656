import { createHash } from 'node:crypto';
import { normalizeEmail, normalizePhone } from '../../identity/identifiers.js';

export const HASHES = ['sha256'] as const;
export type Hash = (typeof HASHES)[number];

/** Which selected traits hold emails and phone numbers: the identity keys of the product's configuration. */
export interface HashedTraitKeys {
  emailKeys: readonly string[];
  phoneKeys: readonly string[];
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * A trait value as exported. With `hash=sha256`, email and phone traits become the SHA-256 hex of their
 * normalised value (email trimmed and lower-cased; phone as digits with `+` when international), which is
 * what customer-match uploads expect. A value that does not normalise becomes null: sending it in clear
 * would defeat the hashing, and its hash could never match.
 */
export function exportedTraitValue(trait: string, value: string | null, hash: Hash | undefined, keys: HashedTraitKeys): string | null {
  if (value === null || hash === undefined) return value;
  if (keys.emailKeys.includes(trait)) {
    const email = normalizeEmail(value);
    return email === undefined ? null : sha256(email);
  }
  if (keys.phoneKeys.includes(trait)) {
    const phone = normalizePhone(value);
    return phone === undefined ? null : sha256(phone);
  }
  return value;
}
