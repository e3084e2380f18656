import { num, type DashboardReader } from './reader.js';

/**
 * Profiles with at least one event, counted as the `profiles` view counts them (surviving profiles of
 * events_resolved) but without the view's joins to identifiers and traits, which a count does not need.
 */
export async function profileCount(read: DashboardReader, database: string): Promise<number> {
  const [row] = await read<{ n: unknown }>(`SELECT uniqExact(profile_id) AS n FROM ${database}.events_resolved WHERE profile_id != ''`);
  return num(row?.n);
}
