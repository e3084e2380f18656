import { conditionSql, queryParameters } from '../definition/condition-sql.js';
import { FOLDED_KINDS, SUMMING_KINDS, foldTraitsSql, type FoldedTrait } from './fold-traits-sql.js';
import { rankValuesSql } from './rank-values-sql.js';
import type { TraitDefinition } from './trait-definition.js';
import { sourceKey, type TraitSqlContext } from './trait-sql-parts.js';

/**
 * A parameterised ClickHouse query answering, per surviving profile with a value, the columns of
 * computed_traits: `profile_id`, `value_number`, `value_string`, `value_list` — and, for a query of several
 * traits, `trait_index`, the trait's position (from 1) in the list compiled. Besides `params` it reads
 * `{as_of:DateTime64(3, 'UTC')}` and `{tz:String}`, and for a preview `{profile_ids:Array(String)}`, which
 * the caller binds (see `traitQueryParams`).
 */
export interface CompiledTrait {
  sql: string;
  params: Record<string, unknown>;
}

export interface CompiledTraits extends CompiledTrait {
  /** The positions (from 1) of the traits this query answers. */
  indexes: number[];
}

export interface TraitCompileOptions {
  database: string;
  /** Only the events loaded under `{profile_ids:Array(String)}`: a preview reads one customer's ids. */
  forProfiles?: boolean;
}

export function traitQueryParams(compiled: CompiledTrait, asOf: string, timeZone: string, profileIds?: string[]): Record<string, unknown> {
  return { ...compiled.params, as_of: asOf, tz: timeZone, ...(profileIds ? { profile_ids: profileIds } : {}) };
}

function context(opts: TraitCompileOptions): { ctx: TraitSqlContext; params: Record<string, unknown> } {
  const { params, param } = queryParameters();
  return { ctx: { database: opts.database, param, sql: conditionSql(param), forProfiles: opts.forProfiles ?? false }, params };
}

/**
 * The queries that compute `defs`, as few as the kinds allow: the traits folded per profile (count, min, first,
 * days_since_*, …) share one query per source — one scan of the events rows they read, however many traits a
 * shop defines on `Order Completed` — and so do its sums (sum, avg); most_frequent and unique_list, which
 * group by value, get one query each. Every query answers `trait_index`.
 */
export function compileTraits(defs: TraitDefinition[], opts: TraitCompileOptions): CompiledTraits[] {
  const out: CompiledTraits[] = [];
  const folded = new Map<string, FoldedTrait[]>();
  defs.forEach((def, i) => {
    if (FOLDED_KINDS.includes(def.kind)) {
      // Sums count each message id once by grouping the rows by it first, which the other kinds do not need:
      // they share a scan of their own (measured at 1 M profiles: one query for both kinds read every row
      // through that grouping and was slower than two).
      const key = `${sourceKey(def)}:${SUMMING_KINDS.includes(def.kind) ? 'sums' : 'rows'}`;
      folded.set(key, [...(folded.get(key) ?? []), { def, index: i + 1 }]);
    } else {
      const { ctx, params } = context(opts);
      out.push({ sql: rankValuesSql(ctx, def as TraitDefinition & { kind: 'most_frequent' | 'unique_list' }, i + 1), params, indexes: [i + 1] });
    }
  });
  for (const traits of folded.values()) {
    const { ctx, params } = context(opts);
    out.push({ sql: foldTraitsSql(ctx, traits), params, indexes: traits.map((t) => t.index) });
  }
  return out;
}

/** The query of one trait (a preview's): the query the `traits` job runs for it, as if it were the only one. */
export function compileTrait(def: TraitDefinition, opts: TraitCompileOptions): CompiledTrait {
  const [only] = compileTraits([def], opts);
  return { sql: `SELECT profile_id, value_number, value_string, value_list FROM (${only!.sql})`, params: only!.params };
}
