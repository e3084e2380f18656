import { identifiersOf, type IdentityRules } from './identifiers.js';

// The identifiers of an event the API refused, read from the item as sent, so that deleting a customer
// finds their refused events by the same normalised values the loader would have resolved. Pure: no I/O.

const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/**
 * `type\x1fvalue` of every identifier a refused item carries, sorted. Wider than the loader on purpose: a
 * refused item may be refused for its type, so traits and previousId count whatever the type says
 * (finding too much of a deleted customer is the safe side). A previousId is kept as `previous_id`.
 */
export function refusedIdentifiers(item: unknown, rules: IdentityRules): string[] {
  const e = obj(item);
  if (!e) return [];
  const context = obj(e.context);
  const { identifiers } = identifiersOf(
    {
      userId: e.userId,
      anonymousId: e.anonymousId,
      previousId: e.previousId,
      holders: [obj(e.traits), obj(context?.traits), obj(e.properties)],
      externalIds: context?.externalIds,
    },
    rules,
  );
  return identifiers.map((i) => `${i.type}\u001f${i.value}`).sort();
}
