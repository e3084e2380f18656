import { createHash, createHmac } from 'node:crypto';

// How a deleted customer's identifiers are kept (Redis `id:sup`, ClickHouse `suppressed_identifiers`):
// HMAC-SHA256, keyed with the installation secret, of the SHA-1 hex of "type\x1fvalue". A bare SHA-1
// let anyone with SQL test a guessed email; the key does not leave Node. The SHA-1 inside is the earlier
// scheme, kept so that entries made before the key existed can be converted where they lie.

/** The earlier, unkeyed form: SHA-1 hex of "type\x1fvalue". */
export function legacyIdentifierHash(type: string, value: string): string {
  return createHash('sha1').update(`${type}\u001f${value}`).digest('hex');
}

export const SUPPRESSION_SCHEME = 'hmac-sha256';
export const LEGACY_SCHEME = 'sha1';

export interface SuppressionHasher {
  /** The keyed hash of an identifier. */
  of(type: string, value: string): string;
  /** The keyed hash of an entry kept in the earlier form (its SHA-1 hex). */
  fromLegacy(sha1Hex: string): string;
}

// Hashes remembered per process: a customer's identifiers recur on every event, and the two hashes cost
// a few microseconds each on the loader's path. Cleared whole when full, which bounds the memory.
const CACHE_MAX = 50_000;

export function createSuppressionHasher(secret: Buffer): SuppressionHasher {
  const fromLegacy = (sha1Hex: string) => createHmac('sha256', secret).update(sha1Hex).digest('hex');
  const cache = new Map<string, string>();
  return {
    of(type, value) {
      const key = `${type}\u001f${value}`;
      let hash = cache.get(key);
      if (hash === undefined) {
        if (cache.size >= CACHE_MAX) cache.clear();
        hash = fromLegacy(legacyIdentifierHash(type, value));
        cache.set(key, hash);
      }
      return hash;
    },
    fromLegacy,
  };
}
