import { grantedAllSql, latestConsentSql } from '../../identity/consent/latest-consent.js';
import { profileIdsOf, survivingProfile } from '../../identity/surviving-profile.js';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import type { TraitKind } from '../computed-traits/trait-definition.js';
import { traitValue, type TraitRow, type TraitValue } from '../computed-traits/trait-value.js';
import { committedSeqSql } from '../membership/committed-run.js';
import { LOYALTY_LEVEL_TRAIT, LOYALTY_POINTS_TRAIT, RECOMMENDATIONS_TRAIT } from './trait-selection.js';

export interface SegmentState {
  /** The latest committed run (0: none yet). Changes of later seqs are not exposed. */
  committedSeq: number;
}

export interface MemberRow {
  profile_id: string;
  /** When the profile last entered (epoch ms). */
  since_ms: number;
  /**
   * The selected traits the profile has, as [trait, value]: a profile trait's text, or a computed trait's
   * value (a selected name that is a computed trait's id), which every member has (0, [] or null without a row),
   * the recommended product ids (`recommendations`), which every member has too ([] without a row), or the
   * loyalty level and points (`loyalty_level`, `loyalty_points`: null and 0 without a row).
   */
  traits: [string, TraitValue][];
}

export interface ChangeRow {
  profile_id: string;
  change: 'entered' | 'exited';
  seq: number;
  as_of_ms: number;
}

export interface AudienceStore {
  /** Undefined when the segment is unknown or deleted. */
  segment(segmentId: string): Promise<SegmentState | undefined>;
  /**
   * Up to `limit` members as of committed run `seq`, with profile_id > `after`, by profile_id. A selected
   * trait name that is the id of a current computed trait reads that trait (computed_traits_current);
   * `recommendations` reads recommendations_current, `loyalty_level` and `loyalty_points` loyalty_current; any other names a profile trait. With `consent` categories, only the members who granted every one by
   * their latest statement up to the run's as_of.
   */
  members(segmentId: string, seq: number, after: string, limit: number, traits: readonly string[], consent: readonly string[]): Promise<MemberRow[]>;
  /** Up to `limit` changes of runs ≤ `committedSeq` after position (seq, profileId), by (seq, profile_id). */
  changes(segmentId: string, committedSeq: number, from: { seq: number; profileId: string }, limit: number): Promise<ChangeRow[]>;
}

/**
 * Reads audiences from the membership tables. `segment_membership` keeps the latest change per profile
 * (ReplacingMergeTree on seq), ordered by (segment_id, profile_id), so a page is a short in-order read with
 * FINAL. A listing is a snapshot at one committed seq: a profile whose latest row is newer than that seq
 * (a later run, or a run not committed yet) has its state at the snapshot rebuilt from `segment_changes`.
 */
export function createAudienceStore(clickhouse: ClickHouseClient, database: string): AudienceStore {
  const db = database;
  const rows = async <T>(query: string, params: Record<string, unknown>): Promise<T[]> =>
    (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();

  // The members who granted every category of {consent:Array(String)} by the run's as_of: the surviving
  // profiles that did, and the ids merged into them (a member's id is its survivor when the run was made).
  const runAsOf = `(SELECT any(as_of) FROM ${db}.segment_runs WHERE segment_id = {segment:String} AND seq = {seq:UInt64})`;
  const granted = profileIdsOf(db, grantedAllSql(latestConsentSql(db, ['c.category IN {consent:Array(String)}', `c.stated_at <= ${runAsOf}`]), '{consent:Array(String)}'));
  const consented = (consent: readonly string[]) => (consent.length > 0 ? ` AND profile_id IN (${granted})` : '');
  // Profiles whose latest membership row is at or below the snapshot: that row is their state at it.
  const settled = (consent: readonly string[]) => `
    SELECT profile_id, since
    FROM ${db}.segment_membership FINAL
    WHERE segment_id = {segment:String} AND profile_id > {after:String} AND seq <= {seq:UInt64} AND is_member = 1${consented(consent)}
    ORDER BY profile_id
    LIMIT {limit:UInt32}`;
  // Profiles changed after the snapshot: their last change at or below it, from the log.
  const rebuilt = (consent: readonly string[]) => `
    SELECT profile_id, argMax(as_of, seq) AS since
    FROM ${db}.segment_changes
    WHERE segment_id = {segment:String} AND seq <= {seq:UInt64} AND profile_id > {after:String}
      AND profile_id IN (SELECT profile_id FROM ${db}.segment_changes WHERE segment_id = {segment:String} AND seq > {seq:UInt64})${consented(consent)}
    GROUP BY profile_id
    HAVING argMax(change, seq) = 'entered'
    ORDER BY profile_id
    LIMIT {limit:UInt32}`;

  // The rule of the profile_traits_current view (latest value by (timestamp, received_at), under the
  // surviving profile of a merge), for the profiles of one page and the ids merged into them only, so that
  // the primary key of profile_traits is used: through the view, every page would aggregate the whole
  // traits table. The page's ids are its query again (a set), not parameters: no id list travels.
  const survivor = survivingProfile(db, 't');
  const traitsOfPage = (page: string) => `
    SELECT profile_id, trait, argMax(value, (timestamp, received_at)) AS value
    FROM
    (
        SELECT ${survivor.profileId} AS profile_id, t.trait AS trait, t.value AS value,
               t.timestamp AS timestamp, t.received_at AS received_at
        FROM ${db}.profile_traits AS t
        ${survivor.join}
        WHERE t.trait IN {traits:Array(String)}
          AND t.profile_id IN (${profileIdsOf(db, page)})
    )
    GROUP BY profile_id, trait`;

  return {
    async segment(segmentId) {
      const [found] = await rows<{ committed: string }>(
        `SELECT ${committedSeqSql(db, '{segment:String}')} AS committed
         FROM ${db}.segments_current WHERE segment_id = {segment:String}`,
        { segment: segmentId },
      );
      return found ? { committedSeq: Number(found.committed) } : undefined;
    },

    async members(segmentId, seq, after, limit, traits, consent) {
      const params = { segment: segmentId, seq, after, limit, traits, consent };
      if (seq === 0) return [];
      // Changes above the snapshot are rare (a run after the listing began, or one in flight): only then is
      // the log read.
      const [later] = await rows<{ n: string }>(
        `SELECT count() AS n FROM ${db}.segment_changes WHERE segment_id = {segment:String} AND seq > {seq:UInt64}`,
        params,
      );
      const page = Number(later!.n) === 0 ? settled(consent) : `SELECT * FROM ((${settled(consent)}) UNION ALL (${rebuilt(consent)})) ORDER BY profile_id LIMIT {limit:UInt32}`;
      const found = await rows<{ profile_id: string; since_ms: string }>(
        `SELECT profile_id, toUnixTimestamp64Milli(since) AS since_ms FROM (${page}) ORDER BY profile_id`,
        params,
      );
      const members: MemberRow[] = found.map((r) => ({ profile_id: r.profile_id, since_ms: Number(r.since_ms), traits: [] }));
      if (traits.length === 0 || members.length === 0) return members;
      const byId = new Map(members.map((m) => [m.profile_id, m]));
      const loyalty: string[] = traits.filter((t) => t === LOYALTY_LEVEL_TRAIT || t === LOYALTY_POINTS_TRAIT);
      const named = traits.filter((t) => t !== RECOMMENDATIONS_TRAIT && !loyalty.includes(t));
      const computed = new Map(
        (await rows<{ trait_id: string; kind: TraitKind }>(`SELECT trait_id, kind FROM ${db}.computed_trait_definitions_current WHERE trait_id IN {traits:Array(String)}`, { ...params, traits: named })).map((t) => [t.trait_id, t.kind]),
      );
      const profileTraits = named.filter((t) => !computed.has(t));
      if (profileTraits.length > 0) {
        const values = await rows<{ profile_id: string; trait: string; value: string }>(traitsOfPage(page), { ...params, traits: profileTraits });
        for (const v of values) byId.get(v.profile_id)?.traits.push([v.trait, v.value]);
      }
      if (computed.size > 0) {
        // The latest traits snapshot, for the page's profiles only (its primary key is as_of, trait, profile).
        const values = await rows<TraitRow & { profile_id: string; trait_id: string }>(
          `SELECT profile_id, trait_id, value_number, value_string, value_list FROM ${db}.computed_traits_current
           WHERE trait_id IN {computed:Array(String)} AND profile_id IN (SELECT profile_id FROM (${page}))`,
          { ...params, computed: [...computed.keys()] },
        );
        const byTrait = new Map(values.map((v) => [`${v.trait_id}\n${v.profile_id}`, v]));
        for (const m of members) for (const [trait, kind] of computed) m.traits.push([trait, traitValue(kind, byTrait.get(`${trait}\n${m.profile_id}`))]);
      }
      if (traits.includes(RECOMMENDATIONS_TRAIT)) {
        // The latest recommendations snapshot, for the page's profiles only (its primary key is as_of, profile, rank).
        const lists = await rows<{ profile_id: string; products: string[] }>(
          `SELECT profile_id, arrayMap(r -> r.2, arraySort(groupArray((rank, product_id)))) AS products FROM ${db}.recommendations_current
           WHERE profile_id IN (SELECT profile_id FROM (${page})) GROUP BY profile_id`,
          params,
        );
        const byProfile = new Map(lists.map((l) => [l.profile_id, l.products]));
        for (const m of members) m.traits.push([RECOMMENDATIONS_TRAIT, byProfile.get(m.profile_id) ?? []]);
      }
      if (loyalty.length > 0) {
        // The latest loyalty snapshot, for the page's profiles only (its primary key is as_of, profile).
        const standings = await rows<{ profile_id: string; level: string; balance: string }>(
          `SELECT profile_id, level, balance FROM ${db}.loyalty_current WHERE profile_id IN (SELECT profile_id FROM (${page}))`,
          params,
        );
        const byProfile = new Map(standings.map((s) => [s.profile_id, s]));
        for (const m of members) {
          const s = byProfile.get(m.profile_id);
          for (const t of loyalty) m.traits.push([t, t === LOYALTY_LEVEL_TRAIT ? (s?.level ?? null) : Number(s?.balance ?? 0)]);
        }
      }
      return members;
    },

    async changes(segmentId, committedSeq, from, limit) {
      const found = await rows<{ profile_id: string; change: 'entered' | 'exited'; seq: string; as_of_ms: string }>(
        `SELECT profile_id, change, seq, toUnixTimestamp64Milli(as_of) AS as_of_ms
         FROM ${db}.segment_changes
         WHERE segment_id = {segment:String} AND seq <= {committed:UInt64}
           AND seq >= {seq:UInt64} AND (seq > {seq:UInt64} OR profile_id > {profile:String})
         ORDER BY seq, profile_id
         LIMIT {limit:UInt32}`,
        { segment: segmentId, committed: committedSeq, seq: from.seq, profile: from.profileId, limit },
      );
      return found.map((r) => ({ profile_id: r.profile_id, change: r.change, seq: Number(r.seq), as_of_ms: Number(r.as_of_ms) }));
    },
  };
}
