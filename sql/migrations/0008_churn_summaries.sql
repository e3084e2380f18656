-- The churn job's per-profile BTYD summaries (the churn_summary view's rows), written once per as_of: the
-- model fit and the scoring both read them, and evaluating the view for each (four times per run) cost
-- about as much as the rest of the job at 1M profiles. Also a handy table for analysts fitting their own models.
CREATE TABLE IF NOT EXISTS {{database}}.churn_summaries
(
    as_of                  DateTime64(3, 'UTC'),
    profile_id             String,
    x                      UInt32,
    t_x                    Float64,
    T                      Float64,
    monetary               Float64,
    days_since_last        UInt32,
    median_interval_days   Nullable(Float64)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(as_of)
ORDER BY (as_of, profile_id);
