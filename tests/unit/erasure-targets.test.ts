import { describe, expect, test } from 'vitest';
import { erasureTables, erasureTargets, KEPT_TABLES, type ErasureParams, type SchemaColumn } from '../../identity/erasure-targets.js';

// Which tables a customer's deletion clears, from the columns of the schema. The real schema is checked in
// tests/integration/erasure-coverage.test.ts; here, schemas made up to show each rule.

const table = (name: string, engine: string, ...columns: string[]): SchemaColumn[] => columns.map((column) => ({ table: name, column, engine }));
const customer: ErasureParams = { profiles: ['p1'], keys: ['email\u001fa@b.c'], userIds: [], anonymousIds: ['anon-1'], refusedKeys: ['email\u001fa@b.c'], needles: ['"a@b.c"'] };

describe('erasure targets', () => {
  test('a table with a customer column is cleared by it, whatever its name; a table without one is not', () => {
    const schema = [...table('loyalty_notes', 'MergeTree', 'profile_id', 'note'), ...table('job_runs', 'ReplacingMergeTree', 'job', 'as_of')];
    expect(erasureTargets(schema, customer)).toEqual([{ table: 'loyalty_notes', where: '(profile_id IN {profiles:Array(String)})' }]);
  });

  test('every customer column of a table matches, except those with nothing of this customer to match', () => {
    const events = table('events', 'MergeTree', 'message_id', 'user_id', 'anonymous_id', 'profile_id', 'previous_id');
    const [target] = erasureTargets(events, customer);
    expect(target!.where.split(' OR (')).toHaveLength(3);
    expect(target!.where).toContain('anonymous_id IN {anonymousIds:Array(String)}');
    expect(target!.where).toContain('previous_id IN {userIds:Array(String)} OR previous_id IN {anonymousIds:Array(String)}');
    expect(target!.where).not.toContain('user_id IN');
  });

  test('a table whose columns cannot match this customer is left out, not cleared with an empty condition', () => {
    const rejected = table('rejected_events', 'MergeTree', 'payload', 'identifiers');
    expect(erasureTargets(rejected, customer).map((t) => t.table)).toEqual(['rejected_events']);
    expect(erasureTargets(rejected, { ...customer, keys: [], refusedKeys: [], needles: [] })).toEqual([]);
  });

  test('views, materialised views and the listed exceptions are left', () => {
    const schema = [
      ...table('profiles', 'View', 'profile_id'),
      ...table('profile_activity_mv', 'MaterializedView', 'profile_id'),
      ...table('profile_deletions', 'MergeTree', 'profile_hash', 'identifiers'),
      ...table('profile_activity', 'AggregatingMergeTree', 'profile_id'),
    ];
    expect(Object.keys(KEPT_TABLES)).toContain('profile_deletions');
    expect(erasureTables(schema)).toEqual([{ table: 'profile_activity', columns: ['profile_id'] }]);
  });

  test('the tables that find the customer again are cleared last', () => {
    const schema = [
      ...table('profile_overrides', 'ReplacingMergeTree', 'old_profile_id', 'profile_id'),
      ...table('events', 'MergeTree', 'profile_id'),
      ...table('identities', 'ReplacingMergeTree', 'identifier_type', 'identifier', 'profile_id'),
      ...table('orders', 'MergeTree', 'profile_id'),
      ...table('identity_edges', 'MergeTree', 'identifier', 'profile_id'),
    ];
    expect(erasureTables(schema).map((t) => t.table)).toEqual(['identity_edges', 'orders', 'events', 'identities', 'profile_overrides']);
  });
});
