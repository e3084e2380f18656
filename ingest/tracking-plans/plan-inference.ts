import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// A draft tracking plan inferred from events seen: a pure function over sampled payloads, so that it can be
// tested on a generated stream with known truth. The ClickHouse read that samples them is plan-sample.ts.

/** A JSON Schema as the plan carries it. */
export type JsonSchema = { [keyword: string]: unknown };

export type PlanRule =
  | { type: 'track'; event: string; properties: JsonSchema }
  | { type: 'page' | 'screen'; properties: JsonSchema }
  | { type: 'identify' | 'group'; traits: JsonSchema };

/** The plan body of PUT /v1/tracking-plans/:id. */
export interface PlanBody {
  name: string;
  sources: string[];
  violations: 'allow' | 'drop_properties' | 'block';
  unplanned_events: 'allow' | 'block';
  rules: PlanRule[];
}

/** The payloads (`properties`, or `traits` for identify and group) sampled for one rule. */
export interface RuleSample {
  type: string;
  /** The event name of a track; ignored for the other types. */
  event: string;
  payloads: unknown[];
}

/** The kinds of event a plan has rules for, and which payload each rule describes. */
export const PAYLOAD_OF = { track: 'properties', page: 'properties', screen: 'properties', identify: 'traits', group: 'traits' } as const;
export type RuleType = keyof typeof PAYLOAD_OF;
export const RULE_TYPES = Object.keys(PAYLOAD_OF) as RuleType[];

/**
 * The thresholds of the inference. `required`: a property present in at least this share of the objects it
 * could appear in. `enum`: a string property with at most `enumMaxValues` distinct values over at least
 * `enumMinOccurrences` values seen; fewer occurrences say too little to close the list.
 */
export const INFERENCE = { requiredShare: 0.99, enumMaxValues: 10, enumMinOccurrences: 20 } as const;

/** The formats tried on strings, in this order; the first every value matches is kept. */
export const FORMATS = ['date-time', 'email', 'uri'] as const;

// The formats as ajv-formats checks them at ingest, so that what is inferred passes the plan's own check.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020, formats: readonly string[]) => Ajv2020;
const ajv = addFormats(new Ajv2020(), FORMATS);
const formatChecks = FORMATS.map((format) => ({ format, check: ajv.compile({ type: 'string', format }) }));

type JsonType = 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object';
const TYPE_ORDER: JsonType[] = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'];

function jsonType(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'object') return 'object';
  return typeof value === 'boolean' ? 'boolean' : 'string';
}

/**
 * The schema of every value seen at one path. Several types give a type array; integers beside other
 * numbers are `number` (an integer is a number). Objects get nested `properties` (and `required`), arrays
 * `items` from all their elements, strings an `enum` or a `format`.
 */
export function inferSchema(values: unknown[]): JsonSchema {
  const byType = new Map<JsonType, unknown[]>();
  for (const value of values) {
    const type = jsonType(value);
    const list = byType.get(type);
    if (list) list.push(value);
    else byType.set(type, [value]);
  }
  if (byType.has('integer') && byType.has('number')) {
    const numbers = byType.get('number')!;
    for (const n of byType.get('integer')!) numbers.push(n);
    byType.delete('integer');
  }
  const types = TYPE_ORDER.filter((t) => byType.has(t));
  const schema: JsonSchema = types.length === 1 ? { type: types[0] } : { type: types };
  const objects = byType.get('object') as Record<string, unknown>[] | undefined;
  if (objects) Object.assign(schema, objectSchema(objects));
  const arrays = byType.get('array') as unknown[][] | undefined;
  if (arrays) {
    const elements = arrays.flat();
    if (elements.length > 0) schema.items = inferSchema(elements);
  }
  const strings = byType.get('string') as string[] | undefined;
  // An enum or a format limits every value, whatever its type: only said of a path that is always a string.
  if (strings && types.length === 1) Object.assign(schema, stringSchema(strings));
  return schema;
}

function objectSchema(objects: Record<string, unknown>[]): JsonSchema {
  const seen = new Map<string, unknown[]>();
  for (const object of objects) {
    for (const [key, value] of Object.entries(object)) {
      if (value === undefined) continue;
      const list = seen.get(key);
      if (list) list.push(value);
      else seen.set(key, [value]);
    }
  }
  const keys = [...seen.keys()].sort();
  const properties = Object.fromEntries(keys.map((key) => [key, inferSchema(seen.get(key)!)]));
  const required = keys.filter((key) => isRequired(seen.get(key)!.length, objects.length));
  return required.length > 0 ? { properties, required } : { properties };
}

/** Present in at least 99 % of the objects; in integers, so that 99 of 100 is exactly the threshold. */
export function isRequired(present: number, total: number): boolean {
  return total > 0 && present * 100 >= INFERENCE.requiredShare * 100 * total;
}

function stringSchema(strings: string[]): JsonSchema {
  const distinct = [...new Set(strings)].sort();
  if (strings.length >= INFERENCE.enumMinOccurrences && distinct.length <= INFERENCE.enumMaxValues) return { enum: distinct };
  const format = formatChecks.find(({ check }) => distinct.every((s) => check(s)))?.format;
  return format ? { format } : {};
}

/** The schema of a rule's payloads: an object's, whatever else was sent (a payload is always an object). */
function payloadSchema(payloads: unknown[]): JsonSchema {
  const objects = payloads.filter((p): p is Record<string, unknown> => jsonType(p) === 'object');
  return { type: 'object', ...objectSchema(objects) };
}

/**
 * A draft plan for `source` from sampled payloads: one rule per track event name, one per other type, in a
 * stable order (type, then event name). It records everything and refuses nothing (`allow`, `allow`): a draft
 * to read, tighten and apply.
 */
export function inferPlan(source: string, samples: RuleSample[], name = `${source} (inferred)`): PlanBody {
  const known = samples.filter((s): s is RuleSample & { type: RuleType } => (RULE_TYPES as string[]).includes(s.type));
  const ordered = [...known].sort((a, b) => RULE_TYPES.indexOf(a.type) - RULE_TYPES.indexOf(b.type) || a.event.localeCompare(b.event));
  const rules = ordered.map((sample): PlanRule => {
    const schema = payloadSchema(sample.payloads);
    switch (sample.type) {
      case 'track':
        return { type: 'track', event: sample.event, properties: schema };
      case 'page':
      case 'screen':
        return { type: sample.type, properties: schema };
      default:
        return { type: sample.type, traits: schema };
    }
  });
  return { name, sources: [source], violations: 'allow', unplanned_events: 'allow', rules };
}
