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

-- Cohorts by first order month (KPI_TIME_ZONE): for each of the 12 months from it (0: the first order's
-- month), the share of the cohort's customers who ordered in it and the revenue per cohort customer. Months
-- after as_of's have no row.
CREATE TABLE IF NOT EXISTS {{database}}.kpi_cohorts
(
    as_of                 DateTime64(3, 'UTC'),
    cohort_month          Date,
    months_since          UInt8,
    customers             UInt32,   -- the cohort's size
    active_customers      UInt32,   -- of them, those with an order in the month
    share                 Float64,  -- active_customers / customers
    revenue               Float64,
    revenue_per_customer  Float64   -- revenue / customers
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(as_of)
ORDER BY (as_of, cohort_month, months_since);

-- Campaign costs as posted with POST /v1/campaigns/:name/costs: one amount per campaign, local day and
-- currency; posting the same day and currency again replaces it (the latest posting wins).
CREATE TABLE IF NOT EXISTS {{database}}.campaign_costs
(
    campaign   String,
    date       Date,
    currency   LowCardinality(String),
    amount     Decimal(18, 4),
    posted_at  DateTime64(3, 'UTC'),
    posted_by  String
)
ENGINE = ReplacingMergeTree(posted_at)
ORDER BY (campaign, date, currency);
