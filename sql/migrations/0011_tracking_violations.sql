-- What a tracking plan found wrong with an accepted event (ingest/tracking-plans/): one row per violation,
-- loaded with the event (not a second write on the request path), under the profile the event resolved to.
-- Events a plan blocked are not here but in rejected_events (reason `tracking_plan`), with their violations.
CREATE TABLE IF NOT EXISTS {{database}}.tracking_violations
(
    message_id      String,
    profile_id      String,
    source_id       LowCardinality(String),
    plan_id         LowCardinality(String),
    plan_version    UInt32,
    type            LowCardinality(String),
    event           String,
    violation       LowCardinality(String),
    path            String,
    message         String,
    received_at     DateTime64(3, 'UTC'),
    loaded_at       DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (plan_id, received_at, event, violation)
TTL toDateTime(received_at) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000;
