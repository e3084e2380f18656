import type { TraitValue } from '../computed-traits/trait-value.js';
import type { MemberRow } from './audience-store.js';
import { exportedTraitValue, type Hash, type HashedTraitKeys } from './trait-hashing.js';

/** One member as the members endpoint and the NDJSON export show it; computed traits keep their type (number, text, list). */
export interface MemberRecord {
  profile_id: string;
  since: string;
  traits: Record<string, TraitValue>;
}

export interface TraitOutput {
  traits: readonly string[];
  hash: Hash | undefined;
  keys: HashedTraitKeys;
}

/** Every selected trait is present; null when the profile does not have it (or it does not hash). */
export function memberRecord(row: MemberRow, out: TraitOutput): MemberRecord {
  const have = new Map(row.traits);
  const traits: Record<string, TraitValue> = {};
  for (const trait of out.traits) {
    const value = have.get(trait) ?? null;
    traits[trait] = typeof value === 'string' || value === null ? exportedTraitValue(trait, value, out.hash, out.keys) : value;
  }
  return { profile_id: row.profile_id, since: new Date(row.since_ms).toISOString(), traits };
}

/** A trait value as one CSV cell: text as it is, a number as JSON writes it, a list as a JSON array. */
export function csvValue(value: TraitValue): string | null {
  return value === null || typeof value === 'string' ? value : JSON.stringify(value);
}
