import { profileIdsOf, survivingProfile } from '../../identity/surviving-profile.js';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import type { Config } from '../../pipeline/core/config.js';

export interface LedgerEntry {
  entry_id: string;
  kind: string;
  points: number;
  status: string;
  occurred_at: string;
  expires_at: string | null;
  order_id: string;
  message_id: string;
  reason: string;
}

export interface LoyaltyStanding {
  profile_id: string;
  /** The id asked for, when it was merged into profile_id. */
  requested_profile_id?: string;
  /** The snapshot read (ISO); null before the job first ran. */
  as_of: string | null;
  level: string;
  level_since: string | null;
  points: number;
  /** Net spend within LOYALTY_LEVEL_WINDOW_DAYS, which makes the level. */
  window_spend: number;
  expiring: { points: number; on: string }[];
  points_expiring_30d: number;
  next_level: { name: string; spend_needed: number } | null;
  /** The latest 50 ledger entries, newest first. */
  history: LedgerEntry[];
}

export interface LoyaltyReader {
  /** The surviving profile of an id the product knows (it has events or identifiers); undefined otherwise. */
  survivor(profileId: string): Promise<string | undefined>;
  /** The latest snapshot's standing and ledger of a profile (a merged id reads its survivor's); undefined for an unknown profile. */
  forProfile(profileId: string): Promise<LoyaltyStanding | undefined>;
}

const HISTORY = 50;
const iso = (ch: string | null) => (ch === null ? null : new Date(`${ch.replace(' ', 'T')}Z`).toISOString());

/** Reads loyalty_current and loyalty_ledger_current; the snapshot holds rows under the profiles that survived when it ran. */
export function createLoyaltyReader(clickhouse: ClickHouseClient, database: string, config: Pick<Config, 'LOYALTY_LEVELS'>): LoyaltyReader {
  const db = database;
  const rows = async <T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> =>
    (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
  const asked = survivingProfile(db, 'p');
  const levels = config.LOYALTY_LEVELS;

  async function survivor(profileId: string): Promise<string | undefined> {
    const [asking] = await rows<{ survivor: string }>(`SELECT ${asked.profileId} AS survivor FROM (SELECT {id:String} AS profile_id) AS p ${asked.join}`, { id: profileId });
    const id = asking?.survivor || profileId;
    // Known as the profile API knows a profile: it has events or identifiers.
    const [found] = await rows<{ known: number }>(
      `SELECT (SELECT count() FROM ${db}.profile_activity WHERE profile_id IN (${profileIdsOf(db, 'SELECT {id:String} AS profile_id')}))
              + (SELECT count() FROM ${db}.profile_identifiers WHERE profile_id = {id:String}) > 0 AS known`,
      { id },
    );
    return found && Number(found.known) ? id : undefined;
  }

  return {
    survivor,
    async forProfile(profileId) {
      const id = await survivor(profileId);
      if (id === undefined) return undefined;
      const [snapshot] = await rows<{ as_of: string | null }>(`SELECT maxOrNull(as_of) AS as_of FROM ${db}.job_runs FINAL WHERE job = 'loyalty' AND status = 'succeeded'`);
      const asOf = snapshot?.as_of ?? null;
      const [standing] = asOf === null ? [] : await rows<{ balance: string; level: string; level_since: string | null; window_spend: string; expiring_30d: string; expiring: { on: string; points: string }[] }>(
        `SELECT balance, level, level_since, window_spend, expiring_30d, expiring FROM ${db}.loyalty_standings WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND profile_id = {id:String}`,
        { id, as_of: asOf },
      );
      const history = asOf === null ? [] : await rows<LedgerEntry & { points: string }>(
        `SELECT entry_id, kind, points, status, occurred_at, expires_at, order_id, message_id, reason FROM ${db}.loyalty_ledger
         WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND profile_id = {id:String} ORDER BY occurred_at DESC, entry_id DESC LIMIT ${HISTORY}`,
        { id, as_of: asOf },
      );
      const spend = Number(standing?.window_spend ?? 0);
      const level = standing?.level ?? levels[0]!.name;
      const next = levels[levels.findIndex((l) => l.name === level) + 1];
      return {
        profile_id: id,
        ...(id !== profileId ? { requested_profile_id: profileId } : {}),
        as_of: iso(asOf),
        level,
        level_since: iso(standing?.level_since ?? null),
        points: Number(standing?.balance ?? 0),
        window_spend: spend,
        expiring: (standing?.expiring ?? []).map((e) => ({ points: Number(e.points), on: e.on })),
        points_expiring_30d: Number(standing?.expiring_30d ?? 0),
        next_level: next ? { name: next.name, spend_needed: Math.round((Number(next.threshold) - spend) * 1e4) / 1e4 } : null,
        history: history.map((h) => ({ ...h, points: Number(h.points), occurred_at: iso(h.occurred_at)!, expires_at: iso(h.expires_at) })),
      };
    },
  };
}
