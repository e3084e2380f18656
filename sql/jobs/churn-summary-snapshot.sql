-- The churn job's first step: the churn_summary view's rows for {as_of}, written once to churn_summaries,
-- which the fit (churn-summaries.sql) and the scoring (churn.sql) then read.
DELETE FROM {{database}}.churn_summaries WHERE as_of = {as_of:DateTime64(3, 'UTC')};

INSERT INTO {{database}}.churn_summaries (as_of, profile_id, x, t_x, T, monetary, days_since_last, median_interval_days)
SELECT {as_of:DateTime64(3, 'UTC')}, profile_id, x, t_x, T, monetary, days_since_last, median_interval_days
FROM {{database}}.churn_summary(as_of = {as_of:DateTime64(3, 'UTC')});
