import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DestinationKeys } from '../../pipeline/redis/key-names.js';
import { loadLuaScript } from '../../pipeline/redis/lua-script.js';

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
}

export interface DestinationStore {
  create(input: { segmentId: string; url: string; secret: string; createdBy: string; enqueuedSeq: number }): Promise<Destination>;
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

/**
 * Destinations live in Redis, not ClickHouse: their secrets must not be readable through analyst SQL.
 * Keys carry the queue prefix (a Redis Cluster hash tag), so the multi-key updates stay in one slot.
 */
export function createDestinationStore(redis: Redis, keys: DestinationKeys): DestinationStore {
  const { all, one, ofSegment: bySegment } = keys;
  // Sets fields only on a destination that still exists.
  const updateIfExists = loadLuaScript<number>(redis, UPDATE_SCRIPT);

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
  });
  const withoutSecret = ({ secret: _secret, ...d }: DestinationWithSecret): Destination => d;

  async function getMany(ids: string[]): Promise<DestinationWithSecret[]> {
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(one(id));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([, h]) => h as Record<string, string>).filter((h) => h && h.id).map(parse).sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  return {
    async create({ segmentId, url, secret, createdBy, enqueuedSeq }) {
      const id = `dst_${randomBytes(8).toString('hex')}`;
      const d: DestinationWithSecret = { id, segment_id: segmentId, url, secret, created_at: new Date().toISOString(), created_by: createdBy, disabled_at: null, disabled_reason: null, enqueued_seq: enqueuedSeq };
      await redis
        .multi()
        .hset(one(id), { id, segment_id: segmentId, url, secret, created_at: d.created_at, created_by: createdBy, enqueued_seq: String(enqueuedSeq) })
        .sadd(all, id)
        .sadd(bySegment(segmentId), id)
        .exec();
      return withoutSecret(d);
    },
    async get(id) {
      const h = await redis.hgetall(one(id));
      return h.id ? parse(h) : undefined;
    },
    async list() {
      return (await getMany(await redis.smembers(all))).map(withoutSecret);
    },
    async forSegment(segmentId) {
      return (await getMany(await redis.smembers(bySegment(segmentId)))).filter((d) => d.disabled_at === null);
    },
    async delete(id) {
      const h = await redis.hgetall(one(id));
      if (!h.id) return false;
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
