import type { RedisKeyNames } from '../redis/key-names.js';
import { loadLuaScript } from '../redis/lua-script.js';
import type { RedisClient } from '../redis/connection.js';

// One KEY per message: the number of keys varies per call.
const CLAIM_SCRIPT = { file: 'pipeline/load/lua/claim-message-ids.lua' };

// Keys per script call: bounds how long one call holds Redis.
const CHUNK = 2000;

export interface DedupeItem {
  sourceId: string;
  messageId: string;
  /** The load job carrying the message. */
  owner: string;
}

export interface MessageDedupe {
  /** For each item, true when it repeats a message seen within the window (or earlier in `items`). */
  duplicates(items: DedupeItem[]): Promise<boolean[]>;
}

/**
 * Drops repeated messageIds (per source) within DEDUPE_WINDOW_SECONDS, as Segment does. A claim is owned
 * by the job that carries the message, so a retried job is never mistaken for a duplicate of itself.
 */
export function createMessageDedupe(redis: RedisClient, claimKey: RedisKeyNames['dedupeClaim'], windowSeconds: number): MessageDedupe {
  const claim = loadLuaScript<number[]>(redis, CLAIM_SCRIPT);

  return {
    async duplicates(items) {
      const result = new Array<boolean>(items.length).fill(false);
      if (windowSeconds === 0 || items.length === 0) return result;
      // Claims under one tag share a slot: one script call per tag and chunk, the tags' calls side by side (on
      // a Redis Cluster they are spread over the masters).
      const byTag = new Map<string, { keys: string[]; owners: string[]; at: number[] }>();
      const seen = new Set<string>();
      items.forEach((item, i) => {
        const key = claimKey(item.sourceId, item.messageId);
        if (seen.has(key)) {
          result[i] = true;
          return;
        }
        seen.add(key);
        const tag = key.slice(0, key.indexOf('}') + 1);
        let group = byTag.get(tag);
        if (!group) byTag.set(tag, (group = { keys: [], owners: [], at: [] }));
        group.keys.push(key);
        group.owners.push(item.owner);
        group.at.push(i);
      });
      const calls: Promise<void>[] = [];
      for (const { keys, owners, at } of byTag.values()) {
        for (let start = 0; start < keys.length; start += CHUNK) {
          calls.push(
            claim(keys.slice(start, start + CHUNK), [windowSeconds, ...owners.slice(start, start + CHUNK)]).then((flags) =>
              flags.forEach((flag, j) => {
                if (flag === 1) result[at[start + j]!] = true;
              }),
            ),
          );
        }
      }
      await Promise.all(calls);
      return result;
    },
  };
}
