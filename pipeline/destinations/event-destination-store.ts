import { InvalidRequestError } from '../core/errors/invalid-request-error.js';
import { ResourceExistsError } from '../core/errors/resource-exists-error.js';
import type { DestinationKeys } from '../redis/key-names.js';
import { loadLuaScript } from '../redis/lua-script.js';
import type { DestinationFormat, EventDestination, EventDestinationWithSecret, EventFilter } from './event-destination.js';
import type { RedisClient } from '../redis/connection.js';

/** An event destination to create or replace, as the API validated it. */
export interface EventDestinationInput {
  id: string;
  name: string;
  format: DestinationFormat;
  url: string;
  credential: string;
  filter: EventFilter;
  transform: string | null;
  consent_categories: string[];
  batch_size: number;
  max_wait_ms: number;
  createdBy: string;
}

export interface EventDestinationStore {
  /** Creates the destination; an id in use (by a destination of either type) is refused with ResourceExistsError (409). */
  create(input: EventDestinationInput): Promise<EventDestination>;
  /** Creates or replaces its definition; its state (paused, disabled) is kept, and an unchanged definition left as it is. */
  put(input: EventDestinationInput): Promise<{ destination: EventDestination; created: boolean }>;
  get(id: string): Promise<EventDestinationWithSecret | undefined>;
  list(): Promise<EventDestinationWithSecret[]>;
  delete(id: string): Promise<boolean>;
  setPaused(id: string, paused: boolean): Promise<EventDestination | undefined>;
  /** After a 410 Gone: nothing is delivered until resumed. */
  disable(id: string, reason: string): Promise<void>;
  /** Clears paused and disabled. */
  resume(id: string): Promise<EventDestination | undefined>;
}

const CREATE_SCRIPT = { file: 'segments/destinations/lua/create-destination.lua', keys: 3 };
const UPDATE_SCRIPT = { file: 'segments/destinations/lua/update-destination.lua', keys: 1 };

/** The fields of the definition, as the hash holds them. */
function definitionFields(input: EventDestinationInput): Record<string, string> {
  return {
    type: 'events',
    name: input.name,
    format: input.format,
    url: input.url,
    credential: input.credential,
    filter: JSON.stringify(input.filter),
    transform: input.transform ?? '',
    consent_categories: JSON.stringify(input.consent_categories),
    batch_size: String(input.batch_size),
    max_wait_ms: String(input.max_wait_ms),
    // Every destination written through the API had its URL checked: its connections are checked too.
    guarded: '1',
  };
}

function parse(h: Record<string, string>): EventDestinationWithSecret {
  return {
    id: h.id!,
    type: 'events',
    name: h.name!,
    format: h.format as DestinationFormat,
    url: h.url!,
    filter: JSON.parse(h.filter!) as EventFilter,
    transform: h.transform || null,
    consent_categories: JSON.parse(h.consent_categories!) as string[],
    batch_size: Number(h.batch_size),
    max_wait_ms: Number(h.max_wait_ms),
    created_at: h.created_at!,
    created_by: h.created_by!,
    updated_at: h.updated_at!,
    paused: h.paused === '1',
    disabled_at: h.disabled_at || null,
    disabled_reason: h.disabled_reason || null,
    credential: h.credential!,
    guarded: h.guarded === '1',
  };
}

export function withoutSecret({ credential: _c, guarded: _g, ...d }: EventDestinationWithSecret): EventDestination {
  return d;
}

/**
 * Event destinations live in Redis beside the audience webhooks (one id space, one hash per destination): their
 * secrets and write keys must not be readable through analyst SQL.
 */
export function createEventDestinationStore(redis: RedisClient, keys: DestinationKeys): EventDestinationStore {
  const createIfAbsentScript = loadLuaScript<number>(redis, CREATE_SCRIPT);
  const updateIfExists = loadLuaScript<number>(redis, UPDATE_SCRIPT);

  async function read(id: string): Promise<EventDestinationWithSecret | undefined> {
    const h = await redis.hgetall(keys.one(id));
    return h.id && h.type === 'events' ? parse(h) : undefined;
  }

  async function createIfAbsent(input: EventDestinationInput): Promise<EventDestination | undefined> {
    const now = new Date().toISOString();
    const fields = { id: input.id, ...definitionFields(input), created_at: now, created_by: input.createdBy, updated_at: now };
    const created = await createIfAbsentScript([keys.one(input.id), keys.all, keys.events], [input.id, ...Object.entries(fields).flat()]);
    return created === 1 ? withoutSecret(parse(fields)) : undefined;
  }

  async function set(id: string, fields: Record<string, string>): Promise<EventDestination | undefined> {
    if ((await updateIfExists([keys.one(id)], ['set', ...Object.entries(fields).flat()])) === 0) return undefined;
    const d = await read(id);
    return d && withoutSecret(d);
  }

  async function put(input: EventDestinationInput): Promise<{ destination: EventDestination; created: boolean }> {
    const created = await createIfAbsent(input);
    if (created) return { destination: created, created: true };
    const h = await redis.hgetall(keys.one(input.id));
    if (!h.id) return put(input);
    if (h.type !== 'events') throw new InvalidRequestError(`type: destination ${input.id} is an audience webhook; its type cannot change: create another destination`);
    const fields = definitionFields(input);
    const changed = Object.entries(fields).some(([k, v]) => h[k] !== v);
    if (!changed) return { destination: withoutSecret(parse(h)), created: false };
    const updated = await set(input.id, { ...fields, updated_at: new Date().toISOString() });
    return updated ? { destination: updated, created: false } : put(input);
  }

  return {
    async create(input) {
      const created = await createIfAbsent(input);
      if (!created) throw new ResourceExistsError('destination', input.id, '/v1/destinations');
      return created;
    },
    put,
    get: read,
    async list() {
      const ids = await redis.smembers(keys.events);
      if (ids.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.hgetall(keys.one(id));
      const results = (await pipeline.exec()) ?? [];
      return results
        .map(([, h]) => h as Record<string, string>)
        .filter((h) => h && h.id && h.type === 'events')
        .map(parse)
        .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
    },
    async delete(id) {
      if (!(await read(id))) return false;
      await redis.multi().del(keys.one(id)).srem(keys.all, id).srem(keys.events, id).del(keys.deliveryLease(id)).del(keys.deliveryState(id)).exec();
      return true;
    },
    setPaused: (id, paused) => set(id, { paused: paused ? '1' : '' }),
    async disable(id, reason) {
      await set(id, { disabled_at: new Date().toISOString(), disabled_reason: reason });
    },
    resume: (id) => set(id, { paused: '', disabled_at: '', disabled_reason: '' }),
  };
}
