import { profilesWithEvents } from '../../identity/surviving-profile.js';
import { num, type DashboardReader } from './reader.js';

/**
 * Profiles with at least one event, counted as the `profiles` view counts them (loaded profiles of
 * profile_activity under their survivors) but without the view's joins to identifiers and traits.
 */
export async function profileCount(read: DashboardReader, database: string): Promise<number> {
  const [row] = await read<{ n: unknown }>(`SELECT count() AS n FROM (${profilesWithEvents(database)})`);
  return num(row?.n);
}
