import type { PropertyFilter } from '../segments/definition/segment-definition.js';

// An entry's `where` on the entering event, decided here as the segment language decides it in SQL
// (segments/definition/condition-sql.ts): a property as text (strings as given, anything else as its JSON),
// numbers compared as numbers, `exists` as present and not null.

function propertyText(properties: Record<string, unknown>, path: string): string | undefined {
  let value: unknown = properties;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !(key in value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const number = (text: string) => (text.trim() === '' ? NaN : Number(text));

function holds(text: string, f: PropertyFilter, now: number): boolean {
  switch (f.op) {
    case 'eq':
    case 'neq': {
      const equal = typeof f.value === 'number' ? number(text) === f.value : text === String(f.value);
      return f.op === 'eq' ? equal : !equal && !(typeof f.value === 'number' && Number.isNaN(number(text)));
    }
    case 'lt':
      return number(text) < f.value;
    case 'lte':
      return number(text) <= f.value;
    case 'gt':
      return number(text) > f.value;
    case 'gte':
      return number(text) >= f.value;
    case 'in':
      return f.value.map(String).includes(text);
    case 'contains':
      return text.toLowerCase().includes(f.value.toLowerCase());
    case 'exists':
      return text !== '' && text !== 'null';
    case 'before':
    case 'after': {
      const at = Date.parse(text);
      if (Number.isNaN(at)) return false;
      const bound = typeof f.value === 'object' ? now - f.value.days_ago * 86_400_000 : Date.parse(f.value);
      return f.op === 'before' ? at < bound : at > bound;
    }
  }
}

/** Whether the event's properties pass every filter. */
export function passesWhere(properties: Record<string, unknown>, where: readonly PropertyFilter[] | undefined, now: number): boolean {
  return (where ?? []).every((f) => {
    const text = propertyText(properties, f.property);
    return text !== undefined && holds(text, f, now);
  });
}
