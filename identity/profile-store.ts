import { createHash, randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';
import { chTime } from '../pipeline/clickhouse/ch-time.js';
import type { LoadQueue } from '../pipeline/redis/load-queue.js';
import type { Logger } from '../pipeline/core/logger.js';
import { readConsentStatements, type ConsentStatement } from './consent/profile-consent-reader.js';
import { readProfileFeedback, type ProfileFeedback } from './feedback/profile-feedback.js';
import { erasureTargets, schemaColumns, type ErasureParams } from './erasure-targets.js';
import { profileCustomerModel, type ProfileCustomerModel } from './profile-customer-model.js';
import { profileIdsOf, survivingProfile } from './surviving-profile.js';
import { profileKeys, type IdentityGraphKeys } from '../pipeline/redis/key-names.js';
import { loadLuaScript } from '../pipeline/redis/lua-script.js';
import { normalizeEmail, normalizePhone, type IdentityRules } from './identifiers.js';
import { deletionKeys, queueMatcher, redactQueuedJobs } from './queued-redaction.js';
import { SUPPRESSION_SCHEME, type SuppressionHasher } from './suppression-hash.js';
import type { RedisClient } from '../pipeline/redis/connection.js';

const DELETE_SCRIPT = { file: 'identity/lua/delete-profile.lua', keys: 6 };
const SEP = '\u001f';

export interface Profile extends ProfileCustomerModel, ProfileFeedback {
  profile_id: string;
  /** Set when the id asked for was merged into this profile. */
  requested_profile_id?: string;
  identifiers: { type: string; value: string }[];
  traits: Record<string, { value: string; updated_at: string }>;
  merges: Record<string, unknown>[];
  recent_events: Record<string, unknown>[];
  /** The latest statement per category, merged profiles included. */
  consent: Record<string, ConsentStatement>;
}

export interface DeletionResult {
  deletion_id: string;
  profiles: number;
  identifiers: number;
  /** The customer's events taken out of load jobs not yet loaded (dead letters, delayed, waiting). */
  queued_events: number;
  /** The customer's refused items taken out of load jobs not yet loaded. */
  queued_rejected: number;
  /**
   * Load jobs still being loaded when the wait for them ended: rows of the customer they resolved before
   * the suppression and insert afterwards remain; delete the profile again once they are done.
   */
  unfinished_load_jobs: number;
}

/** What a deletion needs beyond the tables: the keyed hashes, and the load queue to clear. */
export interface DeletionDeps {
  hasher: SuppressionHasher;
  rules: IdentityRules;
  queue: LoadQueue;
  /** How long to wait for load jobs being loaded before deleting from ClickHouse. */
  activeWaitMs: number;
  /**
   * Takes the customer's events, by the profile ids they were loaded under, out of the event destinations'
   * queues and dead letters (pipeline/destinations/destination-redaction.ts); answers how many.
   */
  outgoing?: (profiles: string[]) => Promise<number>;
  /** Ends the customer's journey instances and removes their pending steps and goal watches (journeys/journey-redaction.ts); answers how many instances. */
  journeys?: (profiles: string[]) => Promise<number>;
  /** Forgets what else is kept of the customer in Redis by their profile ids (the messages' frequency counts). */
  forget?: (profiles: string[]) => Promise<void>;
  log: Logger;
}

// Attempts at suppressing a profile whose identifiers keep changing under the deletion (events of the
// customer resolving at that very moment); each attempt adds the identifiers that arrived meanwhile.
const SUPPRESS_ATTEMPTS = 20;

export interface ProfileStore {
  get(profileId: string, eventLimit: number): Promise<Profile | undefined>;
  /** The profile holding an identifier (email and phone normalised as at load time). */
  lookup(type: string, value: string): Promise<string | undefined>;
  delete(profileId: string, requestedBy: string): Promise<DeletionResult | undefined>;
}

/**
 * identity/lua/delete-profile.lua on a connection: called with a profile id and its identifiers, each followed
 * by its keyed hash; answers [1, identifiers, profiles merged into it] or [0, identifiers not given].
 */
export function deleteProfileScript(redis: RedisClient, graph: IdentityGraphKeys) {
  const script = loadLuaScript<[1, string[], string[]] | [0, string[]]>(redis, DELETE_SCRIPT);
  return (profileId: string, identifiersAndHashes: string[]) => {
    const own = profileKeys(graph, profileId);
    return script([graph.index, graph.suppressed, graph.created, own.identifiers, own.counts, own.merged], [profileId, ...identifiersAndHashes]);
  };
}

/**
 * Reads and deletes stitched profiles. Reads go to the identity views; a deletion first removes the profile
 * from the live graph and suppresses its identifiers (Redis, atomic), then takes the customer out of the load
 * jobs not loaded yet (identity/queued-redaction.ts), then deletes every row that holds the profile or its
 * identifiers from every table (ClickHouse mutations, waited for), and records the deletion without the
 * personal data.
 */
export function createProfileStore(clickhouse: ClickHouseClient, redis: RedisClient, database: string, graph: IdentityGraphKeys, deps: DeletionDeps): ProfileStore {
  const db = database;
  const deleteFromGraph = deleteProfileScript(redis, graph);

  /**
   * Removes the profile from the live graph and suppresses its identifiers (Redis, atomic). The keyed
   * hashes are made here, so the script is handed every identifier with its hash; when the profile gained
   * one in between, the script does nothing and names it, and the call is made again with it.
   */
  async function deleteLive(profileId: string, known: string[]): Promise<[string[], string[]]> {
    const members = new Set([...known, ...(await redis.smembers(profileKeys(graph, profileId).identifiers))]);
    for (let attempt = 0; attempt < SUPPRESS_ATTEMPTS; attempt++) {
      const args = [...members].flatMap((m) => {
        const cut = m.indexOf(SEP);
        return [m, deps.hasher.of(m.slice(0, cut), m.slice(cut + 1))];
      });
      const result = await deleteFromGraph(profileId, args);
      if (result[0] === 1) return [result[1], result[2]];
      for (const m of result[1]) members.add(m);
    }
    throw new Error(`profile ${profileId} kept gaining identifiers during its deletion; try again`);
  }

  const rows = async <T>(query: string, params: Record<string, unknown>): Promise<T[]> =>
    (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();

  /** The surviving profile of an id (itself unless it was merged), and every id that now reads as it. */
  async function family(profileId: string): Promise<{ survivor: string; ids: string[] }> {
    const asked = survivingProfile(db, 'p');
    const [row] = await rows<{ survivor: string }>(`SELECT ${asked.profileId} AS survivor FROM (SELECT {id:String} AS profile_id) AS p ${asked.join}`, { id: profileId });
    const survivor = row?.survivor || profileId;
    const members = await rows<{ profile_id: string }>(profileIdsOf(db, 'SELECT {id:String} AS profile_id'), { id: survivor });
    return { survivor, ids: [...new Set([survivor, ...members.map((m) => m.profile_id)])] };
  }

  return {
    async get(profileId, eventLimit) {
      const { survivor, ids } = await family(profileId);
      const identifiers = await rows<{ type: string; value: string }>(
        `SELECT identifier_type AS type, identifier AS value FROM ${db}.profile_identifiers WHERE profile_id = {id:String} ORDER BY type, value`,
        { id: survivor },
      );
      const events = await rows<Record<string, unknown>>(
        `SELECT message_id, type, event, name, timestamp, received_at, source_id, profile_id AS original_profile_id, order_id, revenue, currency, properties
         FROM ${db}.events WHERE profile_id IN {ids:Array(String)} ORDER BY timestamp DESC LIMIT {limit:UInt32}`,
        { ids, limit: eventLimit },
      );
      if (identifiers.length === 0 && events.length === 0) return undefined;
      const [traits, merges, model, consent, feedback] = await Promise.all([
        rows<{ trait: string; value: string; updated_at: string }>(
          `SELECT trait, value, updated_at FROM ${db}.profile_traits_current WHERE profile_id = {id:String} ORDER BY trait`,
          { id: survivor },
        ),
        rows<Record<string, unknown>>(
          `SELECT kind, from_profiles, profile_id, rule, identifier_type, identifier, message_id, at
           FROM ${db}.identity_merges FINAL
           WHERE profile_id IN {ids:Array(String)} OR hasAny(from_profiles, {ids:Array(String)}) ORDER BY seq`,
          { ids },
        ),
        profileCustomerModel(rows, db, survivor),
        readConsentStatements(clickhouse, db, ids),
        readProfileFeedback(clickhouse, db, ids),
      ]);
      return {
        profile_id: survivor,
        ...(survivor !== profileId ? { requested_profile_id: profileId } : {}),
        identifiers,
        traits: Object.fromEntries(traits.map((t) => [t.trait, { value: t.value, updated_at: t.updated_at }])),
        merges,
        recent_events: events.map((e) => ({ ...e, properties: JSON.parse(String(e.properties)) })),
        consent,
        ...feedback,
        ...model,
      };
    },

    async lookup(type, value) {
      const normalized = type === 'email' ? normalizeEmail(value) : type === 'phone' ? normalizePhone(value) : value;
      if (!normalized) return undefined;
      const [row] = await rows<{ profile_id: string }>(
        `SELECT profile_id FROM ${db}.profile_identifiers WHERE identifier_type = {type:String} AND identifier = {value:String} LIMIT 1`,
        { type, value: normalized },
      );
      return row?.profile_id;
    },

    async delete(profileId, requestedBy) {
      const { survivor, ids } = await family(profileId);
      const known = await rows<{ type: string; value: string }>(
        `SELECT identifier_type AS type, identifier AS value FROM ${db}.profile_identifiers WHERE profile_id = {id:String}`,
        { id: survivor },
      );
      const [members, merged] = await deleteLive(survivor, known.map((k) => `${k.type}${SEP}${k.value}`));
      const profiles = [...new Set([...ids, ...merged])];
      const keys = [...new Set(members)];
      if (keys.length === 0 && profiles.length === 1) {
        const [any] = await rows<{ n: string }>(`SELECT count() AS n FROM ${db}.events WHERE profile_id = {id:String}`, { id: survivor });
        if (Number(any?.n ?? 0) === 0) return undefined;
      }
      const pairs = keys.map((k) => k.split(SEP) as [string, string]);
      const userIds = pairs.filter(([t]) => t === 'user_id').map(([, v]) => v);
      const anonymousIds = pairs.filter(([t]) => t === 'anonymous_id').map(([, v]) => v);
      // Identifiers are suppressed: from here on no load can add the customer's events to ClickHouse, except
      // jobs resolved before, which the queue redaction waits for. Then the jobs not loaded yet are cleared.
      const queued = keys.length > 0 ? await redactQueuedJobs(deps.queue, redis, queueMatcher(keys, deps.rules), deps.activeWaitMs) : undefined;
      if (queued && queued.stillActive > 0) {
        deps.log.warn({ jobs: queued.stillActive }, 'load jobs still being loaded after the wait: rows of the deleted customer they insert later remain until the profile is deleted again');
      }
      if (queued && (queued.events > 0 || queued.rejected > 0 || queued.scrubbedFailures > 0)) deps.log.info({ ...queued }, 'deleted customer taken out of the load queue');
      // After the load queue: the jobs loaded meanwhile have sent their events on to the destinations' queues.
      const outgoing = deps.outgoing ? await deps.outgoing(profiles) : 0;
      if (outgoing > 0) deps.log.info({ events: outgoing }, 'deleted customer taken out of the event destinations\' queues');
      // Before the tables: a step that runs meanwhile finds its instance gone and records nothing more.
      const instances = deps.journeys ? await deps.journeys(profiles) : 0;
      if (instances > 0) deps.log.info({ instances }, 'deleted customer taken out of the journeys');
      await deps.forget?.(profiles);
      // Every table holding a customer column, as the schema lists them (identity/erasure-targets.ts):
      // events are matched by profile and by identifier, so a customer's events loaded under no profile,
      // or dated in the future (other partitions), go too; refused events by the identifiers kept with them.
      const params: ErasureParams = { profiles, keys, userIds, anonymousIds, refusedKeys: deletionKeys(keys), needles: pairs.map(([, v]) => JSON.stringify(v)) };
      for (const { table, where } of erasureTargets(await schemaColumns(clickhouse, db), params)) {
        await clickhouse.command({ query: `ALTER TABLE ${db}.\`${table}\` DELETE WHERE ${where}`, query_params: { ...params }, clickhouse_settings: { mutations_sync: '2' } });
      }
      const now = chTime(Date.now());
      if (keys.length > 0) {
        await clickhouse.insert({
          table: `${db}.suppressed_identifiers`,
          values: pairs.map(([t, v]) => ({ identifier_hash: deps.hasher.of(t, v), suppressed_at: now, scheme: SUPPRESSION_SCHEME })),
          format: 'JSONEachRow',
        });
      }
      const deletion: DeletionResult = {
        deletion_id: randomUUID(),
        profiles: profiles.length,
        identifiers: keys.length,
        queued_events: queued?.events ?? 0,
        queued_rejected: queued?.rejected ?? 0,
        unfinished_load_jobs: queued?.stillActive ?? 0,
      };
      await clickhouse.insert({
        table: `${db}.profile_deletions`,
        values: [{ deletion_id: deletion.deletion_id, profiles: deletion.profiles, identifiers: deletion.identifiers, profile_hash: createHash('sha256').update(survivor).digest('hex'), requested_by: requestedBy, deleted_at: now }],
        format: 'JSONEachRow',
      });
      return deletion;
    },
  };
}
