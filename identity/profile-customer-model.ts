// Where a profile stands in the customer model (issues 14 and 15): its computed traits, lifecycle stage, value
// tier and loyalty level from the latest successful snapshots. The tables belong to the segments jobs, which
// identity may not import, so they are read here by their SQL names. A snapshot holds rows under the profile that survived
// when it was taken; a merged id is first moved to its survivor (profile-store.ts), whose rows are read.

export type ComputedTraitValue = number | string | string[] | null;

export interface ProfileComputedTrait {
  name: string;
  kind: string;
  value: ComputedTraitValue;
  /** The snapshot's as_of (ISO); null before the first successful `traits` run. */
  as_of: string | null;
}

export interface ProfileLifecycle {
  stage: string;
  /** When the profile entered the stage: the first snapshot of its unbroken run in it (ISO). */
  since: string;
  as_of: string;
}

export interface ProfileValueTier {
  tier: string;
  historical_value: number;
  predicted_value: number;
  as_of: string;
}

export interface ProfileLoyalty {
  level: string;
  points: number;
  as_of: string;
}

export interface ProfileCustomerModel {
  computed_traits: Record<string, ProfileComputedTrait>;
  /** Null when no lifecycle snapshot holds the profile. */
  lifecycle: ProfileLifecycle | null;
  /** Null when no value-tier snapshot holds the profile (prospects have no tier). */
  value_tier: ProfileValueTier | null;
  /** Null when no loyalty snapshot holds the profile (no order, no points). */
  loyalty: ProfileLoyalty | null;
}

type Rows = <T>(query: string, params: Record<string, unknown>) => Promise<T[]>;

interface TraitRow {
  trait_id: string;
  name: string;
  kind: string;
  value_number: number | null;
  value_string: string | null;
  value_list: string[];
  found: number;
  as_of: number | string | null;
}

// The kinds whose value is text, and the one whose value is a list; every other kind is a number.
const TEXT_KINDS = new Set(['first', 'last', 'most_frequent']);
const LIST_KIND = 'unique_list';
// Counting kinds: a profile with no matching event has no row, and counts 0.
const ZERO_WHEN_ABSENT = new Set(['count', 'unique_count']);

/** A computed trait's value as the API answers it, typed by its kind. */
export function computedTraitValue(row: Pick<TraitRow, 'kind' | 'value_number' | 'value_string' | 'value_list' | 'found'>): ComputedTraitValue {
  if (row.kind === LIST_KIND) return row.found ? row.value_list : [];
  if (!row.found) return ZERO_WHEN_ABSENT.has(row.kind) ? 0 : null;
  if (TEXT_KINDS.has(row.kind)) return row.value_string;
  return row.value_number === null ? null : Number(row.value_number);
}

const iso = (ms: unknown): string => new Date(Number(ms)).toISOString();

/**
 * The four figures of one surviving profile, one query per table, run together. Every current trait
 * definition is listed, with the profile's row of the latest `traits` snapshot when it has one.
 */
export async function profileCustomerModel(rows: Rows, database: string, survivor: string): Promise<ProfileCustomerModel> {
  const db = database;
  const params = { id: survivor };
  const [traits, lifecycle, tiers, loyalty] = await Promise.all([
    rows<TraitRow>(
      `SELECT d.trait_id AS trait_id, d.name AS name, d.kind AS kind, t.value_number AS value_number, t.value_string AS value_string,
              t.value_list AS value_list, t.found AS found,
              (SELECT toUnixTimestamp64Milli(maxOrNull(as_of)) FROM ${db}.job_runs FINAL WHERE job = 'traits' AND status = 'succeeded') AS as_of
       FROM ${db}.computed_trait_definitions_current AS d
       LEFT JOIN (SELECT trait_id, value_number, value_string, value_list, toUInt8(1) AS found FROM ${db}.computed_traits_current WHERE profile_id = {id:String}) AS t
         ON t.trait_id = d.trait_id
       ORDER BY d.trait_id`,
      params,
    ),
    rows<{ stage: string; since: unknown; as_of: unknown }>(
      `SELECT stage, toUnixTimestamp64Milli(since) AS since, toUnixTimestamp64Milli(as_of) AS as_of FROM ${db}.lifecycle_current WHERE profile_id = {id:String} LIMIT 1`,
      params,
    ),
    rows<{ tier: string; historical_value: unknown; predicted_value: unknown; as_of: unknown }>(
      `SELECT tier, toFloat64(historical_value) AS historical_value, predicted_value, toUnixTimestamp64Milli(as_of) AS as_of
       FROM ${db}.value_tiers_current WHERE profile_id = {id:String} LIMIT 1`,
      params,
    ),
    rows<{ level: string; balance: unknown; as_of: unknown }>(
      `SELECT level, balance, toUnixTimestamp64Milli(as_of) AS as_of FROM ${db}.loyalty_current WHERE profile_id = {id:String} LIMIT 1`,
      params,
    ),
  ]);
  const [stage] = lifecycle;
  const [tier] = tiers;
  const [member] = loyalty;
  return {
    computed_traits: Object.fromEntries(
      traits.map((t) => [t.trait_id, { name: t.name, kind: t.kind, value: computedTraitValue(t), as_of: t.as_of === null ? null : iso(t.as_of) }]),
    ),
    lifecycle: stage ? { stage: stage.stage, since: iso(stage.since), as_of: iso(stage.as_of) } : null,
    value_tier: tier ? { tier: tier.tier, historical_value: Number(tier.historical_value), predicted_value: Number(tier.predicted_value), as_of: iso(tier.as_of) } : null,
    loyalty: member ? { level: member.level, points: Number(member.balance), as_of: iso(member.as_of) } : null,
  };
}

/**
 * The customer model as the profile API answers it: each computed trait's value by id (as the audience API's
 * `traits=` answers one), the lifecycle stage with since, the tier's name, and the figures behind the tier.
 */
export interface ProfileModelReply {
  computed_traits: Record<string, ComputedTraitValue>;
  /** The `traits` snapshot the values come from; null before the job first ran. */
  computed_traits_as_of: string | null;
  lifecycle: ProfileLifecycle | null;
  value_tier: string | null;
  value_tier_figures: { historical_value: number; predicted_value: number; as_of: string } | null;
  loyalty: ProfileLoyalty | null;
}

export function profileModelReply(model: ProfileCustomerModel): ProfileModelReply {
  const traits = Object.entries(model.computed_traits);
  const tier = model.value_tier;
  return {
    computed_traits: Object.fromEntries(traits.map(([id, t]) => [id, t.value])),
    computed_traits_as_of: traits.find(([, t]) => t.as_of !== null)?.[1].as_of ?? null,
    lifecycle: model.lifecycle,
    value_tier: tier?.tier ?? null,
    value_tier_figures: tier ? { historical_value: tier.historical_value, predicted_value: tier.predicted_value, as_of: tier.as_of } : null,
    loyalty: model.loyalty,
  };
}
