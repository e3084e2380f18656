import { isRowFault } from './row-fault.js';

// Per-event isolation: one bad event (a row fault, pipeline/load/row-fault.ts) is set aside and the others go
// on. Used by the load steps and by the inserts.

/**
 * Runs `step` on the items; when it fails because of an item (a row fault), splits them in halves until the
 * faulty items are alone, hands those to `onFault` and keeps the results of the rest. Other failures
 * propagate. `path` names the part ('0', '01', …) so that each part's insert token is fixed. The result is
 * aligned with the items: undefined where an item was handed to `onFault`.
 */
export async function isolated<I, T>(items: I[], step: (part: I[], path: string) => Promise<T[]>, onFault: (item: I, err: unknown) => void, path = ''): Promise<(T | undefined)[]> {
  if (items.length === 0) return [];
  try {
    return await step(items, path);
  } catch (err) {
    if (!isRowFault(err)) throw err;
    if (items.length === 1) {
      onFault(items[0]!, err);
      return [undefined];
    }
    const mid = items.length >> 1;
    const head = await isolated(items.slice(0, mid), step, onFault, `${path}0`);
    const tail = await isolated(items.slice(mid), step, onFault, `${path}1`);
    return [...head, ...tail];
  }
}

/** Runs a pure per-event function, handing the items it throws for (a stack overflow on a deep event, say) to `onFault`. */
export function eachIsolated<I, T>(items: I[], fn: (item: I) => T, onFault: (item: I, err: unknown) => void): { item: I; value: T }[] {
  const out: { item: I; value: T }[] = [];
  for (const item of items) {
    try {
      out.push({ item, value: fn(item) });
    } catch (err) {
      onFault(item, err);
    }
  }
  return out;
}
