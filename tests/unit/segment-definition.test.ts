import { describe, expect, test } from 'vitest';
import { compileConditions } from '../../segments/definition/compile-conditions.js';
import { referencedSegments, type Condition } from '../../segments/definition/segment-definition.js';
import { InvalidSegmentError } from '../../segments/errors/invalid-segment-error.js';
import { dependencyOrder } from '../../segments/membership/membership-runner.js';
import { findCycle, parseSegmentInput, type Segment } from '../../segments/segment-store.js';

const parse = (conditions: unknown) => parseSegmentInput({ name: 'x', conditions });

describe('compiled SQL', () => {
  test('no value reaches the SQL text; each is a typed parameter', () => {
    const marker = `zz'"\\marker`;
    const input = parse({
      type: 'or',
      conditions: [
        { type: 'trait', trait: marker, op: 'eq', value: marker },
        { type: 'trait', trait: 'tags', op: 'in', value: [marker, 'b'] },
        { type: 'event', event: marker, where: [{ property: `${marker}.x`, op: 'contains', value: marker }], count: { op: 'gte', value: 3 } },
        { type: 'segment', segment_id: marker },
      ],
    });
    const compiled = compileConditions('conditions' in input ? input.conditions : (undefined as never), { database: 'cdp' });
    expect(compiled.sql).not.toContain('marker');
    expect(Object.values(compiled.params).flat()).toContain(marker);
    expect(compiled.sql).toMatch(/\{p\d+:String\}/);
    expect(compiled.sql).toMatch(/\{p\d+:Array\(String\)\}/);
  });

  test('a positive leaf under the top `and` is the FROM; otherwise every profile is', () => {
    const anchored = compileConditions({ type: 'and', conditions: [{ type: 'no_event', call: 'track', event: 'x' }, { type: 'clv', gte: 1 }] }, { database: 'cdp' });
    expect(anchored.sql).toMatch(/^SELECT profile_id FROM \(SELECT profile_id FROM \(SELECT \* FROM cdp\.churn_scores/);
    const negative = compileConditions({ type: 'not', condition: { type: 'clv', gte: 1 } }, { database: 'cdp' });
    expect(negative.sql).toMatch(/FROM \(SELECT DISTINCT profile_id FROM cdp\.profile_activity\)/);
  });

  test('a count that zero satisfies becomes NOT IN the profiles where it fails', () => {
    const lt = compileConditions({ type: 'event', call: 'track', event: 'x', count: { op: 'lt', value: 2 } }, { database: 'cdp' });
    expect(lt.sql).toMatch(/profile_id NOT IN \([\s\S]*HAVING NOT \(total < \{p\d+:UInt64\}\)\)/);
    const gte = compileConditions({ type: 'event', call: 'track', event: 'x', count: { op: 'gte', value: 2 } }, { database: 'cdp' });
    expect(gte.sql).not.toMatch(/NOT IN/);
  });
});

describe('parsing', () => {
  test('defaults: a track event condition', () => {
    expect(parse({ type: 'event', event: 'Order Completed' })).toMatchObject({ conditions: { type: 'event', call: 'track', event: 'Order Completed' } });
  });

  test('problems carry the path of what is wrong', () => {
    try {
      parse({ type: 'and', conditions: [{ type: 'trait', trait: 'age', op: 'gt', value: 'old' }] });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidSegmentError);
      expect((err as InvalidSegmentError).problems.map((p) => p.path)).toContain('conditions.conditions.0.value');
    }
  });

  test('conditions and sql together are refused', () => {
    expect(() => parseSegmentInput({ name: 'x', sql: 'SELECT 1', conditions: { type: 'clv', gte: 1 } })).toThrow(InvalidSegmentError);
  });
});

describe('references', () => {
  const seg = (id: string, conditions: Condition): Segment => ({ id, version: 1, name: id, description: '', kind: 'rules', conditions, created_at: '', created_by: '' });
  const ref = (id: string): Condition => ({ type: 'segment', segment_id: id });

  test('referencedSegments walks and/or/not', () => {
    expect(referencedSegments({ type: 'and', conditions: [ref('a'), { type: 'not', condition: { type: 'or', conditions: [ref('b'), ref('a')] } }] }).sort()).toEqual(['a', 'b']);
  });

  test('findCycle finds a path back to the segment, and none where there is none', () => {
    const graph: Record<string, string[]> = { a: ['b'], b: ['c'], c: [] };
    expect(findCycle('c', ['a'], (id) => graph[id] ?? [])).toEqual(['c', 'a', 'b', 'c']);
    expect(findCycle('d', ['a'], (id) => graph[id] ?? [])).toBeUndefined();
    expect(findCycle('a', ['a'], () => [])).toEqual(['a', 'a']);
  });

  test('dependencyOrder puts what a segment reads before it', () => {
    const order = dependencyOrder([seg('top', { type: 'and', conditions: [ref('mid'), ref('base')] }), seg('mid', ref('base')), seg('base', { type: 'clv', gte: 1 })]).map((s) => s.id);
    expect(order).toEqual(['base', 'mid', 'top']);
  });
});
