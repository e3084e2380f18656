import { survivingProfile } from '../surviving-profile.js';

// The one rule of a profile's preference in a category, in SQL: its latest statement by event time (ties:
// the larger message id, so two statements in one millisecond always give the same answer), taken over the
// rows of every profile merged into it. The view profile_consent_current (migration 0015) spells the same
// rule: an applied migration is never edited, so it keeps its own copy.

/**
 * Each surviving profile's latest preference per category over the profile_consent rows (alias `c`) that
 * `where` keeps: columns profile_id (the survivor), category, granted, stated_at, message_id.
 */
export function latestConsentSql(database: string, where: string[]): string {
  const s = survivingProfile(database, 'c');
  return `SELECT survivor AS profile_id, category, argMax(stated, (at, mid)) AS granted, max(at) AS stated_at, argMax(mid, (at, mid)) AS message_id
FROM (SELECT ${s.profileId} AS survivor, c.category AS category, c.granted AS stated, c.stated_at AS at, c.message_id AS mid
      FROM ${database}.profile_consent AS c
      ${s.join}${where.length > 0 ? `\n      WHERE ${where.join(' AND ')}` : ''})
GROUP BY survivor, category`;
}

/** The surviving profiles that granted every one of the categories `categories` (an Array(String) parameter) in `latest` (a latestConsentSql query). */
export function grantedAllSql(latest: string, categories: string): string {
  return `SELECT profile_id FROM (${latest}) WHERE category IN ${categories} GROUP BY profile_id HAVING countIf(granted) = length(${categories})`;
}
