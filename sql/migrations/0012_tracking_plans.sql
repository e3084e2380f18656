-- Tracking plans (ingest/tracking-plans/): one row per version; editing a plan inserts the next version,
-- deleting inserts a tombstone. The current versions are also published in Redis, where the tracking API reads them.
CREATE TABLE IF NOT EXISTS {{database}}.tracking_plans
(
    plan_id           String,
    version           UInt32,
    name              String,
    sources           Array(String),           -- write-key source names; empty: every source but `cdp`
    violations        LowCardinality(String),  -- allow, drop_properties or block
    unplanned_events  LowCardinality(String),  -- allow or block
    rules             String,                  -- the rules as JSON, each with its JSON Schema
    created_at        DateTime64(3, 'UTC'),
    created_by        String,
    deleted           UInt8
)
ENGINE = MergeTree
ORDER BY (plan_id, version);

CREATE VIEW IF NOT EXISTS {{database}}.tracking_plans_current AS
SELECT *
FROM
(
    SELECT * FROM {{database}}.tracking_plans ORDER BY plan_id, version DESC LIMIT 1 BY plan_id
)
WHERE deleted = 0;
