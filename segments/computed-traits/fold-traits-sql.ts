import { survivingProfile } from '../../identity/surviving-profile.js';
import { TODAY, TZ } from '../definition/condition-sql.js';
import { parsePropertyPath, type TraitDefinition, type TraitKind } from './trait-definition.js';
import { propertyValue, sourceConditions, traitConditions, type TraitSqlContext } from './trait-sql-parts.js';

/** The kinds folded per profile: each event adds to a few aggregates, so several traits share one scan. */
export const FOLDED_KINDS: readonly TraitKind[] = ['count', 'sum', 'avg', 'min', 'max', 'first', 'last', 'unique_count', 'days_since_first', 'days_since_last'];

/** The folded kinds that add values up, and so read each message id once (see foldTraitsSql). */
export const SUMMING_KINDS: readonly TraitKind[] = ['sum', 'avg'];

/** A trait of a folded query: its definition and the trait_index its rows carry. */
export interface FoldedTrait {
  def: TraitDefinition;
  index: number;
}

/** How one trait folds: its aggregates per loaded profile, their merge per surviving profile, and its value from those. */
interface Fold {
  perProfile: string[];
  perSurvivor: string[];
  /** True when the customer has a value (a customer with none gets no row). */
  present: string;
  number?: string;
  string?: string;
}

/**
 * One query for several traits of one source (sourceKey): the events of the source are read once, each
 * trait's own window and filters become a condition column, and every trait is aggregated with -If
 * combinators per loaded profile, then moved to the surviving profiles (one join per profile, not per event)
 * and merged. Answers a row per trait with a value: `trait_index`, `profile_id` and the value columns.
 *
 * Each message id counts once, also when its copies were loaded under two profiles merged since. When a
 * trait sums (sum, avg), the rows are first made one per message id (its earliest copy's time, any copy's
 * profile: copies under profiles merged since read as one survivor), and every trait of the query reads
 * those. Otherwise the rows are read as loaded: count and unique_count merge sets of hashes, and min, max,
 * first, last and the days_since kinds do not change with a copy.
 */
export function foldTraitsSql(ctx: TraitSqlContext, traits: FoldedTrait[]): string {
  const source = sourceConditions(ctx, traits[0]!.def);
  const dedupe = traits.some((t) => SUMMING_KINDS.includes(t.def.kind));
  // The row's columns, each made once by its key: traits with one window share its condition, and traits
  // of one property its value (one JSONExtract for three traits of `revenue`).
  // A condition merges its copies with max (any copy meets it), a value with any (copies carry the same).
  const columns = new Map<string, { name: string; sql: string; merge: 'max' | 'any' }>();
  const column = (key: string, merge: 'max' | 'any', sql: () => string) => {
    let c = columns.get(key);
    if (!c) columns.set(key, (c = { name: `c${columns.size}`, sql: sql(), merge }));
    return c.name;
  };
  // A message id as counted and ordered: its 64-bit hash, which sets hold much faster than text (measured: a
  // count in two thirds of the time); two ids of one customer collide with odds of about n² / 2^65.
  const messageHash = () => column('message', 'any', () => 'sipHash64(message_id)');

  const folds = traits.map(({ def, index }, i): Fold => {
    // A message counts for a trait when any of its copies meets the trait's own conditions.
    const c = column(JSON.stringify(['when', def.window ?? null, def.where ?? []]), 'max', () => traitConditions(ctx, def).join(' AND '));
    const a = `a${i}`;
    const b = `b${i}`;
    const value = (asNumber: boolean) => {
      const many = parsePropertyPath(def.property!).elementKeys !== undefined;
      return { many, sql: column(JSON.stringify(['value', def.property, asNumber]), 'any', () => propertyValue(ctx, def.property!, asNumber).sql) };
    };
    switch (def.kind) {
      case 'count':
        return dedupe
          ? { perProfile: [`countIf(${c}) AS ${a}`], perSurvivor: [`sum(e.${a}) AS ${a}`], present: `${a} > 0`, number: a }
          : { perProfile: [`uniqExactStateIf(${messageHash()}, ${c}) AS ${a}`], perSurvivor: [`uniqExactMerge(e.${a}) AS ${a}`], present: `${a} > 0`, number: a };
      case 'days_since_first':
      case 'days_since_last': {
        const agg = def.kind === 'days_since_first' ? 'min' : 'max';
        // Local calendar days, as windows count them: 0 on as_of's local day.
        return { perProfile: [`${agg}If(toNullable(at), ${c}) AS ${a}`], perSurvivor: [`${agg}(e.${a}) AS ${a}`], present: `${a} IS NOT NULL`, number: `dateDiff('day', toDate(${a}, ${TZ}), ${TODAY})` };
      }
      case 'min':
      case 'max': {
        const v = value(true);
        const x = v.sql;
        const per = v.many ? `${def.kind}If(array${def.kind === 'min' ? 'Min' : 'Max'}(${x}), ${c} AND notEmpty(${x}))` : `${def.kind}If(${x}, ${c})`;
        return { perProfile: [`${per} AS ${a}`], perSurvivor: [`${def.kind}(e.${a}) AS ${a}`], present: `${a} IS NOT NULL`, number: a };
      }
      case 'sum':
      case 'avg': {
        const v = value(true);
        const x = v.sql;
        const [total, n] = v.many ? [`sumIf(arraySum(${x}), ${c})`, `sumIf(length(${x}), ${c})`] : [`sumIf(${x}, ${c} AND ${x} IS NOT NULL)`, `countIf(${c} AND ${x} IS NOT NULL)`];
        return {
          perProfile: [`${total} AS ${a}`, `${n} AS ${b}`],
          perSurvivor: [`sum(e.${a}) AS ${a}`, `sum(e.${b}) AS ${b}`],
          present: `${b} > 0`,
          number: def.kind === 'sum' ? a : `${a} / ${b}`,
        };
      }
      case 'first':
      case 'last': {
        // The event's time, then its message id's hash (events at one millisecond are told apart the same
        // way on every run), as one number: aggregates compare numbers much faster than tuples.
        const x = value(false).sql;
        const order = `bitShiftLeft(toUInt128(toUnixTimestamp64Milli(at)), 64) + ${messageHash()}`;
        const [pick, bound] = def.kind === 'first' ? ['argMin', 'min'] : ['argMax', 'max'];
        const has = `${c} AND ${x} IS NOT NULL`;
        return {
          perProfile: [`${pick}If(${x}, ${order}, ${has}) AS ${a}`, `${bound}If(toNullable(${order}), ${has}) AS ${b}`],
          perSurvivor: [`${pick}If(e.${a}, e.${b}, e.${b} IS NOT NULL) AS ${a}`, `${bound}(e.${b}) AS ${b}`],
          present: `${b} IS NOT NULL`,
          string: a,
          number: `toFloat64OrNull(${a})`,
        };
      }
      case 'unique_count': {
        // Values counted by their 64-bit hash, as message ids are (measured: about a sixth faster than the text).
        const v = value(false);
        const x = v.sql;
        const [state, merge] = v.many
          ? [`uniqExactArrayStateIf(arrayMap(y -> sipHash64(assumeNotNull(y)), ${x}), ${c})`, 'uniqExactArrayMerge']
          : [`uniqExactStateIf(sipHash64(assumeNotNull(${x})), ${c} AND ${x} IS NOT NULL)`, 'uniqExactMerge'];
        return { perProfile: [`${state} AS ${a}`], perSurvivor: [`${merge}(e.${a}) AS ${a}`], present: `${a} > 0`, number: a };
      }
      default:
        throw new Error(`${def.kind} is not folded per profile`);
    }
  });

  const list = [...columns.values()];
  const anyTrait = list.filter((c) => c.merge === 'max').map((c) => `(${c.sql})`); // the conditions
  const where = [...source, `(${anyTrait.join(' OR ')})`].join(' AND ');
  const rows = dedupe
    ? `SELECT any(profile_id) AS pid, min(timestamp) AS at, ${list.map((c) => `${c.merge}(${c.sql}) AS ${c.name}`).join(', ')}
FROM ${ctx.database}.events WHERE ${where} GROUP BY sipHash128(message_id)`
    : `SELECT profile_id AS pid, timestamp AS at, ${list.map((c) => `${c.sql} AS ${c.name}`).join(', ')}
FROM ${ctx.database}.events WHERE ${where}`;
  const perProfile = `SELECT pid AS profile_id, ${folds.flatMap((f) => f.perProfile).join(', ')} FROM (${rows}) GROUP BY pid`;
  const s = survivingProfile(ctx.database, 'e');
  const perSurvivor = `SELECT ${s.profileId} AS survivor, ${folds.flatMap((f) => f.perSurvivor).join(', ')}
FROM (${perProfile}) AS e
${s.join}
GROUP BY survivor`;
  // One row per trait with a value, from the survivor's one row.
  const VALUE = `'Tuple(UInt32, Nullable(Float64), Nullable(String), UInt8)'`;
  const values = folds.map(
    (f, i) =>
      `CAST(tuple(${traits[i]!.index}, ${f.number ? `toFloat64(${f.number})` : 'NULL'}, ${f.string ?? 'NULL'}, ${f.present}), ${VALUE})`,
  );
  return `SELECT v.1 AS trait_index, survivor AS profile_id, v.2 AS value_number, v.3 AS value_string, CAST([], 'Array(String)') AS value_list
FROM (SELECT survivor, arrayJoin(arrayFilter(t -> t.4 = 1, [${values.join(', ')}])) AS v FROM (${perSurvivor}))`;
}
