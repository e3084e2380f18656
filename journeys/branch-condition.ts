import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';
import { chTime } from '../pipeline/clickhouse/ch-time.js';
import { survivingProfile } from '../identity/surviving-profile.js';
import { compileConditions, queryParams } from '../segments/definition/compile-conditions.js';
import type { Condition } from '../segments/definition/segment-definition.js';

/**
 * Whether one profile meets a segment-language condition now: the segment's compiled member query (which
 * answers surviving profiles) narrowed to the profile's survivor, so a branch decides as a segment run would.
 */
export async function meetsCondition(clickhouse: ClickHouseClient, database: string, timeZone: string, condition: Condition, profileId: string, now: number): Promise<boolean> {
  const compiled = compileConditions(condition, { database });
  const s = survivingProfile(database, 'asked');
  const query = `SELECT count() AS n FROM (${compiled.sql})
WHERE profile_id = (SELECT ${s.profileId} FROM (SELECT {journey_profile:String} AS profile_id) AS asked ${s.join})`;
  const rs = await clickhouse.query({ query, query_params: { ...queryParams(compiled, chTime(now), timeZone), journey_profile: profileId }, format: 'JSONEachRow' });
  const [row] = await rs.json<{ n: string | number }>();
  return Number(row?.n ?? 0) > 0;
}
