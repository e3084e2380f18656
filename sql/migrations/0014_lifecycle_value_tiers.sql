-- Customer states (segments/jobs/lifecycle-job.ts, value-tiers-job.ts): where each customer stands in the
-- lifecycle and which value tier they belong to, one snapshot per as_of, with the lifecycle's history.

-- Stages: prospect, new, active, at_risk, lost (the seeds' 潜在 / 新 / 成熟 / 衰退 / 流失). `since` is the as_of
-- of the first snapshot of the unbroken run of snapshots in which the profile stood in this stage.
CREATE TABLE IF NOT EXISTS {{database}}.lifecycle_stages
(
    as_of           DateTime64(3, 'UTC'),
    profile_id      String,
    stage           LowCardinality(String),
    since           DateTime64(3, 'UTC'),
    orders          UInt32,
    first_order_at  Nullable(DateTime64(3, 'UTC')),
    last_order_at   Nullable(DateTime64(3, 'UTC'))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(as_of)
ORDER BY (as_of, profile_id);

CREATE VIEW IF NOT EXISTS {{database}}.lifecycle_current AS
SELECT * FROM {{database}}.lifecycle_stages
WHERE as_of = (SELECT max(as_of) FROM {{database}}.job_runs FINAL WHERE job = 'lifecycle' AND status = 'succeeded');

-- A profile whose stage differs from the previous snapshot's (from_as_of); from_stage is '' for a profile the
-- previous snapshot did not hold. reactivated: lost or at_risk → active or new.
CREATE TABLE IF NOT EXISTS {{database}}.lifecycle_transitions
(
    profile_id   String,
    from_stage   LowCardinality(String),
    to_stage     LowCardinality(String),
    from_as_of   DateTime64(3, 'UTC'),
    as_of        DateTime64(3, 'UTC'),
    reactivated  UInt8
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(as_of)
ORDER BY (as_of, profile_id);

-- Tiers among buyers: high_value, potential, ordinary, low (高价值 / 潜力 / 一般 / 低价值). historical_value is the
-- net revenue of all orders up to as_of (in SHOP_CURRENCY when set), predicted_value the churn job's CLV;
-- the ranks are percent_rank from the top (0 = highest), ties by profile id.
CREATE TABLE IF NOT EXISTS {{database}}.value_tiers
(
    as_of             DateTime64(3, 'UTC'),
    profile_id        String,
    tier              LowCardinality(String),
    historical_value  Decimal(18, 4),
    predicted_value   Float64,
    historical_rank   Float64,
    predicted_rank    Float64,
    orders            UInt32
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(as_of)
ORDER BY (as_of, profile_id);

CREATE VIEW IF NOT EXISTS {{database}}.value_tiers_current AS
SELECT * FROM {{database}}.value_tiers
WHERE as_of = (SELECT max(as_of) FROM {{database}}.job_runs FINAL WHERE job = 'value_tiers' AND status = 'succeeded');
