import type { Redis } from 'ioredis';
import type { RedisKeyNames } from '../redis/key-names.js';
import { loadLuaScript } from '../redis/lua-script.js';

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
export function createMessageDedupe(redis: Redis, claimKey: RedisKeyNames['dedupeClaim'], windowSeconds: number): MessageDedupe {
  const claim = loadLuaScript<number[]>(redis, CLAIM_SCRIPT);

  return {
    async duplicates(items) {
      const result = new Array<boolean>(items.length).fill(false);
      if (windowSeconds === 0 || items.length === 0) return result;
      const seen = new Set<string>();
      const keys: string[] = [];
      const owners: string[] = [];
      const at: number[] = [];
      items.forEach((item, i) => {
        const key = claimKey(item.sourceId, item.messageId);
        if (seen.has(key)) {
          result[i] = true;
          return;
        }
        seen.add(key);
        keys.push(key);
        owners.push(item.owner);
        at.push(i);
      });
      for (let start = 0; start < keys.length; start += CHUNK) {
        const flags = await claim(keys.slice(start, start + CHUNK), [windowSeconds, ...owners.slice(start, start + CHUNK)]);
        flags.forEach((flag, j) => {
          if (flag === 1) result[at[start + j]!] = true;
        });
      }
      return result;
    },
  };
}
