import type { MemberRow } from './audience-store.js';
import { exportedTraitValue, type Hash, type HashedTraitKeys } from './trait-hashing.js';

/** One member as the members endpoint and the NDJSON export show it. */
export interface MemberRecord {
  profile_id: string;
  since: string;
  traits: Record<string, string | null>;
}

export interface TraitOutput {
  traits: readonly string[];
  hash: Hash | undefined;
  keys: HashedTraitKeys;
}

/** Every selected trait is present; null when the profile does not have it (or it does not hash). */
export function memberRecord(row: MemberRow, out: TraitOutput): MemberRecord {
  const have = new Map(row.traits);
  const traits: Record<string, string | null> = {};
  for (const trait of out.traits) traits[trait] = exportedTraitValue(trait, have.get(trait) ?? null, out.hash, out.keys);
  return { profile_id: row.profile_id, since: new Date(row.since_ms).toISOString(), traits };
}
