-- Analyst views over the stitched identity. The override table is small (one row per merged profile), so
-- applying it is a hash join against a few thousand rows at most; events are never rewritten.

CREATE VIEW IF NOT EXISTS {{database}}.profile_overrides_current AS
SELECT old_profile_id, argMax(profile_id, version) AS profile_id
FROM {{database}}.profile_overrides
GROUP BY old_profile_id;

-- Every event under its surviving profile; original_profile_id is the one it was loaded with.
CREATE VIEW IF NOT EXISTS {{database}}.events_resolved AS
SELECT e.* REPLACE (if(o.profile_id != '', o.profile_id, e.profile_id) AS profile_id), e.profile_id AS original_profile_id
FROM {{database}}.events AS e
LEFT JOIN {{database}}.profile_overrides_current AS o ON o.old_profile_id = e.profile_id;

-- One row per live identifier, under its surviving profile.
CREATE VIEW IF NOT EXISTS {{database}}.profile_identifiers AS
SELECT if(o.profile_id != '', o.profile_id, i.profile_id) AS profile_id, i.identifier_type AS identifier_type, i.identifier AS identifier
FROM
(
    SELECT identifier_type, identifier, argMax(profile_id, version) AS profile_id
    FROM {{database}}.identities
    GROUP BY identifier_type, identifier
) AS i
LEFT JOIN {{database}}.profile_overrides_current AS o ON o.old_profile_id = i.profile_id
WHERE i.profile_id != '';

-- The current value of each trait: the latest by event time, not by arrival.
CREATE VIEW IF NOT EXISTS {{database}}.profile_traits_current AS
SELECT
    if(o.profile_id != '', o.profile_id, t.profile_id) AS profile_id,
    t.trait AS trait,
    argMax(t.value, (t.timestamp, t.received_at)) AS value,
    max(t.timestamp) AS updated_at
FROM {{database}}.profile_traits AS t
LEFT JOIN {{database}}.profile_overrides_current AS o ON o.old_profile_id = t.profile_id
GROUP BY profile_id, trait;

CREATE VIEW IF NOT EXISTS {{database}}.profiles AS
SELECT
    s.profile_id AS profile_id,
    ids.identifiers AS identifiers,
    tr.traits AS traits,
    s.first_seen AS first_seen,
    s.last_seen AS last_seen,
    s.event_count AS event_count
FROM
(
    SELECT profile_id, min(timestamp) AS first_seen, max(timestamp) AS last_seen, count() AS event_count
    FROM {{database}}.events_resolved
    WHERE profile_id != ''
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
