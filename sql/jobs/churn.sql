-- churn: per profile as of {as_of}, from churn_summaries (the churn_summary view's rows for as_of, written by
-- churn-summary-snapshot.sql; x, t_x, T in weeks, repeat purchases per day).
--
-- Rule flag: no purchase for more than {rule_k} times the profile's own median gap between purchase days,
-- and at least {rule_floor_days} days (a single purchase day has no gap: the floor alone applies).
--
-- Model (BG/NBD, Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way", eqs. 10 and 13), with
-- r, alpha, a, b fitted by segments/jobs/churn-job.ts on this as_of's summaries:
--   P(alive | x, t_x, T) = 1 / (1 + [x > 0] * a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x))
--   E[Y(t) | x, t_x, T]  = (a + b + x - 1) / (a - 1)
--                          * (1 - ((alpha + T) / (alpha + T + t))^(r + x) * 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t)))
--                          * P(alive)   [the bracketed denominator of eq. 10 is 1 / P(alive)]
-- 2F1 is summed as its power series (300 terms, each from lgamma; z = t / (alpha + T + t) < 1, so the
-- terms fall geometrically). Only P(alive) depends on t_x, so the series is evaluated once per distinct
-- (x, T) (a number that stops growing with customers: about 19k at 1M profiles) and joined to profiles.
--
-- Spend (Gamma-Gamma, Fader, Hardie & Lee 2005, "RFM and CLV", eq. 5; Fader & Hardie 2013):
--   E[M | p, q, gamma, x, m_x] = (gamma + m_x * x) * p / (p * x + q - 1)   (x = 0: the mean p * gamma / (q - 1))
-- CLV = E[M] * E[Y({horizon_weeks})], discounted at {annual_discount} a year at the horizon's midpoint
-- (a one-factor approximation of discounting each period's purchases).
-- churn_flag: P(alive) below {p_alive_threshold}.
DELETE FROM {{database}}.churn_scores WHERE as_of = {as_of:DateTime64(3, 'UTC')};

INSERT INTO {{database}}.churn_scores
    (as_of, profile_id, x, t_x, T, monetary, days_since_last, median_interval_days, rule_threshold_days, rule_flag,
     p_alive, expected_30d, expected_90d, expected_value, clv, churn_flag)
SELECT
    {as_of:DateTime64(3, 'UTC')},
    s.profile_id,
    s.x,
    s.t_x,
    s.T,
    s.monetary,
    s.days_since_last,
    s.median_interval_days,
    greatest({rule_k:Float64} * ifNull(s.median_interval_days, 0), {rule_floor_days:Float64}) AS threshold,
    s.days_since_last > threshold,
    1 / (1 + if(s.x > 0, {a:Float64} / ({b:Float64} + s.x - 1) * pow(({alpha:Float64} + s.T) / ({alpha:Float64} + s.t_x), {r:Float64} + s.x), 0)) AS p_alive,
    m.series[1] * p_alive,
    m.series[2] * p_alive,
    if(s.x > 0, ({gamma:Float64} + s.monetary * s.x) * {p:Float64} / ({p:Float64} * s.x + {q:Float64} - 1), {p:Float64} * {gamma:Float64} / ({q:Float64} - 1)) AS expected_value,
    expected_value * m.series[3] * p_alive / pow(1 + {annual_discount:Float64}, {horizon_weeks:Float64} / 2 / 52),
    p_alive < {p_alive_threshold:Float64}
FROM (SELECT * FROM {{database}}.churn_summaries WHERE as_of = {as_of:DateTime64(3, 'UTC')}) AS s
INNER JOIN
(
    SELECT
        x, T,
        arrayMap(t ->
            ({a:Float64} + {b:Float64} + x - 1) / ({a:Float64} - 1)
            * (1 - pow(({alpha:Float64} + T) / ({alpha:Float64} + T + t), {r:Float64} + x)
                 * arraySum(arrayMap(k -> exp(
                       lgamma({r:Float64} + x + k) - lgamma({r:Float64} + x)
                     + lgamma({b:Float64} + x + k) - lgamma({b:Float64} + x)
                     - lgamma({a:Float64} + {b:Float64} + x - 1 + k) + lgamma({a:Float64} + {b:Float64} + x - 1)
                     - lgamma(k + 1) + k * log(t / ({alpha:Float64} + T + t))), range(300)))),
            [30 / 7, 90 / 7, {horizon_weeks:Float64}]) AS series
    FROM (SELECT DISTINCT x, T FROM {{database}}.churn_summaries WHERE as_of = {as_of:DateTime64(3, 'UTC')})
) AS m ON m.x = s.x AND m.T = s.T;
