import { describe, expect, test } from 'vitest';
import { compileTrait, compileTraits } from '../../segments/computed-traits/compile-trait.js';
import { parsePropertyPath, traitDefinition, traitInput, TRAIT_KINDS } from '../../segments/computed-traits/trait-definition.js';
import { traitValue } from '../../segments/computed-traits/trait-value.js';
import { compileConditions } from '../../segments/definition/compile-conditions.js';
import { problemsOf } from '../../segments/definition/definition-problems.js';
import { condition, referencedTraits, type Condition } from '../../segments/definition/segment-definition.js';

/** The problems of a definition, as the routes answer them: path and message. */
const problems = (body: unknown) => {
  const parsed = traitInput.safeParse(body);
  return parsed.success ? [] : problemsOf(parsed.error.issues);
};
const paths = (body: unknown) => problems(body).map((p) => p.path);
const base = { name: 'Spent', event: 'Order Completed' };

describe('a definition', () => {
  test('defaults to track calls; each kind with the property it needs parses', () => {
    expect(traitDefinition.parse({ ...base, kind: 'count' })).toEqual({ ...base, kind: 'count', call: 'track' });
    const withProperty = TRAIT_KINDS.filter((k) => !['count', 'days_since_first', 'days_since_last'].includes(k));
    for (const kind of withProperty) expect(problems({ ...base, kind, property: 'category' }), kind).toEqual([]);
    for (const kind of ['sum', 'avg', 'min', 'max', 'most_frequent', 'unique_count', 'unique_list']) {
      expect(problems({ ...base, kind, property: 'products[].price' }), kind).toEqual([]);
    }
    expect(problems({ name: 'Pages', kind: 'count', call: 'page', page_name: 'Home', window: { this: 'month' } })).toEqual([]);
  });

  test('an unknown kind, a missing or needless property, and a track trait without an event name are refused with their paths', () => {
    expect(paths({ ...base, kind: 'median', property: 'revenue' })).toEqual(['kind']);
    for (const kind of ['sum', 'avg', 'min', 'max', 'first', 'last', 'most_frequent', 'unique_count', 'unique_list']) {
      expect(problems({ ...base, kind }), kind).toEqual([{ path: 'property', message: expect.stringMatching(new RegExp(`^${kind} needs a property`)) }]);
    }
    for (const kind of ['count', 'days_since_first', 'days_since_last']) {
      expect(problems({ ...base, kind, property: 'revenue' }), kind).toEqual([{ path: 'property', message: expect.stringMatching(new RegExp(`^${kind} reads no property`)) }]);
    }
    expect(problems({ name: 'x', kind: 'count' })).toEqual([{ path: 'event', message: 'a track trait needs "event" (the event name)' }]);
    expect(paths({ ...base, kind: 'count', extra: 1 })).toEqual(['']);
    expect(paths({ kind: 'count', event: 'x' })).toEqual(['name']);
  });

  test('`[]` ends one key only, and first and last take one value per event', () => {
    for (const property of ['[]', 'products.[]', 'products[0].category', 'pro[]ducts', 'products[].tags[]', 'a..b', 'a.b.c.d.e.f.g.h.i']) {
      expect(paths({ ...base, kind: 'unique_list', property }), property).toEqual(['property']);
    }
    expect(problems({ ...base, kind: 'first', property: 'products[].category' })[0]!.message).toMatch(/first takes one value of one event/);
    expect(problems({ ...base, kind: 'last', property: 'tags[]' })[0]!.message).toMatch(/last takes one value/);
    expect(parsePropertyPath('products[].category')).toEqual({ keys: ['products'], elementKeys: ['category'] });
    expect(parsePropertyPath('order.items[].product.brand')).toEqual({ keys: ['order', 'items'], elementKeys: ['product', 'brand'] });
    expect(parsePropertyPath('tags[]')).toEqual({ keys: ['tags'], elementKeys: [] });
    expect(parsePropertyPath('product.brand')).toEqual({ keys: ['product', 'brand'] });
  });

  test('windows and filters are the segment language’s, refused the same way', () => {
    expect(paths({ ...base, kind: 'count', window: { within_days: 0 } })).toEqual(['window.within_days']);
    expect(problems({ ...base, kind: 'count', window: { between_days_ago: [30, 7] } })).toEqual([{ path: 'window', message: expect.stringMatching(/\[nearer, farther\]/) }]);
    const decade = paths({ ...base, kind: 'count', window: { this: 'decade' } });
    expect(decade.length).toBeGreaterThan(0);
    for (const path of decade) expect(path).toMatch(/^window/);
    expect(paths({ ...base, kind: 'count', where: [{ property: 'x', op: 'gt', value: 'big' }] })).toEqual(['where.0.value']);
  });
});

describe('the compiled query', () => {
  test('no value reaches the SQL text; each is a typed parameter', () => {
    const marker = `zz'"\\marker`;
    for (const kind of TRAIT_KINDS) {
      const property = ['count', 'days_since_first', 'days_since_last'].includes(kind) ? {} : { property: `${marker}.${kind === 'first' || kind === 'last' ? 'x' : 'y[].x'}` };
      const def = traitDefinition.parse({ name: marker, kind, event: marker, ...property, where: [{ property: marker, op: 'eq', value: marker }] });
      const compiled = compileTrait(def, { database: 'cdp' });
      expect(compiled.sql, kind).not.toContain('marker');
      expect(Object.values(compiled.params), kind).toContain(marker);
    }
  });

  test('each trait reads the events table once, by its primary key, and only the columns it needs', () => {
    for (const kind of TRAIT_KINDS) {
      const property = ['count', 'days_since_first', 'days_since_last'].includes(kind) ? {} : { property: 'products[].price' };
      const { sql } = compileTrait(traitDefinition.parse({ ...base, kind, ...(kind === 'first' || kind === 'last' ? { property: 'price' } : property) }), { database: 'cdp' });
      expect(sql.match(/cdp\.events\b/g), kind).toHaveLength(1);
      expect(sql, kind).toMatch(/FROM cdp\.events WHERE type = \{p0:String\} AND event = \{p1:String\}/);
      expect(sql, kind).not.toMatch(/SELECT \*|events_resolved/);
    }
    const preview = compileTrait(traitDefinition.parse({ ...base, kind: 'count' }), { database: 'cdp', forProfiles: true });
    expect(preview.sql).toContain('profile_id IN {profile_ids:Array(String)}');
  });

  test('the traits of one source share one scan (its sums another); values ranked by value and other sources get their own', () => {
    const orders = { ...base, event: 'Order Completed' };
    const defs = [
      { ...orders, kind: 'count', window: { within_days: 90 } },
      { ...orders, kind: 'sum', property: 'revenue', window: { within_days: 90 } },
      { ...orders, kind: 'max', property: 'revenue', window: { within_days: 90 } },
      { ...orders, kind: 'days_since_first' },
      { ...orders, kind: 'avg', property: 'revenue' },
      { ...orders, kind: 'most_frequent', property: 'products[].category' },
      { ...base, event: 'Product Viewed', kind: 'last', property: 'product_id' },
    ].map((d) => traitDefinition.parse(d));
    const queries = compileTraits(defs, { database: 'cdp' });
    expect(queries.map((q) => q.indexes).sort()).toEqual([[1, 3, 4], [2, 5], [6], [7]]);
    for (const q of queries) expect(q.sql.match(/cdp\.events\b/g)).toHaveLength(1);
    const rows = queries.find((q) => q.indexes.length === 3)!;
    // One condition column for the two 90-day windows: the column, and the scan's filter.
    expect(rows.sql.match(/toIntervalDay/g)).toHaveLength(2);
    expect(rows.sql).not.toContain('GROUP BY sipHash128(message_id)');
    // One value column for the two sums of revenue, read once per message id.
    const sums = queries.find((q) => q.indexes.join() === '2,5')!;
    expect(sums.sql.match(/JSONExtract\(/g)).toHaveLength(1);
    expect(sums.sql).toContain('GROUP BY sipHash128(message_id)');
  });

  test('values as the APIs answer them: a row missing is 0 for count and unique_count, [] for unique_list, null otherwise', () => {
    const none = undefined;
    expect(traitValue('count', none)).toBe(0);
    expect(traitValue('unique_count', none)).toBe(0);
    expect(traitValue('unique_list', none)).toEqual([]);
    for (const kind of ['sum', 'avg', 'min', 'max', 'first', 'last', 'most_frequent', 'days_since_first', 'days_since_last'] as const) expect(traitValue(kind, none), kind).toBeNull();
    expect(traitValue('most_frequent', { value_number: 42, value_string: '42', value_list: [] })).toBe('42');
    expect(traitValue('sum', { value_number: 12.5, value_string: null, value_list: [] })).toBe(12.5);
    expect(traitValue('unique_list', { value_number: null, value_string: null, value_list: ['a', 'b'] })).toEqual(['a', 'b']);
  });
});

describe('the segment condition', () => {
  test('names a computed trait by its id, with the ops of trait conditions; its references carry their paths', () => {
    const tree = condition.parse({
      type: 'and',
      conditions: [
        { type: 'computed_trait', trait: 'orders', op: 'lt', value: 3 },
        { type: 'not', condition: { type: 'computed_trait', trait: 'categories', op: 'contains', value: 'shoes' } },
      ],
    }) as Condition;
    expect(referencedTraits(tree)).toEqual([
      { trait: 'orders', path: 'conditions.conditions.0.trait' },
      { trait: 'categories', path: 'conditions.conditions.1.condition.trait' },
    ]);
    expect(condition.safeParse({ type: 'computed_trait', trait: "x'; DROP", op: 'exists' }).success).toBe(false);
    expect(condition.safeParse({ type: 'computed_trait', trait: 'orders', op: 'like', value: 'x' }).success).toBe(false);
  });

  test('compiles to a positive set, reading the traits snapshot, with no value in the SQL text', () => {
    const marker = 'zz-marker';
    const compiled = compileConditions({ type: 'computed_trait', trait: marker, op: 'contains', value: `${marker}'"` }, { database: 'cdp' });
    expect(compiled.sql).not.toContain('marker');
    expect(compiled.sql).toMatch(/^SELECT profile_id FROM \(SELECT profile_id FROM \(SELECT profile_id, value_number, value_string, value_list FROM \(SELECT \* FROM cdp\.computed_traits WHERE as_of = \(SELECT max\(as_of\) FROM cdp\.job_runs FINAL WHERE job = 'traits'/);
    expect(Object.values(compiled.params)).toContain(marker);
  });
});
