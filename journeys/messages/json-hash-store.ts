import type { RedisClient } from '../../pipeline/redis/connection.js';
import { ResourceExistsError } from '../../pipeline/core/errors/resource-exists-error.js';

// Templates and subscription groups are small definitions that every process sending messages reads on each
// send: one Redis hash per kind, id → the definition as JSON, read without a ClickHouse round trip.

/** What every stored definition carries besides its content. */
export interface Stamped {
  id: string;
  created_at: string;
  updated_at: string;
  updated_by: string;
}

export interface JsonHashStore<Content extends object> {
  get(id: string): Promise<(Content & Stamped) | undefined>;
  list(): Promise<(Content & Stamped)[]>;
  /** Creates it; an id in use is refused with ResourceExistsError (409). */
  create(id: string, content: Content, by: string): Promise<Content & Stamped>;
  /** Creates or replaces it; the same content again changes nothing. */
  put(id: string, content: Content, by: string): Promise<{ resource: Content & Stamped; created: boolean }>;
  remove(id: string): Promise<boolean>;
}

/**
 * `kind` and `path` name the resource in a 409 (`template`, `/v1/templates`); `contentOf` picks the content
 * out of a stored definition, for the comparison of an unchanged PUT.
 */
export function jsonHashStore<Content extends object>(redis: RedisClient, key: string, kind: string, path: string, contentOf: (stored: Content) => Content): JsonHashStore<Content> {
  const get = async (id: string) => {
    const raw = await redis.hget(key, id);
    return raw === null ? undefined : (JSON.parse(raw) as Content & Stamped);
  };
  const stamp = (id: string, content: Content, by: string, createdAt?: string): Content & Stamped => {
    const now = new Date().toISOString();
    return { id, ...content, created_at: createdAt ?? now, updated_at: now, updated_by: by };
  };
  const same = (a: Content, b: Content) => JSON.stringify(contentOf(a)) === JSON.stringify(contentOf(b));

  async function put(id: string, content: Content, by: string): Promise<{ resource: Content & Stamped; created: boolean }> {
    const existing = await get(id);
    if (existing && same(existing, content)) return { resource: existing, created: false };
    const resource = stamp(id, content, by, existing?.created_at);
    if (existing) {
      await redis.hset(key, id, JSON.stringify(resource));
      return { resource, created: false };
    }
    // Created by another writer meanwhile: replace it as the PUT says.
    if ((await redis.hsetnx(key, id, JSON.stringify(resource))) === 0) return put(id, content, by);
    return { resource, created: true };
  }

  return {
    get,
    async list() {
      const all = Object.values(await redis.hgetall(key)).map((raw) => JSON.parse(raw) as Content & Stamped);
      return all.sort((a, b) => a.id.localeCompare(b.id));
    },
    async create(id, content, by) {
      const resource = stamp(id, content, by);
      if ((await redis.hsetnx(key, id, JSON.stringify(resource))) === 0) throw new ResourceExistsError(kind, id, path);
      return resource;
    },
    put,
    remove: async (id) => (await redis.hdel(key, id)) === 1,
  };
}
