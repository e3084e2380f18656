import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';

// The surviving-profile rule in SQL: a merged profile reads as the profile it was merged into. Rows keep
// the profile id they were loaded with; profile_overrides (read through profile_overrides_current, one hop,
// latest version) maps each merged id to its survivor, and readers apply it as they read. Every query of
// the product that reads a row "under its surviving profile" builds it here. The analyst views of
// sql/migrations/0004_identity_views.sql and 0009_profile_activity.sql spell the same rule: an applied
// migration is never edited (its checksum is recorded), so those keep their own copy.

export interface SurvivingProfile {
  /** The expression of the surviving profile id of the row `alias`. */
  profileId: string;
  /** The LEFT JOIN that brings in the row's override; goes after `FROM <source> AS <alias>`. */
  join: string;
}

/**
 * The surviving profile of the rows `alias` (which have a `profile_id` column). With no override the join
 * leaves the override's profile_id empty (ClickHouse's default for a missed LEFT JOIN), and the row's own
 * id stands. `override` names the joined override, for a query that joins it twice.
 */
export function survivingProfile(database: string, alias: string, override = 'o'): SurvivingProfile {
  return {
    profileId: `if(${override}.profile_id != '', ${override}.profile_id, ${alias}.profile_id)`,
    join: `LEFT JOIN ${database}.profile_overrides_current AS ${override} ON ${override}.old_profile_id = ${alias}.profile_id`,
  };
}

/**
 * Every profile with at least one event, once, under its survivor: the loaded profile ids of profile_activity
 * (one row per loaded id, not one per event) moved to their survivors. The `profiles` view counts the same
 * profiles, with joins to identifiers and traits this does not need.
 */
export function profilesWithEvents(database: string): string {
  const s = survivingProfile(database, 'a');
  return `SELECT DISTINCT ${s.profileId} AS profile_id
FROM (SELECT DISTINCT profile_id FROM ${database}.profile_activity) AS a
${s.join}`;
}

/** The profile ids that read as one of `survivors` (a query of profile_id): each survivor and the ids merged into it. */
export function profileIdsOf(database: string, survivors: string): string {
  return `SELECT profile_id FROM (${survivors})
UNION ALL
SELECT old_profile_id FROM ${database}.profile_overrides_current WHERE profile_id IN (SELECT profile_id FROM (${survivors}))`;
}

/** The surviving profile of one profile id: itself unless it was merged into another. */
export async function readSurvivor(clickhouse: ClickHouseClient, database: string, profileId: string): Promise<string> {
  const s = survivingProfile(database, 'p');
  const rs = await clickhouse.query({ query: `SELECT ${s.profileId} AS survivor FROM (SELECT {id:String} AS profile_id) AS p ${s.join}`, query_params: { id: profileId }, format: 'JSONEachRow' });
  const [row] = await rs.json<{ survivor: string }>();
  return row?.survivor || profileId;
}
