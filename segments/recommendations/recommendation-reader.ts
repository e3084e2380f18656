import { profileIdsOf, survivingProfile } from '../../identity/surviving-profile.js';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';

export interface Recommendation {
  rank: number;
  product_id: string;
  score: number;
  /** `bought_with:<product_id>`, `viewed:<product_id>` or `popular`. */
  reason: string;
}

export interface ProfileRecommendations {
  profile_id: string;
  /** The id asked for, when it was merged into profile_id. */
  requested_profile_id?: string;
  /** The snapshot read (ISO); null before the job first ran. */
  as_of: string | null;
  recommendations: Recommendation[];
}

export interface RecommendationReader {
  /** The latest snapshot's list of a profile (a merged id reads its survivor's); undefined for an unknown profile. */
  forProfile(profileId: string): Promise<ProfileRecommendations | undefined>;
}

const latestAsOf = (db: string) => `(SELECT toUnixTimestamp64Milli(maxOrNull(as_of)) FROM ${db}.job_runs FINAL WHERE job = 'recommendations' AND status = 'succeeded')`;
const iso = (ms: string | number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** Reads recommendations_current; the snapshot holds rows under the profiles that survived when it ran. */
export function createRecommendationReader(clickhouse: ClickHouseClient, database: string): RecommendationReader {
  const db = database;
  const rows = async <T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> =>
    (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
  const asked = survivingProfile(db, 'p');

  return {
    async forProfile(profileId) {
      const [asking] = await rows<{ survivor: string }>(`SELECT ${asked.profileId} AS survivor FROM (SELECT {id:String} AS profile_id) AS p ${asked.join}`, { id: profileId });
      const survivor = asking?.survivor || profileId;
      // Known as the profile API knows a profile: it has events or identifiers.
      const [found] = await rows<{ known: number; as_of: string | null }>(
        `SELECT (SELECT count() FROM ${db}.profile_activity WHERE profile_id IN (${profileIdsOf(db, 'SELECT {id:String} AS profile_id')}))
                + (SELECT count() FROM ${db}.profile_identifiers WHERE profile_id = {id:String}) > 0 AS known,
                ${latestAsOf(db)} AS as_of`,
        { id: survivor },
      );
      if (!found || !Number(found.known)) return undefined;
      const list = await rows<Recommendation>(
        `SELECT rank, product_id, score, reason FROM ${db}.recommendations_current WHERE profile_id = {id:String} ORDER BY rank`,
        { id: survivor },
      );
      return {
        profile_id: survivor,
        ...(survivor !== profileId ? { requested_profile_id: profileId } : {}),
        as_of: iso(found.as_of),
        recommendations: list.map((r) => ({ rank: Number(r.rank), product_id: r.product_id, score: Number(r.score), reason: r.reason })),
      };
    },
  };
}
