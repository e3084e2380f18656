-- One row per loaded profile id (after background merges): first and last event and the event count, kept by a
-- materialised view as events are inserted. "Every profile" (the profiles view, the universe of segments
-- with `not`, the dashboard's count) is then about a million rows to read instead of every event. Rows are
-- under the profile an event was loaded with; readers move them to the survivor through the override table.
-- The backfill runs before the view exists: migrations run at start-up, before any loader inserts.
CREATE TABLE IF NOT EXISTS {{database}}.profile_activity
(
    profile_id   String,
    first_seen   SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen    SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    event_count  SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
ORDER BY profile_id;

INSERT INTO {{database}}.profile_activity (profile_id, first_seen, last_seen, event_count)
SELECT profile_id, min(timestamp), max(timestamp), count()
FROM {{database}}.events
WHERE profile_id != '' AND (SELECT count() FROM {{database}}.profile_activity) = 0
GROUP BY profile_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.profile_activity_mv TO {{database}}.profile_activity AS
SELECT profile_id, min(timestamp) AS first_seen, max(timestamp) AS last_seen, count() AS event_count
FROM {{database}}.events
WHERE profile_id != ''
GROUP BY profile_id;

CREATE OR REPLACE VIEW {{database}}.profiles AS
SELECT
    s.profile_id AS profile_id,
    ids.identifiers AS identifiers,
    tr.traits AS traits,
    s.first_seen AS first_seen,
    s.last_seen AS last_seen,
    s.event_count AS event_count
FROM
(
    SELECT if(o.profile_id != '', o.profile_id, a.profile_id) AS profile_id, min(a.first_seen) AS first_seen, max(a.last_seen) AS last_seen, sum(a.event_count) AS event_count
    FROM {{database}}.profile_activity AS a
    LEFT JOIN {{database}}.profile_overrides_current AS o ON o.old_profile_id = a.profile_id
    GROUP BY profile_id
) AS s
LEFT JOIN
(
    SELECT profile_id, groupArray(tuple(identifier_type, identifier)) AS identifiers
    FROM {{database}}.profile_identifiers
    GROUP BY profile_id
) AS ids ON ids.profile_id = s.profile_id
LEFT JOIN
(
    SELECT profile_id, CAST(groupArray(tuple(trait, value)), 'Map(String, String)') AS traits
    FROM {{database}}.profile_traits_current
    GROUP BY profile_id
) AS tr ON tr.profile_id = s.profile_id;
