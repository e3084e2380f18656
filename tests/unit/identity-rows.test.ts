import { describe, expect, test } from 'vitest';
import { IDENTITY_TABLES, identityRows } from '../../identity/identity-rows.js';
import type { Resolution } from '../../identity/resolver.js';
import type { EnrichedEvent } from '../../pipeline/core/load-job.js';

const T = Date.UTC(2026, 2, 1, 9, 5, 7, 42);
const RECEIVED = T + 1500;
const NOW = Date.UTC(2026, 2, 2, 0, 0, 0);
const ts = '2026-03-01 09:05:07.042';
const receivedText = '2026-03-01 09:05:08.542';
const nowText = '2026-03-02 00:00:00.000';

function event(fields: Partial<EnrichedEvent> = {}): EnrichedEvent {
  return { messageId: 'm-1', type: 'track', event: 'Product Viewed', context: {}, integrations: {}, timestamp: T, originalTimestamp: T, receivedAt: RECEIVED, sourceId: 'web', ...fields };
}

function resolution(fields: Partial<Resolution> = {}): Resolution {
  return { profileId: 'p-1', seq: 7, suppressed: false, edges: [], assignments: [], merges: [], overrides: [], refusals: [], ...fields };
}

const empty = { identity_edges: [], identities: [], profile_overrides: [], identity_merges: [], profile_traits: [] };

describe('identityRows', () => {
  test('one key per identity table, in the order the loader inserts them', () => {
    expect(Object.keys(identityRows([], [], NOW))).toEqual([...IDENTITY_TABLES]);
    expect(identityRows([], [], NOW)).toEqual(empty);
  });

  test('a new profile: an edge per identifier, an identity per assignment', () => {
    const e = event({ userId: 'u-1', anonymousId: 'a-1' });
    const r = resolution({
      edges: [
        ['user_id', 'u-1', 'attached', 0],
        ['anonymous_id', 'a-1', 'attached', 1],
      ],
      assignments: [
        ['user_id', 'u-1', 'p-1'],
        ['anonymous_id', 'a-1', 'p-1'],
      ],
    });
    const rows = identityRows([e], [r], NOW);
    expect(rows.identity_edges).toEqual([
      { identifier_type: 'user_id', identifier: 'u-1', ordinal: 0, message_id: 'm-1', source_id: 'web', profile_id: 'p-1', outcome: 'attached', seq: 7, timestamp: ts, received_at: receivedText },
      { identifier_type: 'anonymous_id', identifier: 'a-1', ordinal: 1, message_id: 'm-1', source_id: 'web', profile_id: 'p-1', outcome: 'attached', seq: 7, timestamp: ts, received_at: receivedText },
    ]);
    expect(rows.identities).toEqual([
      { identifier_type: 'user_id', identifier: 'u-1', profile_id: 'p-1', version: 7 },
      { identifier_type: 'anonymous_id', identifier: 'a-1', profile_id: 'p-1', version: 7 },
    ]);
    expect(rows.profile_overrides).toEqual([]);
    expect(rows.identity_merges).toEqual([]);
    expect(rows.profile_traits).toEqual([]);
  });

  test('a merge: the moved identifiers, an override per absorbed profile (one hop), a merge record', () => {
    const e = event({ messageId: 'm-login', type: 'identify', userId: 'u-1', anonymousId: 'a-2', sourceId: 'app' });
    const r = resolution({
      profileId: 'p-old',
      seq: 12,
      edges: [
        ['user_id', 'u-1', 'existing', 0],
        ['anonymous_id', 'a-2', 'existing', 1],
      ],
      assignments: [['anonymous_id', 'a-2', 'p-old']],
      merges: [['p-young', 'p-old']],
      // p-young had absorbed p-older-still before: both now read as p-old.
      overrides: [
        ['p-absorbed', 'p-old'],
        ['p-young', 'p-old'],
      ],
    });
    const rows = identityRows([e], [r], NOW);
    expect(rows.identities).toEqual([{ identifier_type: 'anonymous_id', identifier: 'a-2', profile_id: 'p-old', version: 12 }]);
    expect(rows.profile_overrides).toEqual([
      { old_profile_id: 'p-absorbed', profile_id: 'p-old', version: 12, merged_at: nowText },
      { old_profile_id: 'p-young', profile_id: 'p-old', version: 12, merged_at: nowText },
    ]);
    expect(rows.identity_merges).toEqual([
      { kind: 'merge', from_profiles: ['p-young'], profile_id: 'p-old', rule: 'shared_identifier', identifier_type: '', identifier: '', message_id: 'm-login', source_id: 'app', seq: 12, at: nowText },
    ]);
    expect(rows.identity_edges.map((row) => [row.profile_id, row.outcome, row.seq])).toEqual([
      ['p-old', 'existing', 12],
      ['p-old', 'existing', 12],
    ]);
  });

  test('a refused link: a refusal record naming every profile involved, and the refused edge', () => {
    const e = event({ messageId: 'm-kiosk', type: 'identify', userId: 'u-bob', anonymousId: 'kiosk' });
    const r = resolution({
      profileId: 'p-bob',
      seq: 30,
      edges: [
        ['anonymous_id', 'kiosk', 'refused', 1],
        ['user_id', 'u-bob', 'attached', 0],
      ],
      assignments: [['user_id', 'u-bob', 'p-bob']],
      refusals: [
        ['anonymous_id', 'kiosk', 'limit:user_id', 'p-alice,p-carol'],
        ['email', 'x@shop.example', 'limit:email', ''],
      ],
    });
    const rows = identityRows([e], [r], NOW);
    expect(rows.identity_merges).toEqual([
      { kind: 'refused', from_profiles: ['p-alice', 'p-carol'], profile_id: 'p-bob', rule: 'limit:user_id', identifier_type: 'anonymous_id', identifier: 'kiosk', message_id: 'm-kiosk', source_id: 'web', seq: 30, at: nowText },
      { kind: 'refused', from_profiles: [], profile_id: 'p-bob', rule: 'limit:email', identifier_type: 'email', identifier: 'x@shop.example', message_id: 'm-kiosk', source_id: 'web', seq: 30, at: nowText },
    ]);
    expect(rows.identity_edges.map((row) => [row.identifier, row.outcome, row.ordinal])).toEqual([
      ['kiosk', 'refused', 1],
      ['u-bob', 'attached', 0],
    ]);
    expect(rows.identities).toEqual([{ identifier_type: 'user_id', identifier: 'u-bob', profile_id: 'p-bob', version: 30 }]);
  });

  test('a suppressed event (a deleted customer’s) produces no row in any table', () => {
    const e = event({ type: 'identify', userId: 'u-gone', traits: { email: 'gone@shop.example' }, context: { traits: { name: 'Gone' } } });
    const r = resolution({
      profileId: '',
      suppressed: true,
      edges: [['user_id', 'u-gone', 'existing', 0]],
      assignments: [['user_id', 'u-gone', 'p-x']],
      merges: [['p-y', 'p-x']],
      overrides: [['p-y', 'p-x']],
      refusals: [['email', 'gone@shop.example', 'limit:email', 'p-x']],
    });
    expect(identityRows([e], [r], NOW)).toEqual(empty);
    // Its neighbours in the batch are unaffected.
    const other = event({ messageId: 'm-2', userId: 'u-2' });
    const rows = identityRows([e, other], [r, resolution({ profileId: 'p-2', edges: [['user_id', 'u-2', 'attached', 0]] })], NOW);
    expect(rows.identity_edges.map((row) => row.message_id)).toEqual(['m-2']);
  });

  test('an event without a profile (nothing but junk) has no rows: no edges, no traits', () => {
    const e = event({ type: 'identify', userId: 'null', traits: { email: 'null', plan: 'gold' } });
    const rows = identityRows([e], [resolution({ profileId: '' })], NOW);
    expect(rows).toEqual(empty);
  });

  test('traits: an identify call’s own and context.traits, the call’s own winning; strings raw, others as JSON', () => {
    const e = event({
      messageId: 'm-id',
      type: 'identify',
      userId: 'u-1',
      context: { traits: { email: 'old@shop.example', name: 'Ann' } },
      traits: {
        email: 'ann@shop.example',
        age: 41,
        vip: true,
        tags: ['a', 'b'],
        address: { city: 'Lyon', zip: '69001' },
        nickname: null,
        zero: 0,
        empty: '',
        skipped: undefined,
      },
    });
    const rows = identityRows([e], [resolution()], NOW);
    const byTrait = Object.fromEntries(rows.profile_traits.map((row) => [row.trait, row.value]));
    expect(byTrait).toEqual({
      email: 'ann@shop.example',
      name: 'Ann',
      age: '41',
      vip: 'true',
      tags: '["a","b"]',
      address: '{"city":"Lyon","zip":"69001"}',
      nickname: 'null',
      zero: '0',
      empty: '',
    });
    for (const row of rows.profile_traits) expect(row).toMatchObject({ profile_id: 'p-1', timestamp: ts, message_id: 'm-id', received_at: receivedText });
  });

  test('traits on other calls: context.traits only (a track’s or group’s own `traits` are not the person’s)', () => {
    const track = event({ messageId: 'm-t', context: { traits: { email: 'ann@shop.example' } }, traits: { ignored: 'yes' } });
    const group = event({ messageId: 'm-g', type: 'group', groupId: 'g-1', traits: { industry: 'retail' } });
    const rows = identityRows([track, group], [resolution({ profileId: 'p-t' }), resolution({ profileId: 'p-g' })], NOW);
    expect(rows.profile_traits.map((row) => [row.profile_id, row.trait, row.value, row.message_id])).toEqual([['p-t', 'email', 'ann@shop.example', 'm-t']]);
  });

  test('rows follow the events in order, each with its own resolution', () => {
    const events = [event({ messageId: 'm-a' }), event({ messageId: 'm-b', sourceId: 'app' })];
    const rows = identityRows(events, [resolution({ profileId: 'p-a', seq: 1, edges: [['anonymous_id', 'a', 'attached', 0]] }), resolution({ profileId: 'p-b', seq: 2, edges: [['anonymous_id', 'b', 'attached', 0]] })], NOW);
    expect(rows.identity_edges.map((row) => [row.message_id, row.source_id, row.profile_id, row.seq])).toEqual([
      ['m-a', 'web', 'p-a', 1],
      ['m-b', 'app', 'p-b', 2],
    ]);
  });
});
