-- kpis, satisfaction (run after kpis.sql, which clears the as_of's rows): NPS and complaints per period as of
-- {as_of}, in {tz}. The rules of an NPS answer and of a complaint's events are the product's own
-- (segments/kpis/nps-answers.ts, complaint-states.ts), placed here as fragments.
--
-- NPS: each customer's latest answer in the period counts (promoters 9–10, passives 7–8, detractors 0–6);
-- nps = 100 × (promoters − detractors) ÷ answers; for the shop (dimension ''), per first-touch channel
-- (`channel:`) and per value tier in the value_tiers snapshot standing at as_of (`value_tier:`; `prospect`
-- for a customer without a tier or without a snapshot: {tiers_as_of}).
INSERT INTO {{database}}.kpi_values (as_of, period, period_start, metric, dimension, value)
WITH
    answers AS ({{fragment:nps_answers}}),
    kinds AS (SELECT arrayJoin(['day', 'week', 'month']) AS period),
    channels AS ({{part:first-touch-channels}}),
    tiers AS
    (
        SELECT {{survivor:v}} AS profile_id, any(v.tier) AS tier
        FROM {{database}}.value_tiers AS v
        {{override:v}}
        WHERE v.as_of = {tiers_as_of:Nullable(DateTime64(3, 'UTC'))}
        GROUP BY profile_id
    ),
    latest AS
    (
        SELECT k.period AS period,
               multiIf(k.period = 'day', toDate(a.answered_at, {tz:String}), k.period = 'week', toMonday(toDate(a.answered_at, {tz:String})), toStartOfMonth(toDate(a.answered_at, {tz:String}))) AS start,
               a.profile_id AS profile_id,
               argMax(a.score, (a.answered_at, a.message_id)) AS score
        FROM answers AS a CROSS JOIN kinds AS k
        GROUP BY period, start, profile_id
    ),
    grouped AS
    (
        SELECT l.period AS period, l.start AS start, dimension,
               count() AS answers,
               countIf({{fragment:nps_group}} = 'promoter') AS promoters,
               countIf({{fragment:nps_group}} = 'passive') AS passives,
               countIf({{fragment:nps_group}} = 'detractor') AS detractors
        FROM latest AS l
        LEFT JOIN channels AS c ON c.profile_id = l.profile_id
        LEFT JOIN tiers AS t ON t.profile_id = l.profile_id
        ARRAY JOIN ['', concat('channel:', if(c.channel = '', '(direct)', c.channel)), concat('value_tier:', if(t.tier = '', 'prospect', t.tier))] AS dimension
        GROUP BY period, start, dimension
    )
SELECT {as_of:DateTime64(3, 'UTC')}, period, start, m.1, dimension, m.2
FROM grouped
ARRAY JOIN [
    ('nps', 100 * (promoters - detractors) / answers),
    ('nps_answers', toFloat64(answers)),
    ('nps_promoters', toFloat64(promoters)),
    ('nps_passives', toFloat64(passives)),
    ('nps_detractors', toFloat64(detractors))
] AS m;

-- Complaints, for the shop and per category (`category:`), per period from the first complaint's to as_of's:
-- complaints_opened (first opened in the period), complaints_resolved (with a resolution in it),
-- complaints_open (open at the period's end, or at as_of for the period it cuts), complaint_median_hours
-- (from opening to the first resolution, over the complaints first resolved in the period) and
-- complaint_reopen_rate (reopenings ÷ resolutions in the period; none without a resolution).
INSERT INTO {{database}}.kpi_values (as_of, period, period_start, metric, dimension, value)
WITH
    complaint_events AS ({{fragment:complaint_events}}),
    kinds AS (SELECT arrayJoin(['day', 'week', 'month']) AS period),
    -- Each opened complaint: its category, opening, first resolution and its events in time order.
    complaints AS
    (
        SELECT complaint_id,
               argMinIf(category, (timestamp, message_id), event = 'Complaint Opened') AS category,
               minIf(timestamp, event = 'Complaint Opened') AS opened_at,
               minIf(toNullable(timestamp), event = 'Complaint Resolved') AS first_resolved_at,
               arraySort(x -> x.1, groupArray(((timestamp, message_id), event = 'Complaint Resolved'))) AS timeline
        FROM complaint_events
        GROUP BY complaint_id
        HAVING countIf(event = 'Complaint Opened') > 0
    ),
    periods AS
    (
        SELECT k.period AS period,
               arrayJoin(arrayDistinct(arrayMap(d -> multiIf(k.period = 'day', d, k.period = 'week', toMonday(d), toStartOfMonth(d)),
                   arrayMap(i -> addDays(b.first, i), range(toUInt32(dateDiff('day', b.first, b.last) + 1)))))) AS start,
               least(toDateTime64(multiIf(k.period = 'day', addDays(start, 1), k.period = 'week', addDays(start, 7), addMonths(start, 1)), 3, {tz:String}),
                     {as_of:DateTime64(3, 'UTC')}) AS period_end
        FROM kinds AS k
        CROSS JOIN (SELECT toDate(min(opened_at), {tz:String}) AS first, toDate({as_of:DateTime64(3, 'UTC')} - toIntervalMillisecond(1), {tz:String}) AS last FROM complaints HAVING count() > 0) AS b
    ),
    local AS
    (
        SELECT k.period AS period, e.complaint_id AS complaint_id, e.event AS event,
               multiIf(k.period = 'day', toDate(e.timestamp, {tz:String}), k.period = 'week', toMonday(toDate(e.timestamp, {tz:String})), toStartOfMonth(toDate(e.timestamp, {tz:String}))) AS start
        FROM complaint_events AS e CROSS JOIN kinds AS k
    ),
    activity AS
    (
        SELECT l.period AS period, l.start AS start, dimension,
               uniqExactIf(l.complaint_id, l.event = 'Complaint Resolved') AS resolved,
               countIf(l.event = 'Complaint Resolved') AS resolutions,
               countIf(l.event = 'Complaint Reopened') AS reopenings
        FROM local AS l INNER JOIN complaints AS c ON c.complaint_id = l.complaint_id
        ARRAY JOIN ['', concat('category:', c.category)] AS dimension
        GROUP BY period, start, dimension
    ),
    at_end AS
    (
        SELECT p.period AS period, p.start AS start, dimension,
               countIf(toDate(c.opened_at, {tz:String}) >= p.start AND c.opened_at < p.period_end) AS opened,
               -- Open at the period's end: opened by then, and its latest event by then is no resolution.
               countIf(c.opened_at < p.period_end
                       AND NOT arrayLast(x -> x.1.1 < p.period_end, c.timeline).2) AS open,
               medianIf(dateDiff('second', c.opened_at, assumeNotNull(c.first_resolved_at)) / 3600,
                        c.first_resolved_at IS NOT NULL AND c.first_resolved_at >= c.opened_at
                        AND toDate(c.first_resolved_at, {tz:String}) >= p.start AND c.first_resolved_at < p.period_end) AS median_hours,
               countIf(c.first_resolved_at IS NOT NULL AND c.first_resolved_at >= c.opened_at
                       AND toDate(c.first_resolved_at, {tz:String}) >= p.start AND c.first_resolved_at < p.period_end) AS first_resolved
        FROM periods AS p CROSS JOIN complaints AS c
        ARRAY JOIN ['', concat('category:', c.category)] AS dimension
        GROUP BY period, start, dimension
    )
SELECT {as_of:DateTime64(3, 'UTC')}, e.period, e.start, m.1, e.dimension, m.2
FROM at_end AS e
LEFT JOIN activity AS a ON a.period = e.period AND a.start = e.start AND a.dimension = e.dimension
ARRAY JOIN arrayFilter(m -> isFinite(m.2), [
    ('complaints_opened', toFloat64(e.opened)),
    ('complaints_resolved', toFloat64(a.resolved)),
    ('complaints_open', toFloat64(e.open)),
    ('complaint_median_hours', if(e.first_resolved > 0, e.median_hours, nan)),
    ('complaint_reopen_rate', if(a.resolutions > 0, a.reopenings / a.resolutions, nan))
]) AS m
WHERE e.dimension = '' OR e.opened + e.open + a.resolved + a.reopenings > 0;

-- Referrals: `Referral Sent` and `Referral Converted`, each sent for the referrer (each message id once), per
-- period: referrers (customers who sent one), referrals_sent, referral_conversions and referral_rate
-- (conversions ÷ referrals sent; none without one sent).
INSERT INTO {{database}}.kpi_values (as_of, period, period_start, metric, dimension, value)
WITH
    referrals AS
    (
        SELECT {{survivor:r}} AS profile_id, r.event AS event, r.timestamp AS timestamp
        FROM
        (
            SELECT message_id, any(p) AS profile_id, any(e) AS event, min(t) AS timestamp
            FROM
            (
                SELECT message_id, profile_id AS p, event AS e, timestamp AS t
                FROM {{database}}.events
                WHERE type = 'track' AND event IN ('Referral Sent', 'Referral Converted') AND timestamp < {as_of:DateTime64(3, 'UTC')} AND profile_id != ''
            )
            GROUP BY message_id
        ) AS r
        {{override:r}}
    ),
    kinds AS (SELECT arrayJoin(['day', 'week', 'month']) AS period),
    per_period AS
    (
        SELECT k.period AS period,
               multiIf(k.period = 'day', toDate(r.timestamp, {tz:String}), k.period = 'week', toMonday(toDate(r.timestamp, {tz:String})), toStartOfMonth(toDate(r.timestamp, {tz:String}))) AS start,
               uniqExactIf(r.profile_id, r.event = 'Referral Sent') AS referrers,
               countIf(r.event = 'Referral Sent') AS sent,
               countIf(r.event = 'Referral Converted') AS converted
        FROM referrals AS r CROSS JOIN kinds AS k
        GROUP BY period, start
    )
SELECT {as_of:DateTime64(3, 'UTC')}, period, start, m.1, '', m.2
FROM per_period
ARRAY JOIN arrayFilter(m -> isFinite(m.2), [
    ('referrers', toFloat64(referrers)),
    ('referrals_sent', toFloat64(sent)),
    ('referral_conversions', toFloat64(converted)),
    ('referral_rate', if(sent > 0, converted / sent, nan))
]) AS m;
