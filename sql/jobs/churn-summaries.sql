-- The inputs of the churn job's model fits, as of {as_of} (read from churn_summaries, which
-- churn-summary-snapshot.sql writes): identical (x, t_x, T) summaries grouped with their count, and (x, m_x)
-- of the repeat customers for the Gamma-Gamma spend model.
-- Above {max_customers} buyers the fit uses a fixed hash sample of about that many profiles (the same
-- profiles on every run, so a re-run gives the same parameters): with day-resolution t_x and T, grouping
-- alone does not keep the fit cost from growing with customers.
WITH greatest(1, intDiv((SELECT count() FROM {{database}}.churn_summaries WHERE as_of = {as_of:DateTime64(3, 'UTC')}) + {max_customers:UInt64} - 1, {max_customers:UInt64})) AS sample_mod
SELECT model, x, t_x, T, monetary, n, sample_mod
FROM
(
    SELECT 'bgnbd' AS model, x, t_x, T, 0 AS monetary, count() AS n
    FROM {{database}}.churn_summaries
    WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND cityHash64(profile_id) % sample_mod = 0
    GROUP BY x, t_x, T
    UNION ALL
    SELECT 'gamma_gamma' AS model, x, 0 AS t_x, 0 AS T, monetary, count() AS n
    FROM {{database}}.churn_summaries
    WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND x > 0 AND monetary > 0 AND cityHash64(profile_id) % sample_mod = 0
    GROUP BY x, monetary
);
