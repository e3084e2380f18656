import type { DestinationKeys } from '../../pipeline/redis/key-names.js';
import { loadLuaScript } from '../../pipeline/redis/lua-script.js';
import { InvalidRequestError } from '../../pipeline/core/errors/invalid-request-error.js';
import { ResourceExistsError } from '../../pipeline/core/errors/resource-exists-error.js';
import type { RedisClient } from '../../pipeline/redis/connection.js';

/** A webhook destination as the API shows it: never with its secret. */
export interface Destination {
  id: string;
  segment_id: string;
  url: string;
  created_at: string;
  created_by: string;
  /** Set when the receiver answered 410 Gone: nothing more is delivered to it. */
  disabled_at: string | null;
  disabled_reason: string | null;
  /** Runs up to this seq have had their deliveries queued. */
  enqueued_seq: number;
}

export interface DestinationWithSecret extends Destination {
  secret: string;
  /** Written through the API since URLs are checked: its connections are checked against private addresses too. */
  guarded: boolean;
}

/** A destination to create or replace; `enqueuedSeq`: the segment's last committed run when it is created. */
export interface DestinationInput {
  id: string;
  segmentId: string;
  url: string;
  secret: string;
  createdBy: string;
  enqueuedSeq: number;
}

/** Event destinations share the hashes' id space (pipeline/destinations/): this store leaves them alone. */
const isAudience = (h: Record<string, string>) => Boolean(h.id) && (h.type ?? 'audience') === 'audience';

export interface DestinationStore {
  /** Creates the destination; an id in use is refused with ResourceExistsError (409). */
  create(input: DestinationInput): Promise<Destination>;
  /**
   * Creates the destination, or replaces its url and secret (its segment cannot change: its delivery state is
   * a position in that segment's runs). Delivery state (runs queued, disabled) is kept.
   */
  put(input: DestinationInput): Promise<{ destination: Destination; created: boolean }>;
  get(id: string): Promise<DestinationWithSecret | undefined>;
  list(): Promise<Destination[]>;
  /** Enabled destinations of a segment. */
  forSegment(segmentId: string): Promise<DestinationWithSecret[]>;
  delete(id: string): Promise<boolean>;
  disable(id: string, reason: string): Promise<void>;
  /** Records that runs up to `seq` are queued (never moves back). */
  markEnqueued(id: string, seq: number): Promise<void>;
}

const UPDATE_SCRIPT = { file: 'segments/destinations/lua/update-destination.lua', keys: 1 };

const CREATE_SCRIPT = { file: 'segments/destinations/lua/create-destination.lua', keys: 3 };

/**
 * Destinations live in Redis, not ClickHouse: their secrets must not be readable through analyst SQL.
 * Every key is under the destinations' own hash tag, so the multi-key updates stay in one slot.
 */
export function createDestinationStore(redis: RedisClient, keys: DestinationKeys): DestinationStore {
  const { all, one, ofSegment: bySegment } = keys;
  // Sets fields only on a destination that still exists.
  const updateIfExists = loadLuaScript<number>(redis, UPDATE_SCRIPT);
  // Creates a destination unless its id is taken.
  const createIfAbsentScript = loadLuaScript<number>(redis, CREATE_SCRIPT);

  const parse = (h: Record<string, string>): DestinationWithSecret => ({
    id: h.id!,
    segment_id: h.segment_id!,
    url: h.url!,
    secret: h.secret!,
    created_at: h.created_at!,
    created_by: h.created_by!,
    disabled_at: h.disabled_at || null,
    disabled_reason: h.disabled_reason || null,
    enqueued_seq: Number(h.enqueued_seq ?? 0),
    guarded: h.guarded === '1',
  });
  const withoutSecret = ({ secret: _secret, guarded: _guarded, ...d }: DestinationWithSecret): Destination => d;

  async function getMany(ids: string[]): Promise<DestinationWithSecret[]> {
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(one(id));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([, h]) => h as Record<string, string>).filter((h) => h && isAudience(h)).map(parse).sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  /** The new destination, or undefined when the id is taken. */
  async function createIfAbsent({ id, segmentId, url, secret, createdBy, enqueuedSeq }: DestinationInput): Promise<Destination | undefined> {
    const d: DestinationWithSecret = { id, segment_id: segmentId, url, secret, created_at: new Date().toISOString(), created_by: createdBy, disabled_at: null, disabled_reason: null, enqueued_seq: enqueuedSeq, guarded: true };
    const fields = { id, type: 'audience', segment_id: segmentId, url, secret, created_at: d.created_at, created_by: createdBy, enqueued_seq: String(enqueuedSeq), guarded: '1' };
    const created = await createIfAbsentScript([one(id), all, bySegment(segmentId)], [id, ...Object.entries(fields).flat()]);
    return created === 1 ? withoutSecret(d) : undefined;
  }

  async function put(input: DestinationInput): Promise<{ destination: Destination; created: boolean }> {
    const created = await createIfAbsent(input);
    if (created) return { destination: created, created: true };
    const h = await redis.hgetall(one(input.id));
    // Deleted between the two steps: create it again.
    if (!h.id) return put(input);
    if (!isAudience(h)) throw new InvalidRequestError(`type: destination ${input.id} is an event destination; its type cannot change: create another destination`);
    const existing = parse(h);
    if (existing.segment_id !== input.segmentId) {
      throw new InvalidRequestError(`segment_id: destination ${input.id} follows segment "${existing.segment_id}"; its segment cannot change: create another destination`);
    }
    if (existing.url !== input.url || existing.secret !== input.secret || !existing.guarded) {
      await updateIfExists([one(input.id)], ['set', 'url', input.url, 'secret', input.secret, 'guarded', '1']);
    }
    return { destination: withoutSecret({ ...existing, url: input.url, secret: input.secret }), created: false };
  }

  return {
    async create(input) {
      const created = await createIfAbsent(input);
      if (!created) throw new ResourceExistsError('destination', input.id, '/v1/destinations');
      return created;
    },
    put,
    async get(id) {
      const h = await redis.hgetall(one(id));
      return isAudience(h) ? parse(h) : undefined;
    },
    async list() {
      return (await getMany(await redis.smembers(all))).map(withoutSecret);
    },
    async forSegment(segmentId) {
      return (await getMany(await redis.smembers(bySegment(segmentId)))).filter((d) => d.disabled_at === null);
    },
    async delete(id) {
      const h = await redis.hgetall(one(id));
      if (!isAudience(h)) return false;
      await redis.multi().del(one(id)).srem(all, id).srem(bySegment(h.segment_id!), id).exec();
      return true;
    },
    async disable(id, reason) {
      await updateIfExists([one(id)], ['set', 'disabled_at', new Date().toISOString(), 'disabled_reason', reason]);
    },
    async markEnqueued(id, seq) {
      await updateIfExists([one(id)], ['max', 'enqueued_seq', String(seq)]);
    },
  };
}
