import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { profileIdsOf, survivingProfile } from '../surviving-profile.js';
import type { ConsentPreferences } from './consent-preferences.js';
import { latestConsentSql } from './latest-consent.js';

/**
 * The latest preference per category of each of `profileIds` (loaded profile ids), under their surviving
 * profiles: a merged profile answers its survivor's preferences, the most recent statement (by event
 * timestamp; ties by the larger message id) of any profile merged into it winning. A profile with no
 * statement is absent from the map. One query, over profile_consent_latest (one row per loaded profile and
 * category, read by its primary key) rather than every statement.
 */
export async function readProfileConsent(clickhouse: ClickHouseClient, database: string, profileIds: readonly string[]): Promise<Map<string, ConsentPreferences>> {
  const ids = [...new Set(profileIds.filter((id) => id !== ''))];
  if (ids.length === 0) return new Map();
  const s = survivingProfile(database, 'l');
  const loaded = `SELECT l.profile_id AS loaded_id, ${s.profileId} AS survivor FROM (SELECT arrayJoin({ids:Array(String)}) AS profile_id) AS l ${s.join}`;
  const family = profileIdsOf(database, `SELECT survivor AS profile_id FROM (${loaded})`);
  // Each loaded id's latest (stated_at, message_id, granted), then the latest of them per survivor: by
  // tuple order, the same rule as latestConsentSql over every statement.
  const k = survivingProfile(database, 'k');
  const latest = `SELECT survivor AS profile_id, category, tupleElement(max(statement), 3) AS granted
FROM (SELECT ${k.profileId} AS survivor, k.category AS category, k.statement AS statement
      FROM (SELECT profile_id, category, max(latest) AS statement FROM ${database}.profile_consent_latest
            WHERE profile_id IN (${family}) GROUP BY profile_id, category) AS k
      ${k.join})
GROUP BY survivor, category`;
  const rs = await clickhouse.query({
    query: `SELECT l.loaded_id AS loaded_id, c.category AS category, c.granted AS granted
FROM (${loaded}) AS l
INNER JOIN (${latest}) AS c ON c.profile_id = l.survivor`,
    query_params: { ids },
    format: 'JSONEachRow',
  });
  const out = new Map<string, ConsentPreferences>();
  for (const row of await rs.json<{ loaded_id: string; category: string; granted: boolean }>()) {
    const prefs = out.get(row.loaded_id) ?? {};
    prefs[row.category] = row.granted === true;
    out.set(row.loaded_id, prefs);
  }
  return out;
}

/** A category's latest statement, as the profile API answers it. */
export interface ConsentStatement {
  granted: boolean;
  /** The stating event's timestamp (ISO). */
  stated_at: string;
  message_id: string;
}

/** The latest statement per category of the profile whose ids (the survivor and every id merged into it) are `ids`. */
export async function readConsentStatements(clickhouse: ClickHouseClient, database: string, ids: readonly string[]): Promise<Record<string, ConsentStatement>> {
  const rs = await clickhouse.query({
    query: `SELECT category, granted, toUnixTimestamp64Milli(stated_at) AS stated_ms, message_id
FROM (${latestConsentSql(database, ['c.profile_id IN {ids:Array(String)}'])})
ORDER BY category`,
    query_params: { ids },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ category: string; granted: boolean; stated_ms: string; message_id: string }>();
  return Object.fromEntries(rows.map((r) => [r.category, { granted: r.granted === true, stated_at: new Date(Number(r.stated_ms)).toISOString(), message_id: r.message_id }]));
}
