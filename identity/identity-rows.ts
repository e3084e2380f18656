import { chTime } from '../pipeline/clickhouse/ch-time.js';
import type { EnrichedEvent } from '../pipeline/core/load-job.js';
import type { Resolution } from './resolver.js';

// The ClickHouse rows that record what identity resolution did for a batch of events. Pure: no I/O.

export interface IdentityRows {
  identity_edges: Record<string, unknown>[];
  identities: Record<string, unknown>[];
  profile_overrides: Record<string, unknown>[];
  identity_merges: Record<string, unknown>[];
  profile_traits: Record<string, unknown>[];
}

export const IDENTITY_TABLES = ['identity_edges', 'identities', 'profile_overrides', 'identity_merges', 'profile_traits'] as const;

const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

export function identityRows(events: EnrichedEvent[], resolutions: Resolution[], now = Date.now()): IdentityRows {
  const rows: IdentityRows = { identity_edges: [], identities: [], profile_overrides: [], identity_merges: [], profile_traits: [] };
  const at = chTime(now);
  events.forEach((e, n) => {
    const r = resolutions[n]!;
    if (r.suppressed) return;
    const timestamp = chTime(e.timestamp);
    const receivedAt = chTime(e.receivedAt);
    for (const [type, value, outcome, ordinal] of r.edges) {
      rows.identity_edges.push({ identifier_type: type, identifier: value, ordinal, message_id: e.messageId, source_id: e.sourceId, profile_id: r.profileId, outcome, seq: r.seq, timestamp, received_at: receivedAt });
    }
    for (const [type, value, profileId] of r.assignments) {
      rows.identities.push({ identifier_type: type, identifier: value, profile_id: profileId, version: r.seq });
    }
    for (const [oldId, newId] of r.overrides) {
      rows.profile_overrides.push({ old_profile_id: oldId, profile_id: newId, version: r.seq, merged_at: at });
    }
    const merge = (kind: string, from: string[], rule: string, type = '', value = '') =>
      rows.identity_merges.push({ kind, from_profiles: from, profile_id: r.profileId, rule, identifier_type: type, identifier: value, message_id: e.messageId, source_id: e.sourceId, seq: r.seq, at });
    for (const [from] of r.merges) merge('merge', [from], 'shared_identifier');
    for (const [type, value, rule, profiles] of r.refusals) merge('refused', profiles ? profiles.split(',') : [], rule, type, value);
    if (!r.profileId) return;
    // Traits: an identify call's own, and context.traits on any call; the latest by event time wins in the views.
    const traits = { ...obj(e.context.traits), ...(e.type === 'identify' ? e.traits : undefined) };
    for (const [trait, value] of Object.entries(traits)) {
      if (value === undefined) continue;
      rows.profile_traits.push({ profile_id: r.profileId, trait, value: typeof value === 'string' ? value : JSON.stringify(value), timestamp, message_id: e.messageId, received_at: receivedAt });
    }
  });
  return rows;
}
