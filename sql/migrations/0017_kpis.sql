-- The decision board's KPIs (job `kpis`): one row per figure, per period of each kind (day, week from
-- Monday, month, in KPI_TIME_ZONE) from the first counted order's period to the one as_of falls in, as of a
-- date. `dimension` is '' for the shop as a whole. A figure with no meaning for a period (a rate over
-- nobody) has no row.
CREATE TABLE IF NOT EXISTS {{database}}.kpi_values
(
    as_of         DateTime64(3, 'UTC'),
    period        LowCardinality(String),   -- day, week, month
    period_start  Date,
    metric        LowCardinality(String),
    dimension     String,
    value         Float64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(as_of)
ORDER BY (as_of, period, metric, dimension, period_start);
