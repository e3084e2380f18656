import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { projectRoot } from '../core/project-root.js';

const claimScript = readFileSync(path.join(projectRoot(), 'pipeline', 'load', 'lua', 'claim-message-ids.lua'), 'utf8');

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
 * Keys are 96-bit hashes, about 80 bytes of Redis memory per message in the window.
 */
export function createMessageDedupe(redis: Redis, prefix: string, windowSeconds: number): MessageDedupe {
  redis.defineCommand('cdpClaimMessageIds', { lua: claimScript });
  const claim = (redis as Redis & { cdpClaimMessageIds(n: number, ...args: (string | number)[]): Promise<number[]> }).cdpClaimMessageIds.bind(redis);

  return {
    async duplicates(items) {
      const result = new Array<boolean>(items.length).fill(false);
      if (windowSeconds === 0 || items.length === 0) return result;
      const seen = new Set<string>();
      const keys: string[] = [];
      const owners: string[] = [];
      const at: number[] = [];
      items.forEach((item, i) => {
        const key = `${prefix}:dd:${createHash('sha1').update(item.sourceId).update('\n').update(item.messageId).digest('base64url').slice(0, 16)}`;
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
        const k = keys.slice(start, start + CHUNK);
        const flags = await claim(k.length, ...k, windowSeconds, ...owners.slice(start, start + CHUNK));
        flags.forEach((flag, j) => {
          if (flag === 1) result[at[start + j]!] = true;
        });
      }
      return result;
    },
  };
}
