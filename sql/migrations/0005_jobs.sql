-- Scheduled jobs (segments/jobs/): their runs, and the tables they write, each a snapshot per as_of.
-- A re-run for the same as_of first deletes that as_of's rows, so every job is idempotent per as_of.
-- No TTL on as_of: a backfill for an old date would be expired as it is written.

CREATE TABLE IF NOT EXISTS {{database}}.job_runs
(
    run_id       String,
    job          LowCardinality(String),
    as_of        DateTime64(3, 'UTC'),
    started_at   DateTime64(3, 'UTC'),
    finished_at  Nullable(DateTime64(3, 'UTC')),
    status       LowCardinality(String),
    rows         UInt64,
    error        String,
    summary      String,
    version      UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (job, as_of, run_id);

-- Orders per the Segment e-commerce spec v2: `Order Completed` (revenue, falling back to total) minus
-- `Order Refunded`, one row per order_id, under the surviving profile, as of a date.
CREATE TABLE IF NOT EXISTS {{database}}.orders
(
    as_of            DateTime64(3, 'UTC'),
    order_id         String,
    profile_id       String,
    ordered_at       DateTime64(3, 'UTC'),
    revenue          Decimal(18, 4),
    refunded         Decimal(18, 4),
    net_revenue      Decimal(18, 4),
    currency         LowCardinality(String),
    source_id        LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(as_of)
ORDER BY (as_of, profile_id, ordered_at, order_id);

CREATE TABLE IF NOT EXISTS {{database}}.rfm_scores
(
    as_of            DateTime64(3, 'UTC'),
    profile_id       String,
    recency_days     UInt32,
    frequency        UInt32,
    monetary         Decimal(18, 4),
    r                UInt8,
    f                UInt8,
    m                UInt8,
    segment          LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(as_of)
ORDER BY (as_of, profile_id);

CREATE TABLE IF NOT EXISTS {{database}}.churn_scores
(
    as_of                  DateTime64(3, 'UTC'),
    profile_id             String,
    x                      UInt32,
    t_x                    Float64,
    T                      Float64,
    monetary               Float64,
    days_since_last        UInt32,
    median_interval_days   Nullable(Float64),
    rule_threshold_days    Float64,
    rule_flag              UInt8,
    p_alive                Float64,
    expected_30d           Float64,
    expected_90d           Float64,
    expected_value         Float64,
    clv                    Float64,
    churn_flag             UInt8
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(as_of)
ORDER BY (as_of, profile_id);

CREATE VIEW IF NOT EXISTS {{database}}.rfm_current AS
SELECT * FROM {{database}}.rfm_scores
WHERE as_of = (SELECT max(as_of) FROM {{database}}.job_runs FINAL WHERE job = 'rfm' AND status = 'succeeded');

CREATE VIEW IF NOT EXISTS {{database}}.churn_current AS
SELECT * FROM {{database}}.churn_scores
WHERE as_of = (SELECT max(as_of) FROM {{database}}.job_runs FINAL WHERE job = 'churn' AND status = 'succeeded');

-- Per-profile purchase summary for the BTYD models, as of a date (a parameterized view: churn_summary(as_of = ...)).
-- Repeat purchases are counted per calendar day (BTYD convention): several orders on one day are one purchase.
-- Unit: weeks. The period ends with the last whole day before as_of, so as_of 1997-10-01T00:00Z closes the
-- CDNOW calibration period on 1997-09-30 (T = 38.86 weeks for a customer first seen on 1997-01-01).
-- x = repeat purchase days; t_x = weeks from the first to the last purchase day; T = weeks from the first
-- purchase day to the end of the period; monetary = mean net revenue of the repeat purchase days (zbar);
-- median_interval_days = median gap between consecutive purchase days (NULL with a single purchase day).
CREATE VIEW IF NOT EXISTS {{database}}.churn_summary AS
WITH toDate({as_of:DateTime64(3, 'UTC')} - INTERVAL 1 MILLISECOND) AS period_end
SELECT
    profile_id,
    toUInt32(length(days) - 1) AS x,
    (toUInt32(days[-1].1) - toUInt32(days[1].1)) / 7 AS t_x,
    (toUInt32(period_end) - toUInt32(days[1].1)) / 7 AS T,
    if(length(days) > 1, toFloat64(arraySum(arrayMap(d -> d.2, arraySlice(days, 2)))) / (length(days) - 1), 0) AS monetary,
    toUInt32(toUInt32(period_end) - toUInt32(days[-1].1)) AS days_since_last,
    if(length(days) > 1, arrayReduce('median', arrayPopFront(arrayDifference(arrayMap(d -> toInt64(toUInt32(d.1)), days)))), NULL) AS median_interval_days
FROM
(
    SELECT profile_id, arraySort(groupArray((day, amount))) AS days
    FROM
    (
        SELECT profile_id, toDate(ordered_at) AS day, sum(net_revenue) AS amount
        FROM {{database}}.orders
        WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND ordered_at < {as_of:DateTime64(3, 'UTC')} AND NOT (refunded > 0 AND net_revenue <= 0) AND profile_id != ''
        GROUP BY profile_id, day
    )
    GROUP BY profile_id
);
