import { profileIdsOf, survivingProfile } from '../../identity/surviving-profile.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import type { SqlRunner } from '../../pipeline/clickhouse/sql-runner.js';
import { compileTrait, traitQueryParams } from './compile-trait.js';
import { PreviewProfileNotFoundError } from './errors/preview-profile-not-found-error.js';
import type { TraitDefinition } from './trait-definition.js';
import { traitValue, type TraitRow, type TraitValue } from './trait-value.js';

export interface TraitPreview {
  /** The surviving profile: the one asked for, or the one it was merged into. */
  profile_id: string;
  requested_profile_id?: string;
  value: TraitValue;
  as_of: string;
  sql: string;
  params: Record<string, unknown>;
}

/**
 * A definition's value for one customer as of `asOf`, computed now from the events of every profile id that
 * reads as the customer's surviving profile (the same query the `traits` job runs, narrowed to those ids by
 * the events' primary key). Runs on the read-only SQL connection, within its limits.
 */
export async function previewTrait(deps: { sql: SqlRunner; database: string; timeZone: string }, definition: TraitDefinition, profileId: string, asOf: number): Promise<TraitPreview> {
  const db = deps.database;
  const asked = survivingProfile(db, 'p');
  const [found] = await deps.sql.run(`SELECT ${asked.profileId} AS survivor FROM (SELECT {id:String} AS profile_id) AS p ${asked.join}`, { id: profileId });
  const survivor = String(found?.survivor || profileId);
  const ids = [...new Set([survivor, ...(await deps.sql.run(profileIdsOf(db, 'SELECT {id:String} AS profile_id'), { id: survivor })).map((r) => String(r.profile_id))])];
  const [activity] = await deps.sql.run(`SELECT count() AS n FROM ${db}.profile_activity WHERE profile_id IN {ids:Array(String)}`, { ids });
  if (Number(activity?.n ?? 0) === 0) throw new PreviewProfileNotFoundError(profileId);

  const compiled = compileTrait(definition, { database: db, forProfiles: true });
  const rows = (await deps.sql.run(compiled.sql, traitQueryParams(compiled, chTime(asOf), deps.timeZone, ids))) as unknown as (TraitRow & { profile_id: string })[];
  return {
    profile_id: survivor,
    ...(survivor !== profileId ? { requested_profile_id: profileId } : {}),
    value: traitValue(definition.kind, rows.find((r) => r.profile_id === survivor)),
    as_of: new Date(asOf).toISOString(),
    sql: compiled.sql,
    params: compiled.params,
  };
}
