import { survivingProfile } from '../surviving-profile.js';

// NPS from `Survey Responded` track events with properties.survey = "nps" and properties.score an integer
// from 0 to 10 (a number or a numeric string; anything else is not an answer). The one rule of an answer and
// its group, read by the KPIs, the profile API, the segment language and the alerts.

export const NPS_GROUPS = ['promoter', 'passive', 'detractor'] as const;
export type NpsGroup = (typeof NPS_GROUPS)[number];

/** The group of a score (an SQL expression): promoters 9–10, passives 7–8, detractors 0–6. */
export const npsGroupSql = (score: string) => `multiIf(${score} >= 9, 'promoter', ${score} >= 7, 'passive', 'detractor')`;

/**
 * Every NPS answer the events hold (each message id once) that `where` keeps (conditions on the events'
 * columns, e.g. on `timestamp`): `profile_id` (under its surviving profile), `score`, `answered_at`,
 * `message_id`.
 */
export function npsAnswersSql(database: string, where: string[]): string {
  const s = survivingProfile(database, 'a');
  const score = `toFloat64OrNull(if(JSONType(properties, 'score') = 'String', JSONExtractString(properties, 'score'), JSONExtractRaw(properties, 'score')))`;
  return `SELECT ${s.profileId} AS profile_id, a.score AS score, a.answered_at AS answered_at, a.message_id AS message_id
FROM
(
    SELECT message_id, any(profile_id) AS profile_id, any(s) AS score, min(timestamp) AS answered_at
    FROM (SELECT message_id, profile_id, timestamp, ${score} AS s FROM ${database}.events
          WHERE type = 'track' AND event = 'Survey Responded' AND lowerUTF8(JSONExtractString(properties, 'survey')) = 'nps' AND profile_id != ''${where.map((w) => ` AND ${w}`).join('')})
    WHERE s IS NOT NULL AND s = floor(s) AND s BETWEEN 0 AND 10
    GROUP BY message_id
) AS a
${s.join}`;
}
