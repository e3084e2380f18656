import { z } from 'zod';
import { resourceId } from '../../pipeline/core/resource-id.js';
import { eventMatch, needsEvent } from '../definition/segment-definition.js';

// A computed trait: one value per customer, aggregated by the `traits` job over the events a definition
// matches. The events are matched as the segment language's event conditions match them (same `call`,
// `event`, `where` and `window`, same local-calendar windows); `kind` says what is made of them and
// `property` which value of each event it reads.

export const TRAIT_KINDS = [
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'first',
  'last',
  'most_frequent',
  'unique_count',
  'unique_list',
  'days_since_first',
  'days_since_last',
] as const;
export type TraitKind = (typeof TRAIT_KINDS)[number];

/** Kinds answered as a number (value_number); first, last and most_frequent answer text, unique_list a list. */
export const NUMBER_KINDS: readonly TraitKind[] = ['count', 'sum', 'avg', 'min', 'max', 'unique_count', 'days_since_first', 'days_since_last'];
/** Kinds that read no property: they count events or date them. */
const WITHOUT_PROPERTY: readonly TraitKind[] = ['count', 'days_since_first', 'days_since_last'];
/** Kinds that read one value per event, which `[]` (many) cannot give. */
const ONE_VALUE_PER_EVENT: readonly TraitKind[] = ['first', 'last'];
/** At most this many values in a unique_list, the most frequent first. */
export const UNIQUE_LIST_MAX = 50;

const MAX_KEYS = 8;

/** A property path split at its `[]`: the keys up to the array, and the keys read in each element (undefined: no array). */
export interface PropertyPath {
  keys: string[];
  elementKeys?: string[];
}

export function parsePropertyPath(path: string): PropertyPath {
  const keys = path.split('.');
  const at = keys.findIndex((k) => k.endsWith('[]'));
  if (at < 0) return { keys };
  return { keys: [...keys.slice(0, at), keys[at]!.slice(0, -2)], elementKeys: keys.slice(at + 1) };
}

/** What is wrong with a property path, if anything. */
export function propertyPathProblem(path: string): string | undefined {
  const keys = path.split('.');
  if (keys.length > MAX_KEYS || keys.some((k) => k === '')) return `a property name, with dots for nested objects (at most ${MAX_KEYS} keys), e.g. "revenue" or "product.brand"`;
  if (keys.some((k) => k === '[]')) return '`[]` follows the name of the array it reads, e.g. "products[].category"';
  if (keys.some((k) => /[[\]]/.test(k.endsWith('[]') ? k.slice(0, -2) : k))) {
    return '`[]` goes at the end of a key and reads every element of that array, e.g. "products[].category"; no other brackets (no indexes such as [0])';
  }
  if (keys.filter((k) => k.endsWith('[]')).length > 1) return 'at most one key may end in `[]`: arrays inside arrays are not read';
  return undefined;
}

const propertyPath = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .superRefine((path, ctx) => {
    const problem = propertyPathProblem(path);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('a dotted path in the event\'s properties ("revenue", "product.brand"); one key may end in `[]` to read every element of an array ("products[].category")');

/** A definition's fields, for a body that carries them beside others (a preview's), checked with checkDefinitionFields. */
export const definitionFields = {
  name: z.string().trim().min(1).max(200).describe("the trait's name, for people"),
  kind: z.enum(TRAIT_KINDS).describe('what is made of the matching events'),
  call: eventMatch.call,
  event: eventMatch.event.describe('the event name (track)'),
  page_name: eventMatch.name.describe('page or screen calls: only those with this name'),
  property: propertyPath.optional(),
  where: eventMatch.where,
  window: eventMatch.window,
};

type Fields = { kind: TraitKind; call: string; event?: string; property?: string };

/** The rules between fields: a track trait names its event; which kinds read a property, and how. */
export function checkDefinitionFields(d: Fields, ctx: z.core.$RefinementCtx): void {
  if (!needsEvent(d)) ctx.addIssue({ code: 'custom', path: ['event'], message: 'a track trait needs "event" (the event name)' });
  if (WITHOUT_PROPERTY.includes(d.kind)) {
    if (d.property !== undefined) {
      const instead = d.kind === 'count' ? ' (to count only events that have it, add {"property": ..., "op": "exists"} to where)' : '';
      ctx.addIssue({ code: 'custom', path: ['property'], message: `${d.kind} reads no property${instead}` });
    }
    return;
  }
  if (d.property === undefined) {
    const what = ['sum', 'avg', 'min', 'max'].includes(d.kind) ? 'the number it reads, e.g. "revenue" or "products[].price"' : 'the value it reads, e.g. "category" or "products[].category"';
    ctx.addIssue({ code: 'custom', path: ['property'], message: `${d.kind} needs a property: ${what}` });
  } else if (ONE_VALUE_PER_EVENT.includes(d.kind) && parsePropertyPath(d.property).elementKeys !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['property'], message: `${d.kind} takes one value of one event, and \`[]\` reads many: use most_frequent or unique_list, or a path without \`[]\`` });
  }
}

/** A definition as the preview takes it, and as stored (with `call` defaulted). */
export const traitDefinition = z.strictObject(definitionFields).superRefine(checkDefinitionFields);
export type TraitDefinition = z.infer<typeof traitDefinition>;

/** A definition as PUT or POSTed: with its id optional (the path's, or a generated one). */
export const traitInput = z.strictObject({ id: resourceId.optional(), ...definitionFields }).superRefine(checkDefinitionFields);
export type TraitInput = z.infer<typeof traitInput>;

/** A stored definition, current version. */
export interface ComputedTrait extends TraitDefinition {
  id: string;
  version: number;
  created_at: string;
  created_by: string;
}

/** The fields a trait is computed from (an input's or a stored trait's), always in this order: stored as JSON, compared as JSON. */
export function definitionOf(t: TraitDefinition): TraitDefinition {
  const { name, kind, call, event, page_name, property, where, window } = t;
  return { name, kind, call, event, page_name, property, where, window };
}
