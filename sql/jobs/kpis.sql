-- kpis: the retail KPIs per period as of {as_of}, from the orders snapshot of the same as_of as the orders job
-- counts them (net revenue; fully refunded orders left out), under surviving profiles. Periods are local
-- calendar days, weeks from Monday and months in {tz} (KPI_TIME_ZONE), from the first counted order's period
-- to the one holding as_of's last instant; `partial` is the reader's concern (the period as_of cuts).
-- Money: with SHOP_CURRENCY set ({shop_currency}), orders in another currency are left out of revenue and aov
-- and counted in orders_other_currency; orders and buyers count them.
--   orders, revenue, aov (revenue ÷ orders in the shop's currency), buyers (profiles with an order in the
--   period), new_buyers (their first order ever in it), returning_buyer_rate (buyers who had ordered before the
--   period ÷ buyers), repeat_purchase_rate (profiles with ≥ 2 orders up to the period's end ÷ profiles with
--   ≥ 1), retention_rate (buyers of the previous period who bought in this one ÷ buyers of the previous
--   period), purchase_frequency (orders ÷ buyers).
DELETE FROM {{database}}.kpi_values WHERE as_of = {as_of:DateTime64(3, 'UTC')};

INSERT INTO {{database}}.kpi_values (as_of, period, period_start, metric, dimension, value)
WITH
    counted AS ({{part:counted-orders}}),
    kinds AS (SELECT arrayJoin(['day', 'week', 'month']) AS period),
    -- Each order in its period of every kind.
    placed AS
    (
        SELECT k.period AS period, c.profile_id AS profile_id, c.net AS net, c.in_currency AS in_currency,
               multiIf(k.period = 'day', c.day, k.period = 'week', toMonday(c.day), toStartOfMonth(c.day)) AS start
        FROM counted AS c CROSS JOIN kinds AS k
    ),
    -- Each buyer's first and second order days (the second: a profile with two orders on one day has it then).
    firsts AS
    (
        SELECT profile_id, arraySort(groupArray(day)) AS days, days[1] AS first_day, if(length(days) >= 2, days[2], NULL) AS second_day
        FROM counted GROUP BY profile_id
    ),
    per_period AS
    (
        SELECT p.period AS period, p.start AS start,
               count() AS orders,
               sumIf(p.net, p.in_currency) AS revenue,
               countIf(p.in_currency) AS orders_in_currency,
               uniqExact(p.profile_id) AS buyers,
               uniqExactIf(p.profile_id, f.first_day >= p.start) AS new_buyers
        FROM placed AS p INNER JOIN firsts AS f ON f.profile_id = p.profile_id
        GROUP BY period, start
    ),
    -- Every period of each kind from the first order's to as_of's (periods without orders included).
    periods AS
    (
        SELECT period, start
        FROM
        (
            SELECT k.period AS period,
                   arrayJoin(arrayDistinct(arrayMap(d -> multiIf(k.period = 'day', d, k.period = 'week', toMonday(d), toStartOfMonth(d)),
                       arrayMap(i -> addDays(b.first, i), range(toUInt32(dateDiff('day', b.first, b.last) + 1)))))) AS start
            FROM kinds AS k
            CROSS JOIN (SELECT min(day) AS first, toDate({as_of:DateTime64(3, 'UTC')} - toIntervalMillisecond(1), {tz:String}) AS last FROM counted HAVING count() > 0) AS b
        )
    ),
    -- Buyers whose first (second) order falls in each period; summed over the periods up to one, they are the
    -- buyers with one (two) orders by its end.
    reached AS
    (
        SELECT k.period AS period,
               multiIf(k.period = 'day', f.first_day, k.period = 'week', toMonday(f.first_day), toStartOfMonth(f.first_day)) AS start,
               count() AS firsts,
               0 AS seconds
        FROM firsts AS f CROSS JOIN kinds AS k
        GROUP BY period, start
        UNION ALL
        SELECT k.period AS period,
               multiIf(k.period = 'day', f.second, k.period = 'week', toMonday(f.second), toStartOfMonth(f.second)) AS start,
               0 AS firsts,
               count() AS seconds
        FROM (SELECT assumeNotNull(second_day) AS second FROM firsts WHERE second_day IS NOT NULL) AS f CROSS JOIN kinds AS k
        GROUP BY period, start
    ),
    reach AS
    (
        SELECT pr.period AS period, pr.start AS start,
               sum(r.firsts) OVER w AS with_one,
               sum(r.seconds) OVER w AS with_two
        FROM periods AS pr
        LEFT JOIN (SELECT period, start, sum(firsts) AS firsts, sum(seconds) AS seconds FROM reached GROUP BY period, start) AS r
            ON r.period = pr.period AND r.start = pr.start
        WINDOW w AS (PARTITION BY pr.period ORDER BY pr.start ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    bought AS (SELECT DISTINCT period, start, profile_id FROM placed),
    retained AS
    (
        SELECT cur.period AS period, cur.start AS start, count() AS n
        FROM
        (
            SELECT period, start, profile_id,
                   multiIf(period = 'day', addDays(start, -1), period = 'week', addDays(start, -7), addMonths(start, -1)) AS previous
            FROM bought
        ) AS cur
        INNER JOIN bought AS prev ON prev.period = cur.period AND prev.profile_id = cur.profile_id AND prev.start = cur.previous
        GROUP BY period, start
    ),
    figures AS
    (
        SELECT pr.period AS period, pr.start AS start,
               ifNull(pp.orders, 0) AS orders, ifNull(pp.revenue, 0) AS revenue, ifNull(pp.orders_in_currency, 0) AS orders_in_currency,
               ifNull(pp.buyers, 0) AS buyers, ifNull(pp.new_buyers, 0) AS new_buyers,
               r.with_one AS with_one, r.with_two AS with_two,
               ifNull(rt.n, 0) AS retained,
               ifNull(prev.buyers, 0) AS previous_buyers
        FROM periods AS pr
        LEFT JOIN per_period AS pp ON pp.period = pr.period AND pp.start = pr.start
        LEFT JOIN reach AS r ON r.period = pr.period AND r.start = pr.start
        LEFT JOIN retained AS rt ON rt.period = pr.period AND rt.start = pr.start
        LEFT JOIN per_period AS prev ON prev.period = pr.period
            AND prev.start = multiIf(pr.period = 'day', addDays(pr.start, -1), pr.period = 'week', addDays(pr.start, -7), addMonths(pr.start, -1))
    )
SELECT {as_of:DateTime64(3, 'UTC')}, period, start, m.1, '', m.2
FROM figures
ARRAY JOIN arrayFilter(m -> isFinite(m.2), [
    ('orders', toFloat64(orders)),
    ('revenue', toFloat64(revenue)),
    ('orders_other_currency', toFloat64(orders - orders_in_currency)),
    ('aov', if(orders_in_currency > 0, toFloat64(revenue) / orders_in_currency, nan)),
    ('buyers', toFloat64(buyers)),
    ('new_buyers', toFloat64(new_buyers)),
    ('returning_buyer_rate', if(buyers > 0, (buyers - new_buyers) / buyers, nan)),
    ('repeat_purchase_rate', if(with_one > 0, with_two / with_one, nan)),
    ('retention_rate', if(previous_buyers > 0, retained / previous_buyers, nan)),
    ('purchase_frequency', if(buyers > 0, orders / buyers, nan))
]) AS m;

-- Cohorts: customers by the month of their first counted order, and each of the 12 months from it.
DELETE FROM {{database}}.kpi_cohorts WHERE as_of = {as_of:DateTime64(3, 'UTC')};

INSERT INTO {{database}}.kpi_cohorts (as_of, cohort_month, months_since, customers, active_customers, share, revenue, revenue_per_customer)
WITH
    counted AS ({{part:counted-orders}}),
    cohort_of AS (SELECT profile_id, toStartOfMonth(min(day)) AS cohort_month FROM counted GROUP BY profile_id),
    sizes AS (SELECT cohort_month, count() AS customers FROM cohort_of GROUP BY cohort_month),
    last_month AS (SELECT toStartOfMonth(toDate({as_of:DateTime64(3, 'UTC')} - toIntervalMillisecond(1), {tz:String})) AS m),
    activity AS
    (
        SELECT f.cohort_month AS cohort_month, toUInt8(dateDiff('month', f.cohort_month, toStartOfMonth(c.day))) AS months_since,
               uniqExact(c.profile_id) AS active, sumIf(c.net, c.in_currency) AS revenue
        FROM counted AS c INNER JOIN cohort_of AS f ON f.profile_id = c.profile_id
        WHERE dateDiff('month', f.cohort_month, toStartOfMonth(c.day)) < 12
        GROUP BY cohort_month, months_since
    )
SELECT {as_of:DateTime64(3, 'UTC')}, s.cohort_month, s.since, s.customers, a.active, a.active / s.customers,
       toFloat64(a.revenue), toFloat64(a.revenue) / s.customers
FROM
(
    SELECT cohort_month, customers,
           toUInt8(arrayJoin(arrayFilter(i -> addMonths(cohort_month, i) <= (SELECT m FROM last_month), range(12)))) AS since
    FROM sizes
) AS s
-- A month without orders of the cohort has no activity row: 0 customers and 0 revenue (the join's defaults).
LEFT JOIN activity AS a ON a.cohort_month = s.cohort_month AND a.months_since = s.since;

-- Channels: each buyer's first touch, the campaign source / medium of their earliest event ('(direct)' when
-- it has neither), and per period and channel the buyers, their revenue and their mean CLV in the churn
-- snapshot standing at as_of ({churn_as_of}; none: no mean_clv rows). Dimension `channel:<source> / <medium>`.
INSERT INTO {{database}}.kpi_values (as_of, period, period_start, metric, dimension, value)
WITH
    counted AS ({{part:counted-orders}}),
    kinds AS (SELECT arrayJoin(['day', 'week', 'month']) AS period),
    first_touch AS ({{part:first-touch-channels}}),
    clv AS
    (
        SELECT {{survivor:s}} AS profile_id, sum(s.clv) AS clv
        FROM {{database}}.churn_scores AS s
        {{override:s}}
        WHERE s.as_of = {churn_as_of:Nullable(DateTime64(3, 'UTC'))}
        GROUP BY profile_id
    ),
    by_channel AS
    (
        SELECT k.period AS period,
               multiIf(k.period = 'day', c.day, k.period = 'week', toMonday(c.day), toStartOfMonth(c.day)) AS start,
               f.channel AS channel,
               uniqExact(c.profile_id) AS buyers,
               sumIf(c.net, c.in_currency) AS revenue
        FROM counted AS c CROSS JOIN kinds AS k
        INNER JOIN first_touch AS f ON f.profile_id = c.profile_id
        GROUP BY period, start, channel
    ),
    buyer_clv AS
    (
        SELECT b.period AS period, b.start AS start, b.channel AS channel, avg(v.clv) AS mean_clv
        FROM
        (
            SELECT DISTINCT k.period AS period, multiIf(k.period = 'day', c.day, k.period = 'week', toMonday(c.day), toStartOfMonth(c.day)) AS start,
                   f.channel AS channel, c.profile_id AS profile_id
            FROM counted AS c CROSS JOIN kinds AS k
            INNER JOIN first_touch AS f ON f.profile_id = c.profile_id
        ) AS b
        INNER JOIN clv AS v ON v.profile_id = b.profile_id
        GROUP BY period, start, channel
    )
SELECT {as_of:DateTime64(3, 'UTC')}, b.period, b.start, m.1, concat('channel:', b.channel), m.2
FROM by_channel AS b
LEFT JOIN buyer_clv AS v ON v.period = b.period AND v.start = b.start AND v.channel = b.channel
ARRAY JOIN arrayFilter(m -> isFinite(m.2), [
    ('buyers', toFloat64(b.buyers)),
    ('revenue', toFloat64(b.revenue)),
    -- No clv row (no churn snapshot standing): the join leaves the channel empty.
    ('mean_clv', if(v.channel = '', nan, v.mean_clv))
]) AS m;

-- Campaigns: each order's last-touch campaign, the campaign name of its customer's latest event carrying one
-- at or before the order and not more than {attribution_days} (ATTRIBUTION_WINDOW_DAYS) before it, and its
-- first-touch campaign, that of the customer's earliest event carrying one at or before the order; per
-- period, campaign and model (`last_touch:<name>`, `first_touch:<name>`) orders and revenue, and with posted
-- costs in the period (campaign_costs, in the shop's currency when SHOP_CURRENCY is set) cost, cost_per_order
-- and roi ((revenue − cost) ÷ cost).
INSERT INTO {{database}}.kpi_values (as_of, period, period_start, metric, dimension, value)
WITH
    counted AS ({{part:counted-orders}}),
    kinds AS (SELECT arrayJoin(['day', 'week', 'month']) AS period),
    touches AS
    (
        SELECT {{survivor:e}} AS profile_id, (e.timestamp, e.message_id) AS at, e.campaign_name AS campaign
        FROM {{database}}.events AS e
        {{override:e}}
        WHERE e.campaign_name != '' AND e.timestamp < {as_of:DateTime64(3, 'UTC')} AND e.profile_id != ''
    ),
    attributed AS
    (
        SELECT c.order_id AS order_id, any(c.day) AS day, any(c.net) AS net, any(c.in_currency) AS in_currency,
               -- '' when no touch falls in the window.
               argMaxIf(t.campaign, t.at, t.at.1 >= c.ordered_at - toIntervalDay({attribution_days:UInt32})) AS last_touch,
               argMin(t.campaign, t.at) AS first_touch
        FROM counted AS c INNER JOIN touches AS t ON t.profile_id = c.profile_id
        WHERE t.at.1 <= c.ordered_at
        GROUP BY order_id
    ),
    per_campaign AS
    (
        SELECT k.period AS period,
               multiIf(k.period = 'day', a.day, k.period = 'week', toMonday(a.day), toStartOfMonth(a.day)) AS start,
               touched.1 AS model, touched.2 AS campaign,
               count() AS orders, sumIf(a.net, a.in_currency) AS revenue
        FROM attributed AS a CROSS JOIN kinds AS k
        ARRAY JOIN [('last_touch', a.last_touch), ('first_touch', a.first_touch)] AS touched
        WHERE touched.2 != ''
        GROUP BY period, start, model, campaign
    ),
    costs AS
    (
        SELECT k.period AS period,
               multiIf(k.period = 'day', c.date, k.period = 'week', toMonday(c.date), toStartOfMonth(c.date)) AS start,
               c.campaign AS campaign, sum(c.amount) AS cost
        FROM (SELECT * FROM {{database}}.campaign_costs FINAL) AS c CROSS JOIN kinds AS k
        WHERE c.date <= toDate({as_of:DateTime64(3, 'UTC')} - toIntervalMillisecond(1), {tz:String})
          AND ({shop_currency:String} = '' OR c.currency = '' OR upperUTF8(c.currency) = {shop_currency:String})
        GROUP BY period, start, campaign
    ),
    rows AS
    (
        SELECT p.period AS period, p.start AS start, p.model AS model, p.campaign AS campaign, p.orders AS orders, toFloat64(p.revenue) AS revenue,
               toFloat64(ifNull(c.cost, 0)) AS cost, c.campaign != '' AS costed
        FROM per_campaign AS p LEFT JOIN costs AS c ON c.period = p.period AND c.start = p.start AND c.campaign = p.campaign
        UNION ALL
        -- Costs of a period whose campaign won no order in it, under both models.
        SELECT c.period, c.start, model, c.campaign, 0, 0, toFloat64(c.cost), 1
        FROM costs AS c ARRAY JOIN ['last_touch', 'first_touch'] AS model
        WHERE (c.period, c.start, model, c.campaign) NOT IN (SELECT period, start, model, campaign FROM per_campaign)
    )
SELECT {as_of:DateTime64(3, 'UTC')}, period, start, m.1, concat(model, ':', campaign), m.2
FROM rows
ARRAY JOIN arrayFilter(m -> isFinite(m.2), [
    ('orders', toFloat64(orders)),
    ('revenue', revenue),
    ('cost', if(costed, cost, nan)),
    ('cost_per_order', if(costed AND orders > 0, cost / orders, nan)),
    ('roi', if(costed AND cost > 0, (revenue - cost) / cost, nan))
]) AS m;
