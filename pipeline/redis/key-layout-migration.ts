import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../core/logger.js';
import { everyMaster, type RedisClient } from './connection.js';
import { everyOneTagKey, redisKeyNames, renamedFromOneTag } from './key-names.js';

// Keys written before each owner had its own hash tag (every key under `{cdp}:`) are moved to their names
// today, whatever their kind: queued jobs and dead letters, the identity graph and suppression set, dedupe
// claims, destinations with their secrets, alert states, tracking plans. A key is copied with its value and
// time to live (DUMP, RESTORE) and only then deleted, so a move cut short loses nothing and the next one
// finishes it; on a Redis Cluster the new name may be on another master, where RENAME cannot reach.

/** The layout moved to; recorded once every old key is moved, so that a start skips the SCAN afterwards. */
const LAYOUT = 'tag-per-owner';

/** A mover that died lets the next one in after this long. */
const LOCK_MS = 10 * 60_000;

export interface KeyLayoutMove {
  /** Keys moved to their new names. */
  moved: number;
  /** Old keys left in place because their new name holds another value already (logged; move by hand). */
  conflicts: string[];
  /** Keys under the old prefix of no kind the product knows, left in place. */
  unknown: string[];
}

/**
 * Moves every key of the old layout under QUEUE_PREFIX (`prefix`) to its name today. Idempotent. One mover at a
 * time (processes starting together wait for the first): a second mover could otherwise copy a key again after
 * the first had moved it and the product had since deleted it (a queue emptied, say), bringing it back.
 */
export async function moveToTagPerOwner(redis: RedisClient, prefix: string, log?: Logger): Promise<KeyLayoutMove> {
  const { keyLayoutLock } = redisKeyNames(prefix);
  const token = randomUUID();
  for (let waited = 0; (await redis.set(keyLayoutLock, token, 'PX', LOCK_MS, 'NX')) === null; waited++) {
    if (waited === 0) log?.info('waiting for another process moving Redis keys to a hash tag per owner');
    await sleep(100);
  }
  try {
    return await moveKeys(redis, prefix, log);
  } finally {
    if ((await redis.get(keyLayoutLock)) === token) await redis.del(keyLayoutLock);
  }
}

async function moveKeys(redis: RedisClient, prefix: string, log?: Logger): Promise<KeyLayoutMove> {
  const out: KeyLayoutMove = { moved: 0, conflicts: [], unknown: [] };
  for (const node of everyMaster(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', everyOneTagKey(prefix), 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const to = renamedFromOneTag(prefix, key);
        if (to === undefined) out.unknown.push(key);
        else if (await moveKey(redis, key, to)) out.moved += 1;
        else out.conflicts.push(key);
      }
    } while (cursor !== '0');
  }
  if (out.moved > 0) log?.info({ moved: out.moved, prefix }, 'Redis keys moved to a hash tag per owner');
  if (out.conflicts.length > 0) log?.warn({ conflicts: out.conflicts.slice(0, 20), count: out.conflicts.length }, 'Redis keys of the old layout not moved: their new names hold other values');
  if (out.unknown.length > 0) log?.warn({ keys: out.unknown.slice(0, 20), count: out.unknown.length }, 'Redis keys under QUEUE_PREFIX of no known kind, left in place');
  if (out.conflicts.length === 0) await redis.set(redisKeyNames(prefix).keyLayout, LAYOUT);
  return out;
}

/** At start: the move, unless this Redis was moved already (then no SCAN of the whole key space). */
export async function ensureTagPerOwner(redis: RedisClient, prefix: string, log?: Logger): Promise<void> {
  if ((await redis.get(redisKeyNames(prefix).keyLayout)) === LAYOUT) return;
  await moveToTagPerOwner(redis, prefix, log);
}

/** True when moved (or gone meanwhile); false when `to` holds another value. */
async function moveKey(redis: RedisClient, from: string, to: string): Promise<boolean> {
  const [value, ttl] = await Promise.all([redis.dumpBuffer(from), redis.pttl(from)]);
  if (value === null) return true;
  try {
    await redis.restore(to, ttl > 0 ? ttl : 0, value);
  } catch (err) {
    if (!/BUSYKEY/.test((err as Error).message)) throw err;
    // A move cut short after the copy: the copy is there, the old key only needs deleting.
    const there = await redis.dumpBuffer(to);
    if (there === null || !there.equals(value)) return false;
  }
  await redis.del(from);
  return true;
}
