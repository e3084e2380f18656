// How deep the product lets JSON nest: an event (ingest/event-guard.ts) and every management request body
// (json-bodies.ts). Code that walks a value recursively (zod's recursive schemas, ajv, the segment compiler)
// overflows the stack on a body nested thousands of levels deep (a 500 before any check); these bounds are
// far beyond any real use.

/** Deepest nesting of objects and arrays in one event, the event itself being level 1. */
export const MAX_NESTING_DEPTH = 64;

/**
 * Deepest nesting of a management request body. Deeper than an event's: a tracking plan's JSON Schema nests
 * two levels per level of the event it describes (`properties` → name → schema), and segment conditions a
 * few per clause.
 */
export const MAX_BODY_NESTING_DEPTH = 4 * MAX_NESTING_DEPTH;

/** Whether `value` nests objects or arrays deeper than `max` levels; it looks no deeper than that. */
export function nestsDeeperThan(value: unknown, max: number, depth = 1): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth > max) return true;
  for (const v of Array.isArray(value) ? value : Object.values(value)) if (nestsDeeperThan(v, max, depth + 1)) return true;
  return false;
}
