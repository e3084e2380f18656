import type { ConditionSql, Param } from '../definition/condition-sql.js';
import { parsePropertyPath, type TraitDefinition } from './trait-definition.js';

// The pieces every trait query is built from: which events a definition reads (its source and its own
// conditions), the value it reads of each event, and the columns of computed_traits a query answers.

/** What a compiler binds its values with and builds its conditions from; one per query. */
export interface TraitSqlContext {
  database: string;
  param: Param;
  sql: ConditionSql;
  /** Only the events loaded under `{profile_ids:Array(String)}`: a preview reads one customer's ids. */
  forProfiles: boolean;
}

/** The events a definition reads before its own conditions: its call, event name and page name. Traits with one source share one scan. */
export function sourceKey(def: TraitDefinition): string {
  return JSON.stringify([def.call, def.event ?? null, def.page_name ?? null]);
}

/** The conditions on the events of the source (every trait of it reads these): call, names, a loaded profile, a preview's ids. */
export function sourceConditions(ctx: TraitSqlContext, def: TraitDefinition): string[] {
  const out = [`type = ${ctx.param('String', def.call)}`];
  if (def.event !== undefined) out.push(`event = ${ctx.param('String', def.event)}`);
  if (def.page_name !== undefined) out.push(`name = ${ctx.param('String', def.page_name)}`);
  out.push(`profile_id != ''`);
  if (ctx.forProfiles) out.push('profile_id IN {profile_ids:Array(String)}');
  return out;
}

/** A definition's own conditions on an event of its source: its window (never after as_of) and its property filters. */
export function traitConditions(ctx: TraitSqlContext, def: TraitDefinition): string[] {
  return [...ctx.sql.window(def.window), ...(def.where ?? []).map(ctx.sql.filter)];
}

// A property's value, read by JSONExtract into text: strings as given, numbers as JSON writes them (1.50 as
// 1.5), objects and arrays as their JSON, null and missing as NULL. A number is text that reads as one (a
// JSON number or a numeric string; not true, "n/a" or "inf"). Typed extraction reads an array's elements
// several times faster than extracting each element's JSON, and one odd element does not fail the rest.
const TEXT_TYPE = 'Nullable(String)';
/** A key as an element name of a Tuple type, quoted. */
const elementName = (key: string) => `\`${key.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``;

/**
 * The value a definition reads of an event: without `[]` a Nullable (Float64 when `asNumber`, else String),
 * NULL when the event has none; with `[]` an array of the elements' values that have one.
 */
export function propertyValue(ctx: TraitSqlContext, property: string, asNumber: boolean): { sql: string; many: boolean } {
  const path = parsePropertyPath(property);
  const keys = ctx.sql.keys(path.keys.join('.'));
  const convert = (text: string) => (asNumber ? `toFloat64OrNull(${text})` : text);
  if (path.elementKeys === undefined) return { sql: convert(`JSONExtract(properties, ${keys}, '${TEXT_TYPE}')`), many: false };
  // Each element as a Tuple nested along the element keys, its value the innermost field; the type, which
  // holds the keys, is bound as a parameter like any value.
  const type = `Array(${path.elementKeys.reduceRight((inner, key) => `Tuple(${elementName(key)} ${inner})`, TEXT_TYPE)})`;
  const field = path.elementKeys.reduce((x) => `tupleElement(${x}, 1)`, 'x');
  return { sql: `arrayFilter(y -> y IS NOT NULL, arrayMap(x -> ${convert(field)}, JSONExtract(properties, ${keys}, ${ctx.param('String', type)})))`, many: true };
}

/** A trait's value in the columns of computed_traits; absent parts are typed NULLs (an empty list). */
export function valueColumns(value: { number?: string; string?: string; list?: string }): string {
  const number = value.number ? `toNullable(toFloat64(${value.number}))` : `CAST(NULL, 'Nullable(Float64)')`;
  const string = value.string ? `toNullable(${value.string})` : `CAST(NULL, 'Nullable(String)')`;
  return `${number} AS value_number, ${string} AS value_string, ${value.list ?? `CAST([], 'Array(String)')`} AS value_list`;
}
