import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * write: tracking only; audience: a marketing tool's key, for the audience API of the segments it names
 * (all when it names none); read: every read endpoint; admin: everything.
 */
export const SCOPES = ['write', 'audience', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
export type SecretScope = Exclude<Scope, 'write'>;

export interface SecretKey {
  scope: SecretScope;
  name: string;
  /** audience keys: the segments they may read; absent, every segment. */
  segments?: string[];
}

export interface KeyStore {
  /** The source a write key belongs to, or undefined for an unknown key. */
  sourceForWriteKey(key: string): string | undefined | Promise<string | undefined>;
  /** The scope and name of a read or admin key, or undefined. */
  verifySecret(key: string): Promise<SecretKey | undefined>;
  create(scope: Scope, name: string, opts?: { segments?: string[] }): Promise<string>;
  /** Registers an existing secret (the local CLI key) without printing it anywhere. */
  register(key: string, scope: SecretScope, name: string): Promise<void>;
}

const WRITE_HASH = 'cdp:keys:write';
const SECRET_HASH = 'cdp:keys:secret';
const NEGATIVE_TTL_MS = 10_000;
const NEGATIVE_MAX = 10_000;

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');

export function generateKey(scope: Scope): string {
  const prefix = { write: 'wk', audience: 'uk', read: 'rk', admin: 'ak' }[scope];
  return `${prefix}_${randomBytes(18).toString('base64url')}`;
}

/**
 * Keys live in Redis so that every API process sees the same ones. Write keys are public by nature (they
 * ship in web pages) and are kept as given; read and admin keys are kept only as SHA-256 hashes.
 * Write keys are looked up on every tracking request, so hits are served from memory.
 */
export function createKeyStore(redis: Redis, env: { writeKeys: { key: string; sourceId: string }[]; adminKey?: string }): KeyStore {
  const writeKeys = new Map(env.writeKeys.map((k) => [k.key, k.sourceId]));
  const misses = new Map<string, number>();
  const envAdmin = env.adminKey ? sha256(env.adminKey) : undefined;

  return {
    sourceForWriteKey(key) {
      const known = writeKeys.get(key);
      if (known !== undefined) return known;
      const missedAt = misses.get(key);
      if (missedAt !== undefined && Date.now() - missedAt < NEGATIVE_TTL_MS) return undefined;
      return redis.hget(WRITE_HASH, key).then((raw) => {
        if (raw) {
          const sourceId = (JSON.parse(raw) as { sourceId: string }).sourceId;
          writeKeys.set(key, sourceId);
          misses.delete(key);
          return sourceId;
        }
        if (misses.size >= NEGATIVE_MAX) misses.clear();
        misses.set(key, Date.now());
        return undefined;
      });
    },
    async verifySecret(key) {
      const hash = sha256(key);
      if (hash === envAdmin) return { scope: 'admin', name: 'CDP_ADMIN_KEY' };
      const raw = await redis.hget(SECRET_HASH, hash);
      return raw ? (JSON.parse(raw) as SecretKey) : undefined;
    },
    async create(scope, name, opts = {}) {
      const key = generateKey(scope);
      const createdAt = new Date().toISOString();
      if (scope === 'write') await redis.hset(WRITE_HASH, key, JSON.stringify({ sourceId: name, createdAt }));
      else await redis.hset(SECRET_HASH, sha256(key), JSON.stringify({ scope, name, createdAt, ...(scope === 'audience' && opts.segments?.length ? { segments: opts.segments } : {}) }));
      return key;
    },
    async register(key, scope, name) {
      await redis.hset(SECRET_HASH, sha256(key), JSON.stringify({ scope, name, createdAt: new Date().toISOString() }));
    },
  };
}
