import { NUMBER_KINDS, type TraitKind } from './trait-definition.js';

/** A row of computed_traits (or its view), as ClickHouse answers it in JSON. */
export interface TraitRow {
  value_number: number | null;
  value_string: string | null;
  value_list: string[];
}

export type TraitValue = number | string | string[] | null;

/**
 * A computed trait's value as the APIs answer it: a number for the number kinds, text for first, last and
 * most_frequent, a list for unique_list. A profile without a row (no matching event) has 0 for count and
 * unique_count, [] for unique_list, and null otherwise.
 */
export function traitValue(kind: TraitKind, row: TraitRow | undefined): TraitValue {
  if (kind === 'unique_list') return row?.value_list ?? [];
  if (NUMBER_KINDS.includes(kind)) return row?.value_number ?? (kind === 'count' || kind === 'unique_count' ? 0 : null);
  return row?.value_string ?? null;
}
