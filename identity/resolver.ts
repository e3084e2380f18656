import { createHash } from 'node:crypto';
import type { IdentityGraphKeys } from '../pipeline/redis/key-names.js';
import { loadLuaScript } from '../pipeline/redis/lua-script.js';
import type { Identifier } from './identifiers.js';
import type { SuppressionHasher } from './suppression-hash.js';
import type { RedisClient } from '../pipeline/redis/connection.js';

const RESOLVE_SCRIPT = { file: 'identity/lua/resolve-identities.lua', keys: 4 };

// Events per script call: bounds how long one call holds Redis (each event is a handful of commands).
const CHUNK = 500;
// Hashes per suppression look-up of refused items.
const SUPPRESSION_CHUNK = 10_000;

export type Outcome = 'attached' | 'existing' | 'refused';

export interface Resolution {
  /** The surviving profile of the event; '' when suppressed or when it carried no usable identifier. */
  profileId: string;
  /** Order of resolution across all workers (Redis serializes the calls). */
  seq: number;
  suppressed: boolean;
  /** Every identifier the event carried, with what became of it. */
  edges: [type: string, value: string, outcome: Outcome, ordinal: number][];
  /** Identifier → profile assignments made (new links, and identifiers moved by a merge). */
  assignments: [type: string, value: string, profileId: string][];
  merges: [from: string, to: string][];
  /** Every profile id that now reads as another (the merged one, and those merged into it before). */
  overrides: [oldId: string, newId: string][];
  refusals: [type: string, value: string, rule: string, profiles: string][];
}

export interface ResolveInput {
  /** Profile id to create when nothing matches; derived from the event so a replay creates the same one. */
  candidate: string;
  identifiers: Identifier[];
}

export interface Resolver {
  resolve(events: ResolveInput[]): Promise<Resolution[]>;
  /**
   * Per refused item (its `type\x1fvalue` identifiers), whether it carries a deleted customer's identifier:
   * such items are not kept, as such events are not loaded.
   */
  suppressed(items: string[][]): Promise<boolean[]>;
}

export function candidateProfileId(sourceId: string, messageId: string): string {
  return `p_${createHash('sha1').update(sourceId).update('\n').update(messageId).digest('hex').slice(0, 24)}`;
}

/**
 * The keyed hashes to look up in the suppression set for an event's identifiers. A previous_id is looked
 * up both as a user id and as an anonymous id: a deleted customer's user id, sent as an alias's
 * previousId, would otherwise be taken for an unknown anonymous id and let through.
 */
export function suppressionHashes(identifiers: Identifier[], hasher: SuppressionHasher): string[] {
  const out: string[] = [];
  for (const i of identifiers) {
    if (i.type === 'previous_id') out.push(hasher.of('user_id', i.value), hasher.of('anonymous_id', i.value));
    else out.push(hasher.of(i.type, i.value));
  }
  return out;
}

const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/** Identity resolution in Redis: one Lua call per chunk of events, pipelined, never one per event. */
export function createResolver(redis: RedisClient, graph: IdentityGraphKeys, limits: Record<string, number>, hasher: SuppressionHasher): Resolver {
  const resolveScript = loadLuaScript<string>(redis, RESOLVE_SCRIPT);
  const keys = [graph.index, graph.created, graph.suppressed, graph.seq];
  const profileKeyPrefixes = [graph.profileIdentifiersPrefix, graph.profileCountsPrefix, graph.profileMergedPrefix];
  return {
    async resolve(events) {
      const calls: Promise<string>[] = [];
      for (let start = 0; start < events.length; start += CHUNK) {
        const chunk = events.slice(start, start + CHUNK).map((e) => ({ c: e.candidate, ids: e.identifiers.map((i) => [i.type, i.value]), s: suppressionHashes(e.identifiers, hasher) }));
        calls.push(resolveScript(keys, [JSON.stringify({ limits, events: chunk }), ...profileKeyPrefixes]));
      }
      const out: Resolution[] = [];
      for (const raw of await Promise.all(calls)) {
        for (const r of list<Record<string, unknown>>(JSON.parse(raw))) {
          out.push({
            profileId: String(r.p ?? ''),
            seq: Number(r.q),
            suppressed: r.s === 1,
            edges: list(r.e),
            assignments: list(r.i),
            merges: list(r.m),
            overrides: list(r.o),
            refusals: list(r.x),
          });
        }
      }
      return out;
    },

    async suppressed(items) {
      const hashes = items.map((keys) =>
        suppressionHashes(
          keys.map((k) => ({ type: k.slice(0, k.indexOf('\u001f')), value: k.slice(k.indexOf('\u001f') + 1) })),
          hasher,
        ),
      );
      const flat = hashes.flat();
      const found: number[] = [];
      for (let start = 0; start < flat.length; start += SUPPRESSION_CHUNK) {
        found.push(...(await redis.smismember(graph.suppressed, ...flat.slice(start, start + SUPPRESSION_CHUNK))));
      }
      let at = 0;
      return hashes.map((h) => {
        const hit = found.slice(at, at + h.length).some((f) => f === 1);
        at += h.length;
        return hit;
      });
    },
  };
}
