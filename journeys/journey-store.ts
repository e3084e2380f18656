import type { RedisClient } from '../pipeline/redis/connection.js';
import { ResourceExistsError } from '../pipeline/core/errors/resource-exists-error.js';
import type { JourneyKeys } from '../pipeline/redis/key-names.js';
import { loadLuaScript } from '../pipeline/redis/lua-script.js';
import type { JourneyDefinition } from './journey-definition.js';

/** A journey as answered: its current version's definition with its head. */
export type Journey = JourneyDefinition & {
  id: string;
  version: number;
  paused: boolean;
  created_at: string;
  created_by: string;
  updated_at: string;
};

export interface JourneyStore {
  /** Stores the definition as the next version (unchanged: none); `created` for a new id. */
  put(id: string, definition: JourneyDefinition, by: string): Promise<{ journey: Journey; created: boolean }>;
  /** As put, refusing an id in use with ResourceExistsError (409). */
  create(id: string, definition: JourneyDefinition, by: string): Promise<Journey>;
  get(id: string): Promise<Journey | undefined>;
  list(): Promise<Journey[]>;
  /** The definition of one version, kept while the journey exists: instances finish on the version they entered with. */
  version(id: string, version: number): Promise<JourneyDefinition | undefined>;
  /** Every version's definition of every journey (the loader's hook reads which events they name). */
  allVersions(): Promise<JourneyDefinition[]>;
  /** The change counter: it moves whenever a definition or a pause changes. */
  changes(): Promise<string>;
  setPaused(id: string, paused: boolean): Promise<Journey | undefined>;
  /** Removes the journey and its versions; false when there was none. Its instances are the engine's to end first. */
  remove(id: string): Promise<boolean>;
}

const PUT_SCRIPT = { file: 'journeys/lua/put-journey.lua', keys: 4 };

function journeyOf(head: Record<string, string>, definition: string): Journey {
  return {
    id: head.id!,
    version: Number(head.version),
    paused: head.paused === '1',
    created_at: head.created_at!,
    created_by: head.created_by!,
    updated_at: head.updated_at!,
    ...(JSON.parse(definition) as JourneyDefinition),
  };
}

/** Journeys in Redis: the engine reads a definition at every step, and the loader's hook on every batch. */
export function createJourneyStore(redis: RedisClient, keys: JourneyKeys): JourneyStore {
  const putScript = loadLuaScript<[number, number, number]>(redis, PUT_SCRIPT);

  async function get(id: string): Promise<Journey | undefined> {
    const head = await redis.hgetall(keys.one(id));
    if (!head.version) return undefined;
    const definition = await redis.hget(keys.versions(id), head.version);
    return definition === null ? undefined : journeyOf(head, definition);
  }

  async function write(id: string, definition: JourneyDefinition, by: string, mode: 'put' | 'create') {
    const [version, created] = await putScript([keys.one(id), keys.versions(id), keys.all, keys.changed], [id, JSON.stringify(definition), definition.name, new Date().toISOString(), by, mode]);
    return { version, created: created === 1 };
  }

  return {
    async put(id, definition, by) {
      const { created } = await write(id, definition, by, 'put');
      return { journey: (await get(id))!, created };
    },
    async create(id, definition, by) {
      const { version } = await write(id, definition, by, 'create');
      if (version === 0) throw new ResourceExistsError('journey', id, '/v1/journeys');
      return (await get(id))!;
    },
    get,
    async list() {
      const ids = (await redis.smembers(keys.all)).sort();
      return (await Promise.all(ids.map(get))).filter((j): j is Journey => j !== undefined);
    },
    async version(id, version) {
      const definition = await redis.hget(keys.versions(id), String(version));
      return definition === null ? undefined : (JSON.parse(definition) as JourneyDefinition);
    },
    async allVersions() {
      const ids = await redis.smembers(keys.all);
      const all = await Promise.all(ids.map((id) => redis.hvals(keys.versions(id))));
      return all.flat().map((d) => JSON.parse(d) as JourneyDefinition);
    },
    async changes() {
      return (await redis.get(keys.changed)) ?? '0';
    },
    async setPaused(id, paused) {
      if (!(await redis.exists(keys.one(id)))) return undefined;
      await redis.multi().hset(keys.one(id), 'paused', paused ? '1' : '', 'updated_at', new Date().toISOString()).incr(keys.changed).exec();
      return get(id);
    },
    async remove(id) {
      const [[, removed]] = (await redis.multi().srem(keys.all, id).del(keys.one(id), keys.versions(id), keys.active(id), keys.history(id)).incr(keys.changed).exec()) as [[null, number]];
      return removed === 1;
    },
  };
}
