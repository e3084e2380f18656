-- What happened in each journey instance (journeys/): entered, each step reached, each send's outcome
-- (sent, suppressed, failed), the goal reached, exited. `event_id` names the happening within its instance
-- (step, visit and kind), so that a step retried after a crash records it again under the same key: readers
-- count distinct (instance_id, event_id). `detail` is JSON (the branch taken, a suppression's reason, ...).
CREATE TABLE IF NOT EXISTS {{database}}.journey_events
(
    journey_id   LowCardinality(String),
    version      UInt32,
    profile_id   String,
    instance_id  String,
    step         String,
    visit        UInt32,
    kind         LowCardinality(String),
    event_id     String,
    at           DateTime64(3, 'UTC'),
    detail       String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (journey_id, instance_id, event_id);
