import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../core/config.js';
import { API_KEY_NAMES } from '../redis/key-names.js';
import { announceKeyChange } from './key-changes.js';
import type { KeyInput } from './key-input.js';
import type { RedisClient } from '../redis/connection.js';

/**
 * write: tracking only; audience: a marketing tool's key, for the audience API of the segments it names
 * (all when it names none); read: every read endpoint; admin: everything.
 */
export const SCOPES = ['write', 'audience', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
export type SecretScope = Exclude<Scope, 'write'>;

/** The name every process registers its data folder's cli.key under; no other key may take it. */
export const LOCAL_CLI_KEY_NAME = 'local-cli';

export interface SecretKey {
  scope: SecretScope;
  name: string;
  /** audience keys: the segments they may read; absent, every segment. */
  segments?: string[];
}

/**
 * Where a key comes from: `redis` (created with the API or the CLI), `env` (CDP_WRITE_KEYS / CDP_ADMIN_KEY of
 * this process: not revocable here, remove it from the environment), `local-cli` (a data folder's cli.key,
 * registered again at every start: revoked only when forced).
 */
export type KeyOrigin = 'redis' | 'env' | 'local-cli';

/** A key as listed: everything but the key itself. */
export interface KeyInfo {
  /** Public, stable id (`key_` + 12 hex), derived from the key's hash, so keys stored before ids existed have one. */
  id: string;
  scope: Scope;
  /** The source of a write key; a label for the others. */
  name: string;
  /** The segments an audience key is limited to; null when it is not limited. */
  segments: string[] | null;
  created_at: string | null;
  origin: KeyOrigin;
  /** The last 4 characters of a write key (public anyway); null for the others, of which only a hash is kept. */
  hint: string | null;
  revocable: boolean;
}

export type RevokeResult =
  | { ok: true; key: KeyInfo }
  | { ok: false; code: 'key_not_found' | 'env_key' | 'local_cli_key'; message: string };

export interface KeyStore {
  /** The source a write key belongs to, or undefined for an unknown key. */
  sourceForWriteKey(key: string): string | undefined | Promise<string | undefined>;
  /** The scope and name of a read or admin key, or undefined. Asks Redis every time: nothing to go stale. */
  verifySecret(key: string): Promise<SecretKey | undefined>;
  /** Creates a key from checked input (`keyInput`); the answer holds the key itself, which is shown this once. */
  issue(input: KeyInput): Promise<{ key: string; info: KeyInfo }>;
  /** `issue` for code and tests: the key alone. */
  create(scope: Scope, name: string, opts?: { segments?: string[] }): Promise<string>;
  /** Registers the data folder's cli.key (kept as it is when already registered). */
  registerLocalCli(key: string): Promise<void>;
  list(): Promise<KeyInfo[]>;
  /** Revokes a stored key in every process; the data folder's cli.key only with `force`. */
  revoke(id: string, opts?: { force?: boolean }): Promise<RevokeResult>;
  /** Drops the cached write-key lookups (another process announced a change). */
  forgetCached(): void;
}

const WRITE_HASH = API_KEY_NAMES.write;
const SECRET_HASH = API_KEY_NAMES.secret;
const NEGATIVE_TTL_MS = 10_000;
const CACHE_MAX = 10_000;

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
/** A hash of the stored hash: the id tells nothing about the key, yet anyone holding the key can work it out. */
const idOf = (hash: string) => `key_${sha256(hash).slice(0, 12)}`;
export const KEY_ID_PATTERN = /^key_[0-9a-f]{12}$/;

export function generateKey(scope: Scope): string {
  const prefix = { write: 'wk', audience: 'uk', read: 'rk', admin: 'ak' }[scope];
  return `${prefix}_${randomBytes(18).toString('base64url')}`;
}

interface StoredWrite {
  sourceId: string;
  createdAt?: string;
}
interface StoredSecret extends SecretKey {
  createdAt?: string;
}

function writeInfo(key: string, stored: StoredWrite, origin: KeyOrigin): KeyInfo {
  return { id: idOf(sha256(key)), scope: 'write', name: stored.sourceId, segments: null, created_at: stored.createdAt ?? null, origin, hint: key.slice(-4), revocable: origin !== 'env' };
}

function secretInfo(hash: string, stored: StoredSecret, envOrigin = false): KeyInfo {
  const origin: KeyOrigin = envOrigin ? 'env' : stored.name === LOCAL_CLI_KEY_NAME ? 'local-cli' : 'redis';
  return { id: idOf(hash), scope: stored.scope, name: stored.name, segments: stored.segments ?? null, created_at: stored.createdAt ?? null, origin, hint: null, revocable: origin !== 'env' };
}

/**
 * Keys live in Redis so that every API process sees the same ones. Write keys are public by nature (they
 * ship in web pages) and are kept as given; read and admin keys are kept only as SHA-256 hashes.
 * Write keys are looked up on every tracking request, so lookups are served from memory for `cacheMs`; a
 * revocation announced on the key-change channel drops them at once (`forgetCached`).
 */
export function createKeyStore(redis: RedisClient, config: Pick<Config, 'CDP_WRITE_KEYS' | 'CDP_ADMIN_KEY' | 'WRITE_KEY_CACHE_SECONDS'>): KeyStore {
  const envWriteKeys = new Map(config.CDP_WRITE_KEYS.map((k) => [k.key, k.sourceId]));
  const envAdmin = config.CDP_ADMIN_KEY ? sha256(config.CDP_ADMIN_KEY) : undefined;
  const cacheMs = config.WRITE_KEY_CACHE_SECONDS * 1000;
  const hits = new Map<string, { sourceId: string; at: number }>();
  const misses = new Map<string, number>();
  // Bumped by every change: a lookup that was in flight across a change must not cache what it read before it.
  let generation = 0;

  const envInfos = (): KeyInfo[] => [
    ...config.CDP_WRITE_KEYS.map((k) => writeInfo(k.key, { sourceId: k.sourceId }, 'env')),
    ...(envAdmin ? [secretInfo(envAdmin, { scope: 'admin', name: 'CDP_ADMIN_KEY' }, true)] : []),
  ];
  const storedKeys = async () => {
    const [writes, secrets] = await Promise.all([redis.hgetall(WRITE_HASH), redis.hgetall(SECRET_HASH)]);
    return [
      ...Object.entries(writes).map(([key, raw]) => ({ hash: WRITE_HASH, field: key, info: writeInfo(key, JSON.parse(raw) as StoredWrite, 'redis') })),
      ...Object.entries(secrets).map(([hash, raw]) => ({ hash: SECRET_HASH, field: hash, info: secretInfo(hash, JSON.parse(raw) as StoredSecret) })),
    ];
  };
  const forgetCached = () => {
    generation++;
    hits.clear();
    misses.clear();
  };

  const issue = async ({ scope, name, segments }: KeyInput) => {
    const key = generateKey(scope);
    const createdAt = new Date().toISOString();
    let info: KeyInfo;
    if (scope === 'write') {
      const stored: StoredWrite = { sourceId: name, createdAt };
      await redis.hset(WRITE_HASH, key, JSON.stringify(stored));
      info = writeInfo(key, stored, 'redis');
    } else {
      const hash = sha256(key);
      const stored: StoredSecret = { scope, name, createdAt, ...(scope === 'audience' && segments?.length ? { segments } : {}) };
      await redis.hset(SECRET_HASH, hash, JSON.stringify(stored));
      info = secretInfo(hash, stored);
    }
    // Other processes may have cached this key as unknown (someone tried it early): they drop that now.
    await announceKeyChange(redis, info.id);
    return { key, info };
  };

  return {
    sourceForWriteKey(key) {
      const fromEnv = envWriteKeys.get(key);
      if (fromEnv !== undefined) return fromEnv;
      const now = Date.now();
      const hit = hits.get(key);
      if (hit && now - hit.at < cacheMs) return hit.sourceId;
      const missedAt = misses.get(key);
      if (missedAt !== undefined && now - missedAt < NEGATIVE_TTL_MS) return undefined;
      const asked = generation;
      const remember = (raw: string | null) => {
        const sourceId = raw ? (JSON.parse(raw) as StoredWrite).sourceId : undefined;
        if (asked !== generation) return sourceId;
        if (hits.size >= CACHE_MAX) hits.clear();
        if (misses.size >= CACHE_MAX) misses.clear();
        if (sourceId === undefined) {
          hits.delete(key);
          misses.set(key, Date.now());
        } else {
          misses.delete(key);
          hits.set(key, { sourceId, at: Date.now() });
        }
        return sourceId;
      };
      // Redis down: a key known before the outage (and not revoked since) still names its source, so that the
      // request goes on to the queue write, which answers 503 with Retry-After, instead of failing here.
      const outage = (err: unknown) => {
        if (hit && asked === generation) return hit.sourceId;
        throw err;
      };
      return redis.hget(WRITE_HASH, key).then(remember, outage);
    },
    async verifySecret(key) {
      const hash = sha256(key);
      if (hash === envAdmin) return { scope: 'admin', name: 'CDP_ADMIN_KEY' };
      const raw = await redis.hget(SECRET_HASH, hash);
      return raw ? (JSON.parse(raw) as SecretKey) : undefined;
    },
    issue,
    async create(scope, name, opts = {}) {
      return (await issue({ scope, name, segments: opts.segments })).key;
    },
    async registerLocalCli(key) {
      await redis.hsetnx(SECRET_HASH, sha256(key), JSON.stringify({ scope: 'admin', name: LOCAL_CLI_KEY_NAME, createdAt: new Date().toISOString() } satisfies StoredSecret));
    },
    async list() {
      const fromRedis = (await storedKeys()).map((s) => s.info).sort((a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? '') || a.id.localeCompare(b.id));
      return [...envInfos(), ...fromRedis];
    },
    async revoke(id, opts = {}) {
      if (envInfos().some((k) => k.id === id)) {
        return { ok: false, code: 'env_key', message: `${id} comes from CDP_WRITE_KEYS or CDP_ADMIN_KEY in the environment: remove it there and restart the processes` };
      }
      const found = (await storedKeys()).find((s) => s.info.id === id);
      if (!found) return { ok: false, code: 'key_not_found', message: `no key ${id} (unknown or already revoked)` };
      if (found.info.origin === 'local-cli' && !opts.force) {
        return { ok: false, code: 'local_cli_key', message: `${id} is a data folder's cli.key, which the CLI uses and every start registers again: to rotate it, delete CDP_DATA_DIR/cli.key, restart, then revoke the old one with force` };
      }
      // Someone else may have revoked it between the read and now: then it is theirs to report.
      if ((await redis.hdel(found.hash, found.field)) === 0) return { ok: false, code: 'key_not_found', message: `no key ${id} (unknown or already revoked)` };
      forgetCached();
      await announceKeyChange(redis, id);
      return { ok: true, key: found.info };
    },
    forgetCached,
  };
}
