-- Alerts (segments/alerts/): a metric watched against a threshold or its own history, evaluated every minute
-- by the scheduler role. Definitions are versioned like computed traits; the webhook's secret is not here
-- (it lives in Redis, out of analyst SQL's reach), and neither are the live states (Redis, per alert).

-- One row per version; editing inserts the next version, deleting inserts a tombstone.
CREATE TABLE IF NOT EXISTS {{database}}.alert_definitions
(
    alert_id     String,
    version      UInt32,
    name         String,
    metric       LowCardinality(String),
    definition   String,                   -- the whole definition as JSON, without the webhook's secret
    created_at   DateTime64(3, 'UTC'),
    created_by   String,
    deleted      UInt8
)
ENGINE = MergeTree
ORDER BY (alert_id, version);

CREATE VIEW IF NOT EXISTS {{database}}.alert_definitions_current AS
SELECT *
FROM
(
    SELECT * FROM {{database}}.alert_definitions ORDER BY alert_id, version DESC LIMIT 1 BY alert_id
)
WHERE deleted = 0;

-- Every change of an alert's state (ok → firing → resolved → firing ...), as sent to its webhook under
-- delivery_id. An alert changes at most once per evaluated minute, so (alert_id, at) names a change: a
-- retried evaluation writes the same row again, and FINAL (or the view) reads it once.
CREATE TABLE IF NOT EXISTS {{database}}.alert_events
(
    alert_id        String,
    version         UInt32,
    state           LowCardinality(String),   -- firing, resolved
    previous_state  LowCardinality(String),   -- ok, firing, resolved
    value           Nullable(Float64),        -- the metric's value in the minute evaluated
    at              DateTime64(3, 'UTC'),     -- the end of the minute evaluated
    delivery_id     String,
    detail          String,                   -- JSON: the condition and, for an anomaly, its baseline
    recorded_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(recorded_at)
PARTITION BY toYYYYMM(at)
ORDER BY (alert_id, at);
