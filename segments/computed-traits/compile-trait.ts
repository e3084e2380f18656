import { survivingProfile } from '../../identity/surviving-profile.js';
import { TODAY, TZ, conditionSql, queryParameters } from '../definition/condition-sql.js';
import { UNIQUE_LIST_MAX, parsePropertyPath, type TraitDefinition } from './trait-definition.js';

/**
 * One parameterised ClickHouse query answering, per surviving profile with a value, the columns of
 * computed_traits: `profile_id`, `value_number`, `value_string`, `value_list`. Besides `params` it reads
 * `{as_of:DateTime64(3, 'UTC')}` and `{tz:String}`, and for a preview `{profile_ids:Array(String)}`, which
 * the caller binds (see `traitQueryParams`).
 */
export interface CompiledTrait {
  sql: string;
  params: Record<string, unknown>;
}

export interface TraitCompileOptions {
  database: string;
  /** Only the events loaded under `{profile_ids:Array(String)}`: a preview reads one customer's ids. */
  forProfiles?: boolean;
}

export function traitQueryParams(compiled: CompiledTrait, asOf: string, timeZone: string, profileIds?: string[]): Record<string, unknown> {
  return { ...compiled.params, as_of: asOf, tz: timeZone, ...(profileIds ? { profile_ids: profileIds } : {}) };
}

// A property's value, read by JSONExtract into text: strings as given, numbers as JSON writes them (1.50 as
// 1.5), objects and arrays as their JSON, null and missing as NULL. A number is text that reads as one (a
// JSON number or a numeric string; not true, "n/a" or "inf"). Typed extraction reads an array's elements
// several times faster than extracting each element's JSON, and one odd element does not fail the rest.
const number = (text: string) => `toFloat64OrNull(${text})`;
const TEXT_TYPE = 'Nullable(String)';
/** A key as an element name of a Tuple type, quoted. */
const elementName = (key: string) => `\`${key.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``;

// A message id as counted: its 64-bit hash, which sets hold much faster than text (measured: a count in
// two thirds of the time); two ids of one customer collide with odds of about n² / 2^65.
const MESSAGE = 'sipHash64(message_id)';

const NO_NUMBER = `CAST(NULL, 'Nullable(Float64)')`;
const NO_STRING = `CAST(NULL, 'Nullable(String)')`;
const NO_LIST = `CAST([], 'Array(String)')`;

/**
 * The query of a trait over the events table, read once by its primary key (type, event, profile_id,
 * timestamp) and only for the columns the trait needs. Values are aggregated per loaded profile first and
 * then moved to the surviving profiles (joining the override table once per profile, not once per event, as
 * the segment language's event conditions do), where the per-profile aggregates are merged; most_frequent
 * and unique_list move each value's rows to the survivors before counting them.
 *
 * Each message id counts once, also when its copies were loaded under two profiles merged since: count and
 * unique_count merge per-profile sets; min, max, first, last and the days_since kinds do not change with a
 * copy; sum and avg take one row per message id before anything else (its earliest copy's time, any copy's
 * profile: copies under profiles merged since read as one survivor); most_frequent and unique_list count
 * the message ids carrying each value at the survivor.
 */
export function compileTrait(def: TraitDefinition, opts: TraitCompileOptions): CompiledTrait {
  const db = opts.database;
  const { params, param } = queryParameters();
  const { keys, filter, window } = conditionSql(param);

  const where = [`type = ${param('String', def.call)}`];
  if (def.event !== undefined) where.push(`event = ${param('String', def.event)}`);
  if (def.page_name !== undefined) where.push(`name = ${param('String', def.page_name)}`);
  where.push(...window(def.window), ...(def.where ?? []).map(filter), `profile_id != ''`);
  if (opts.forProfiles) where.push('profile_id IN {profile_ids:Array(String)}');
  const events = `${db}.events WHERE ${where.join(' AND ')}`;

  const s = survivingProfile(db, 'e');
  /** `perProfile` (a `profile_id` per row, and the column `by` when given) under the surviving profiles, aggregated again by `merge`. */
  const toSurvivors = (perProfile: string, merge: string, by?: string) =>
    `SELECT ${s.profileId} AS survivor${by ? `, e.${by} AS ${by}` : ''}, ${merge}
FROM (${perProfile}) AS e
${s.join}
GROUP BY survivor${by ? `, ${by}` : ''}`;
  const output = (from: string, value: { number?: string; string?: string; list?: string }) =>
    `SELECT survivor AS profile_id, ${value.number ? `toNullable(toFloat64(${value.number}))` : NO_NUMBER} AS value_number, ${value.string ? `toNullable(${value.string})` : NO_STRING} AS value_string, ${value.list ?? NO_LIST} AS value_list
FROM (${from})`;

  /**
   * One row per event (`dedupe`: per message id, grouped by its 128-bit hash) and value `v` (never null; a
   * path with `[]`: one row per element with a value), with the loaded profile `pid`, the message id `mid`
   * (`dedupe`: its hash) and the time `at`.
   */
  function valueRows(asNumber: boolean, dedupe: boolean): string {
    const path = parsePropertyPath(def.property!);
    const keysOf = (list: string[]) => keys(list.join('.'));
    const convert = (text: string) => (asNumber ? number(text) : text);
    let value: string;
    if (path.elementKeys === undefined) {
      value = convert(`JSONExtract(properties, ${keysOf(path.keys)}, '${TEXT_TYPE}')`);
    } else {
      // Each element as a Tuple nested along the element keys, its value the innermost field; the type,
      // which holds the keys, is bound as a parameter like any value.
      const type = `Array(${path.elementKeys.reduceRight((inner, key) => `Tuple(${elementName(key)} ${inner})`, TEXT_TYPE)})`;
      const field = path.elementKeys.reduce((x) => `tupleElement(${x}, 1)`, 'x');
      value = `arrayFilter(y -> y IS NOT NULL, arrayMap(x -> ${convert(field)}, JSONExtract(properties, ${keysOf(path.keys)}, ${param('String', type)})))`;
    }
    const source = dedupe
      ? `SELECT sipHash128(message_id) AS mid, any(profile_id) AS pid, min(timestamp) AS at, any(${value}) AS x FROM ${events} GROUP BY mid`
      : `SELECT message_id AS mid, profile_id AS pid, timestamp AS at, ${value} AS x FROM ${events}`;
    if (path.elementKeys === undefined) return `SELECT pid, mid, at, assumeNotNull(x) AS v FROM (${source}) WHERE x IS NOT NULL`;
    return `SELECT pid, mid, at, arrayJoin(arrayMap(y -> assumeNotNull(y), x)) AS v FROM (${source})`;
  }

  const sql = (() => {
    switch (def.kind) {
      case 'count': {
        const perProfile = `SELECT profile_id, uniqExactState(${MESSAGE}) AS a FROM ${events} GROUP BY profile_id`;
        return output(toSurvivors(perProfile, 'uniqExactMerge(e.a) AS n'), { number: 'n' });
      }
      case 'days_since_first':
      case 'days_since_last': {
        const agg = def.kind === 'days_since_first' ? 'min' : 'max';
        const perProfile = `SELECT profile_id, ${agg}(timestamp) AS a FROM ${events} GROUP BY profile_id`;
        // Local calendar days, as windows count them: 0 on as_of's local day.
        return output(toSurvivors(perProfile, `${agg}(e.a) AS t`), { number: `dateDiff('day', toDate(t, ${TZ}), ${TODAY})` });
      }
      case 'min':
      case 'max': {
        const perProfile = `SELECT pid AS profile_id, ${def.kind}(v) AS a FROM (${valueRows(true, false)}) GROUP BY pid`;
        return output(toSurvivors(perProfile, `${def.kind}(e.a) AS n`), { number: 'n' });
      }
      case 'sum':
      case 'avg': {
        const perProfile = `SELECT pid AS profile_id, sum(v) AS a, count() AS c FROM (${valueRows(true, true)}) GROUP BY pid`;
        return output(toSurvivors(perProfile, 'sum(e.a) AS total, sum(e.c) AS n'), { number: def.kind === 'sum' ? 'total' : 'total / n' });
      }
      case 'first':
      case 'last': {
        // The event's time, then its message id's hash (events at one millisecond are told apart the same
        // way on every run), as one number: aggregates compare numbers much faster than tuples.
        const [pick, bound] = def.kind === 'first' ? ['argMin', 'min'] : ['argMax', 'max'];
        const order = 'bitShiftLeft(toUInt128(toUnixTimestamp64Milli(at)), 64) + sipHash64(mid)';
        const perProfile = `SELECT pid AS profile_id, ${pick}(v, ${order}) AS a, ${bound}(${order}) AS k FROM (${valueRows(false, false)}) GROUP BY pid`;
        return output(toSurvivors(perProfile, `${pick}(e.a, e.k) AS t`), { string: 't', number: 'toFloat64OrNull(t)' });
      }
      case 'unique_count': {
        // Values counted by their 64-bit hash, as message ids are (measured: about a sixth faster than the text).
        const perProfile = `SELECT pid AS profile_id, uniqExactState(sipHash64(v)) AS a FROM (${valueRows(false, false)}) GROUP BY pid`;
        return output(toSurvivors(perProfile, 'uniqExactMerge(e.a) AS n'), { number: 'n' });
      }
      case 'most_frequent':
      case 'unique_list': {
        // Each value with the number of events (message ids) that carry it and the time it was last seen,
        // per surviving profile. The values' rows move to their survivors before they are counted, so that
        // a message id counts once per value whichever merged profiles its copies were loaded under
        // (measured: no slower than counting per loaded profile and merging the counts).
        const rows = `SELECT pid AS profile_id, mid, at, v FROM (${valueRows(false, false)})`;
        // Grouped by the value's 64-bit hash rather than its text (measured: about a tenth faster).
        const perValue = `SELECT ${s.profileId} AS survivor, sipHash64(e.v) AS vh, any(e.v) AS v, uniqExact(sipHash64(e.mid)) AS c, max(e.at) AS t
FROM (${rows}) AS e
${s.join}
GROUP BY survivor, vh`;
        // The rank as one number (count, then the last sighting, then the value's hash for exact ties):
        // aggregates and sorts compare numbers much faster than tuples.
        const rank = 'bitShiftLeft(toUInt128(c), 80) + bitShiftLeft(toUInt128(toUnixTimestamp64Milli(t)), 32) + cityHash64(v) % 4294967296';
        if (def.kind === 'most_frequent') {
          return output(`SELECT survivor, argMax(v, ${rank}) AS top FROM (${perValue}) GROUP BY survivor`, { string: 'top', number: 'toFloat64OrNull(top)' });
        }
        const ranked = `SELECT survivor, arrayReverseSort((x, r) -> r, groupArray(v), groupArray(${rank})) AS ranked FROM (${perValue}) GROUP BY survivor`;
        return output(ranked, { list: `arraySlice(ranked, 1, ${param('UInt32', UNIQUE_LIST_MAX)})` });
      }
    }
  })();
  return { sql, params };
}
