import type { ProfileStore } from '../../identity/profile-store.js';
import { STAGE_MEANING, TIER_MEANING, type LifecycleStage, type ValueTier } from '../../segments/customer-states.js';
import type { CustomerEvent, CustomerView, SearchType } from './dashboard-types.js';
import { chMs } from '../clickhouse/ch-time.js';
import { num, type DashboardReader } from './reader.js';

type Found = Exclude<SearchType, 'auto'>;

/**
 * Which identifier kinds an "auto" search tries, in order. An email is only ever an email; anything else
 * may be a profile id, a user id, an anonymous id or a phone number. Each try reads the identities, so
 * shapes that cannot match are not tried.
 */
export function searchOrder(value: string, type: SearchType): Found[] {
  if (type !== 'auto') return [type];
  if (value.includes('@')) return ['email'];
  const order: Found[] = [];
  if (/^p_[0-9a-f]+$/.test(value)) order.push('profile_id');
  order.push('user_id', 'anonymous_id');
  if (/^[+(]?[\d\s().-]{7,}$/.test(value)) order.push('phone');
  return order;
}

/**
 * One customer for the dashboard: the profile API's view (with its computed traits, lifecycle stage and
 * value tier) plus segments, RFM, churn and recommendations; undefined if none.
 */
export async function findCustomer(
  read: DashboardReader,
  database: string,
  profiles: ProfileStore,
  search: { value: string; type: SearchType; events: number },
): Promise<CustomerView | undefined> {
  for (const type of searchOrder(search.value, search.type)) {
    const profileId = type === 'profile_id' ? search.value : await profiles.lookup(type, search.value);
    if (!profileId) continue;
    const profile = await profiles.get(profileId, search.events);
    if (!profile) continue;
    const id = profile.profile_id;
    const [segments, rfm, churn, recommendations, loyalty, entries] = await Promise.all([
      read<{ segment_id: string; name: string; since: unknown }>(
        `SELECT m.segment_id AS segment_id, s.name AS name, toUnixTimestamp64Milli(m.since) AS since
         FROM ${database}.segment_members_current AS m
         INNER JOIN ${database}.segments_current AS s ON s.segment_id = m.segment_id
         WHERE m.profile_id = {id:String} ORDER BY s.name LIMIT 1000`,
        { id },
      ),
      read<Record<string, unknown>>(
        `SELECT r, f, m, segment, recency_days, frequency, toFloat64(monetary) AS monetary FROM ${database}.rfm_current WHERE profile_id = {id:String} LIMIT 1`,
        { id },
      ),
      read<Record<string, unknown>>(
        `SELECT p_alive, churn_flag, rule_flag, expected_90d, clv FROM ${database}.churn_current WHERE profile_id = {id:String} LIMIT 1`,
        { id },
      ),
      read<{ rank: unknown; product_id: string; score: unknown; reason: string }>(
        `SELECT rank, product_id, score, reason FROM ${database}.recommendations_current WHERE profile_id = {id:String} ORDER BY rank`,
        { id },
      ),
      read<{ level: string; balance: unknown; expiring_30d: unknown; as_of: unknown }>(
        `SELECT level, balance, expiring_30d, toUnixTimestamp64Milli(as_of) AS as_of FROM ${database}.loyalty_current WHERE profile_id = {id:String} LIMIT 1`,
        { id },
      ),
      read<{ kind: string; points: unknown; status: string; occurred_at: unknown }>(
        `SELECT kind, points, status, toUnixTimestamp64Milli(occurred_at) AS occurred_at FROM ${database}.loyalty_ledger_current
         WHERE profile_id = {id:String} ORDER BY occurred_at DESC, entry_id DESC LIMIT 10`,
        { id },
      ),
    ]);
    const [l] = loyalty;
    const [r] = rfm;
    const [c] = churn;
    return {
      profile_id: id,
      matched: { type, value: search.value },
      ...(profile.requested_profile_id ? { requested_profile_id: profile.requested_profile_id } : {}),
      identifiers: profile.identifiers,
      traits: Object.entries(profile.traits).map(([trait, t]) => ({ trait, value: t.value, updated_at: chMs(t.updated_at) })),
      merges: profile.merges,
      segments: segments.map((s) => ({ segment_id: s.segment_id, name: s.name, since: num(s.since) })),
      rfm: r
        ? { r: num(r.r), f: num(r.f), m: num(r.m), segment: String(r.segment), recency_days: num(r.recency_days), frequency: num(r.frequency), monetary: num(r.monetary) }
        : null,
      loyalty: l
        ? {
            level: l.level,
            points: num(l.balance),
            expiring_30d: num(l.expiring_30d),
            as_of: num(l.as_of),
            entries: entries.map((e) => ({ kind: e.kind, points: num(e.points), status: e.status, occurred_at: num(e.occurred_at) })),
          }
        : null,
      churn: c ? { p_alive: num(c.p_alive), churn_flag: num(c.churn_flag), rule_flag: num(c.rule_flag), expected_90d: num(c.expected_90d), clv: num(c.clv) } : null,
      computed_traits: Object.entries(profile.computed_traits)
        .map(([traitId, t]) => ({ trait_id: traitId, name: t.name, kind: t.kind, value: t.value, as_of: t.as_of === null ? null : Date.parse(t.as_of) }))
        .sort((a, b) => a.name.localeCompare(b.name) || a.trait_id.localeCompare(b.trait_id)),
      lifecycle: profile.lifecycle
        ? { stage: profile.lifecycle.stage, meaning: STAGE_MEANING[profile.lifecycle.stage as LifecycleStage] ?? '', since: Date.parse(profile.lifecycle.since), as_of: Date.parse(profile.lifecycle.as_of) }
        : null,
      value_tier: profile.value_tier
        ? {
            tier: profile.value_tier.tier,
            meaning: TIER_MEANING[profile.value_tier.tier as ValueTier] ?? '',
            historical_value: profile.value_tier.historical_value,
            predicted_value: profile.value_tier.predicted_value,
            as_of: Date.parse(profile.value_tier.as_of),
          }
        : null,
      recommendations: recommendations.map((x) => ({ rank: num(x.rank), product_id: x.product_id, score: num(x.score), reason: x.reason })),
      events: profile.recent_events.map(toEvent),
    };
  }
  return undefined;
}

function toEvent(e: Record<string, unknown>): CustomerEvent {
  const revenue = e.revenue === null || e.revenue === undefined ? null : num(e.revenue);
  return {
    message_id: String(e.message_id ?? ''),
    type: String(e.type ?? ''),
    event: String(e.event ?? ''),
    name: String(e.name ?? ''),
    timestamp: chMs(e.timestamp),
    order_id: String(e.order_id ?? ''),
    revenue,
    currency: String(e.currency ?? ''),
    properties: (e.properties ?? {}) as Record<string, unknown>,
  };
}
