-- Consent as events state it (Segment's consent spec: context.consent.categoryPreferences): one row per
-- category an accepted event states, loaded with the event under the profile it resolved to
-- (identity/consent/). A profile's preference in a category is its latest statement by event time (ties:
-- the larger message id), merged profiles included; with no statement a category counts as not granted.
CREATE TABLE IF NOT EXISTS {{database}}.profile_consent
(
    profile_id   String,
    category     String,
    granted      Bool,
    message_id   String,
    source_id    LowCardinality(String),
    stated_at    DateTime64(3, 'UTC'),   -- the event's timestamp
    received_at  DateTime64(3, 'UTC'),
    loaded_at    DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (profile_id, category, message_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- Each surviving profile's latest preference per category, with the statement it comes from.
CREATE VIEW IF NOT EXISTS {{database}}.profile_consent_current AS
SELECT
    if(o.profile_id != '', o.profile_id, c.profile_id) AS profile_id,
    c.category AS category,
    argMax(c.granted, (c.stated_at, c.message_id)) AS granted,
    max(c.stated_at) AS stated_at,
    argMax(c.message_id, (c.stated_at, c.message_id)) AS message_id
FROM {{database}}.profile_consent AS c
LEFT JOIN {{database}}.profile_overrides_current AS o ON o.old_profile_id = c.profile_id
GROUP BY profile_id, category;

-- Each loaded profile's latest statement per category, kept by a materialised view as statements are loaded:
-- what the destinations read for every load group (identity/consent/profile-consent-reader.ts) is then one
-- row per profile and category after merges, however many events stated it (the snippet states consent on
-- every event). The max of (stated_at, message_id, granted) is the rule itself: the latest by event time, ties
-- by the larger message id. Conditions and audiences as of a date read profile_consent, which keeps every statement.
CREATE TABLE IF NOT EXISTS {{database}}.profile_consent_latest
(
    profile_id  String,
    category    String,
    latest      SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), String, Bool))
)
ENGINE = AggregatingMergeTree
ORDER BY (profile_id, category);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.profile_consent_latest_mv TO {{database}}.profile_consent_latest AS
SELECT profile_id, category, max((stated_at, message_id, granted)) AS latest
FROM {{database}}.profile_consent
GROUP BY profile_id, category;
