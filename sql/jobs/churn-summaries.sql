-- The inputs of the churn job's model fits, as of {as_of}: identical (x, t_x, T) summaries grouped with
-- their count, so the fit cost grows with distinct summaries, not with customers; and (x, m_x) of the
-- repeat customers for the Gamma-Gamma spend model.
SELECT 'bgnbd' AS model, x, t_x, T, 0 AS monetary, count() AS n
FROM {{database}}.churn_summary(as_of = {as_of:DateTime64(3, 'UTC')})
GROUP BY x, t_x, T
UNION ALL
SELECT 'gamma_gamma' AS model, x, 0 AS t_x, 0 AS T, monetary, count() AS n
FROM {{database}}.churn_summary(as_of = {as_of:DateTime64(3, 'UTC')})
WHERE x > 0 AND monetary > 0
GROUP BY x, monetary;
