import { num, type DashboardReader } from './reader.js';

/**
 * Profiles with at least one event, counted as the `profiles` view counts them (loaded profiles of
 * profile_activity under their survivors) but without the view's joins to identifiers and traits.
 */
export async function profileCount(read: DashboardReader, database: string): Promise<number> {
  const [row] = await read<{ n: unknown }>(
    `SELECT uniqExact(if(o.profile_id != '', o.profile_id, a.profile_id)) AS n
     FROM (SELECT DISTINCT profile_id FROM ${database}.profile_activity) AS a
     LEFT JOIN ${database}.profile_overrides_current AS o ON o.old_profile_id = a.profile_id`,
  );
  return num(row?.n);
}
