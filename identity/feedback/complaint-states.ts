import { survivingProfile } from '../surviving-profile.js';

// Complaints as the shop tracks them: `Complaint Opened` (properties complaint_id, category, severity), then
// `Complaint Resolved` and `Complaint Reopened` with the same complaint_id. The one rule of a complaint's
// state, written here and read by the KPIs, the profile API, the segment language and the alerts.

export const COMPLAINT_EVENTS = ['Complaint Opened', 'Complaint Resolved', 'Complaint Reopened'] as const;

/** A property as text: strings as given, numbers and the rest as their JSON (a numeric complaint id reads as "17"). */
const text = (key: string) => `if(JSONType(properties, '${key}') = 'String', JSONExtractString(properties, '${key}'), JSONExtractRaw(properties, '${key}'))`;

/**
 * The complaint events up to `at` (an SQL expression of a DateTime64 instant), each message id once:
 * `complaint_id`, `event`, `timestamp`, `message_id`, `profile_id` (as loaded), `category`, `severity`. Events
 * without a complaint_id are left out.
 */
export function complaintEventsSql(database: string, at: string): string {
  return `SELECT complaint_id, any(e) AS event, min(t) AS timestamp, message_id, any(p) AS profile_id, any(c) AS category, any(s) AS severity
FROM
(
    SELECT ${text('complaint_id')} AS complaint_id, event AS e, timestamp AS t, message_id, profile_id AS p, ${text('category')} AS c, ${text('severity')} AS s
    FROM ${database}.events
    WHERE type = 'track' AND event IN ('Complaint Opened', 'Complaint Resolved', 'Complaint Reopened') AND timestamp <= ${at}
      AND JSONHas(properties, 'complaint_id') AND ${text('complaint_id')} NOT IN ('', 'null')
)
GROUP BY complaint_id, message_id`;
}

/**
 * Every complaint opened by `at`, as its events up to then (complaintEventsSql) leave it: `complaint_id`,
 * `profile_id` (the opener's, under its surviving profile), `category` and `severity` (of the first
 * `Complaint Opened`), `opened_at` (that event's time), `state` ('open' or 'resolved': its latest event, by
 * time then message id, is a resolution or not), `open_since` (the latest opening or reopening),
 * `resolved_at` (the latest resolution, NULL without one), `first_resolved_at` (the first resolution, NULL
 * without one), `reopened` (reopenings). Resolutions of a complaint never opened are left out.
 */
export function complaintStatesSql(database: string, at: string): string {
  const s = survivingProfile(database, 'c');
  const order = '(timestamp, message_id)';
  return `SELECT c.complaint_id AS complaint_id, ${s.profileId} AS profile_id, c.category AS category, c.severity AS severity,
       c.opened_at AS opened_at, if(c.last_event = 'Complaint Resolved', 'resolved', 'open') AS state, c.open_since AS open_since,
       c.resolved_at AS resolved_at, c.first_resolved_at AS first_resolved_at, c.reopened AS reopened
FROM
(
    SELECT complaint_id,
           argMinIf(profile_id, ${order}, event = 'Complaint Opened') AS profile_id,
           argMinIf(category, ${order}, event = 'Complaint Opened') AS category,
           argMinIf(severity, ${order}, event = 'Complaint Opened') AS severity,
           minIf(timestamp, event = 'Complaint Opened') AS opened_at,
           argMax(event, ${order}) AS last_event,
           maxIf(timestamp, event != 'Complaint Resolved') AS open_since,
           maxIf(toNullable(timestamp), event = 'Complaint Resolved') AS resolved_at,
           minIf(toNullable(timestamp), event = 'Complaint Resolved') AS first_resolved_at,
           countIf(event = 'Complaint Reopened') AS reopened
    FROM (${complaintEventsSql(database, at)})
    GROUP BY complaint_id
    HAVING countIf(event = 'Complaint Opened') > 0
) AS c
${s.join}`;
}
