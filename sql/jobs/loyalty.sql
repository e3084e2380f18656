-- loyalty: every member's points ledger, level history and standing as of {as_of}, under surviving profiles,
-- rebuilt from the orders job's snapshot for the same as_of and the events before as_of (nothing at or after
-- it is read). Days are local days in {tz}; money counts as the value_tiers job counts it ({shop_currency}).
--   level        by net spend (orders less refunds, loyalty-spend) within the last LOYALTY_LEVEL_WINDOW_DAYS
--                local days ({window_back} + 1), the day itself included: the highest of {level_names} whose
--                threshold ({thresholds}) it reaches; the lowest below all (a refund can take spend under 0);
--   earn         floor(revenue × {rate} × the multiplier of the level standing at the start of the order's
--                local day, loyalty-order-entries);
--   refund       floor(refunded amount × the same), negative (the balance may go below 0);
--   bonus        {bonus_points} for an event of {bonus_names}, for the profile whose event it is;
--   redeem       Points Redeemed, properties.points (a whole number > 0): spends the oldest unexpired points,
--                rejected (status `rejected`, not applied) when they are short;
--   adjust       Points Adjusted of source cdp (the adjustments route), properties.points (a whole number != 0);
--   expire       positive entries expire at the end of the local day {expiry_months} months after them; the
--                unspent rest of one is an expire entry at that instant.
-- An order counts once (the orders job), an event once per message id. Entries apply in (occurred_at,
-- entry_id) order; at one instant expiries come first. Points are spent oldest first: a negative entry takes
-- from the oldest unspent points, what it cannot take is a debt the next positive entries pay first. So every
-- entry that takes points takes them from the front of the positive entries (the lots) in order, and what is
-- left of lot k is clamp(lot_sum[k] - taken, 0, its points): the state is a few numbers. That is sequential per
-- member (a redemption is refused, and a lot expires, by what was taken before), so it is one arrayFold over
-- each member's sorted entries, its state (taken, given: the sum of the positive entries so far, lots expired,
-- the taken before each expired lot, the rejected redemptions' positions); the balance is given - taken.
DELETE FROM {{database}}.loyalty_ledger WHERE as_of = {as_of:DateTime64(3, 'UTC')};

DELETE FROM {{database}}.loyalty_level_changes WHERE as_of = {as_of:DateTime64(3, 'UTC')};

DELETE FROM {{database}}.loyalty_standings WHERE as_of = {as_of:DateTime64(3, 'UTC')};

INSERT INTO {{database}}.loyalty_ledger (as_of, profile_id, entry_id, kind, points, status, occurred_at, expires_at, order_id, message_id, reason)
SELECT {as_of:DateTime64(3, 'UTC')}, profile_id, e.1, e.2, e.3, e.4, e.5, e.6, e.7, e.8, e.9
FROM
(
    SELECT
        profile_id,
        entries,
        arrayFilter(x -> x.3 > 0, entries) AS lots,
        arrayMap(x -> assumeNotNull(x.4), lots) AS lot_expiry,
        arrayCumSum(arrayMap(x -> x.3, lots)) AS lot_sum,
        arrayFold(
            (acc, x) -> arrayFold(
                (a, y) -> multiIf(
                    y.2 = 'end', a,
                    y.3 > 0, (a.1, a.2 + y.3, a.3, a.4, a.5),
                    y.2 = 'redeem' AND a.2 - a.1 < -y.3, (a.1, a.2, a.3, a.4, arrayPushBack(a.5, y.4)),
                    (a.1 - y.3, a.2, a.3, a.4, a.5)),
                [x],
                -- The lots whose expiry has come by this entry's instant expire first, together: each takes what
                -- is left of it with the taken so far (acc.1) before them.
                arrayFold(
                    (b, m) -> if(m > b.3, (greatest(b.1, lot_sum[m]), b.2, m, arrayConcat(b.4, arrayWithConstant(m - b.3, b.1)), b.5), b),
                    [toUInt32(arrayCount(t -> t <= x.1, lot_expiry))],
                    acc)),
            arrayPushBack(arrayMap((x, i) -> (x.1, x.2, x.3, toUInt32(i)), entries, arrayEnumerate(entries)),
                          ({as_of:DateTime64(3, 'UTC')}, 'end', toInt64(0), toUInt32(0))),
            (toInt64(0), toInt64(0), toUInt32(0), CAST([], 'Array(Int64)'), CAST([], 'Array(UInt32)'))) AS state
    FROM
    (
        SELECT profile_id, arraySort(x -> (x.1, x.5), groupArray((at, kind, points, expires_at, entry_id, order_id, message_id, reason))) AS entries
        FROM
        (
            -- A positive entry expires at the instant after the end of the local day {expiry_months} months after it.
            SELECT profile_id, at, kind, points,
                   if(points > 0, toTimeZone(toDateTime64(addMonths(toDate(at, {tz:String}), {expiry_months:UInt32}) + 1, 3, {tz:String}), 'UTC'), NULL) AS expires_at,
                   entry_id, order_id, message_id, reason
            FROM
            (
                SELECT profile_id, at, kind, points, entry_id, order_id, message_id, reason
                FROM ({{part:loyalty-order-entries}})
                UNION ALL
                SELECT profile_id, at, kind, points, concat(kind, ':', message_id), '', message_id, reason
                FROM
                (
                    SELECT message_id, profile_id, at,
                           multiIf(event = 'Points Redeemed', 'redeem', event = 'Points Adjusted', 'adjust', 'bonus') AS kind,
                           JSONExtractFloat(properties, 'points') AS asked,
                           multiIf(kind = 'bonus', {bonus_points:Array(Int64)}[indexOf({bonus_names:Array(String)}, event)],
                                   kind = 'redeem', -toInt64(asked), toInt64(asked)) AS points,
                           if(kind = 'adjust', JSONExtractString(properties, 'reason'), '') AS reason,
                           source_id
                    FROM
                    (
                        SELECT e.message_id AS message_id, argMin({{survivor:e}}, e.timestamp) AS profile_id, min(e.timestamp) AS at,
                               argMin(e.event, e.timestamp) AS event, argMin(e.properties, e.timestamp) AS properties, argMin(e.source_id, e.timestamp) AS source_id
                        FROM {{database}}.events AS e
                        {{override:e}}
                        WHERE e.type = 'track' AND e.event IN {events:Array(String)} AND e.timestamp < {as_of:DateTime64(3, 'UTC')} AND e.profile_id != ''
                        GROUP BY e.message_id
                    )
                )
                WHERE kind = 'bonus'
                   OR (kind = 'redeem' AND asked > 0 AND asked = floor(asked) AND asked < 1e15)
                   OR (kind = 'adjust' AND source_id = 'cdp' AND asked != 0 AND asked = floor(asked) AND abs(asked) < 1e15)
            )
            WHERE points != 0
        )
        GROUP BY profile_id
    )
)
ARRAY JOIN arrayConcat(
    arrayMap((x, i) -> (x.5, x.2, x.3, if(x.2 = 'redeem' AND has(state.5, i), 'rejected', 'applied'), x.1, x.4, x.6, x.7, x.8), entries, arrayEnumerate(entries)),
    arrayFilter(x -> x.3 < 0, arrayMap((taken, k) -> (concat('expire:', lots[k].5), 'expire', greatest(taken, lot_sum[k - 1]) - greatest(taken, lot_sum[k]), 'applied',
                                                     lot_expiry[k], CAST(NULL, 'Nullable(DateTime64(3, \'UTC\'))'), '', '', ''), state.4, arrayEnumerate(state.4)))) AS e;

-- Level history: the level is worked out at each instant it can change (an order or a refund: spend of the
-- window's earlier days plus the day's money up to and with it; the start of the local day on which a day's
-- money leaves the window, not after as_of: spend of the days still in it) and a row written where it differs
-- from the one before (the lowest level before the first). At one instant, the window moving comes first.
INSERT INTO {{database}}.loyalty_level_changes (as_of, profile_id, changed_at, from_level, to_level, direction)
SELECT {as_of:DateTime64(3, 'UTC')}, profile_id, at, {level_names:Array(String)}[previous], {level_names:Array(String)}[level], if(level > previous, 'up', 'down')
FROM
(
    SELECT profile_id, at, level, lagInFrame(level, 1, 1) OVER (PARTITION BY profile_id ORDER BY at, moment ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS previous
    FROM
    (
        SELECT profile_id, point.1 AS at, point.2 AS moment, greatest(1, arrayCount(t -> point.3 >= toDecimal128(t, 4), {thresholds:Array(String)})) AS level
        FROM
        (
            SELECT profile_id,
                   [(at, 1, sum(amount) OVER (PARTITION BY profile_id ORDER BY day RANGE BETWEEN {window_back:UInt32} PRECEDING AND 1 PRECEDING)
                            + sum(amount) OVER (PARTITION BY profile_id, day ORDER BY at RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)),
                    (toTimeZone(toDateTime64(addDays(toDate('1970-01-01'), day + {window_back:UInt32} + 1), 3, {tz:String}), 'UTC'), 0,
                     sum(amount) OVER (PARTITION BY profile_id ORDER BY day RANGE BETWEEN 1 FOLLOWING AND {window_back:UInt32} FOLLOWING))] AS points
            FROM ({{part:loyalty-spend}})
        )
        ARRAY JOIN points AS point
        WHERE point.1 <= {as_of:DateTime64(3, 'UTC')}
    )
)
WHERE level != previous;

-- Standing at as_of: the balance (applied entries), the level by the spend of the window's days up to as_of,
-- level_since (the latest change), and what is left of each lot, worked out from the ledger: every negative
-- entry took from the oldest lots (a debt paid by the next positive entries is the same), so the lots left
-- are the positive entries in order with the total taken cut from the front.
INSERT INTO {{database}}.loyalty_standings (as_of, profile_id, balance, level, level_since, window_spend, expiring_30d, expiring)
SELECT
    {as_of:DateTime64(3, 'UTC')},
    p.profile_id,
    b.balance,
    {level_names:Array(String)}[greatest(1, arrayCount(t -> s.spend >= toDecimal128(t, 4), {thresholds:Array(String)}))],
    c.since,
    s.spend,
    ifNull(x.soon, 0),
    ifNull(x.lots, [])
FROM
(
    SELECT profile_id FROM {{database}}.loyalty_ledger WHERE as_of = {as_of:DateTime64(3, 'UTC')}
    UNION DISTINCT
    SELECT profile_id FROM ({{part:loyalty-spend}})
) AS p
LEFT JOIN
(
    SELECT profile_id, sumIf(points, status = 'applied') AS balance
    FROM {{database}}.loyalty_ledger WHERE as_of = {as_of:DateTime64(3, 'UTC')}
    GROUP BY profile_id
) AS b ON b.profile_id = p.profile_id
LEFT JOIN
(
    SELECT profile_id, toDecimal64(sumIf(amount, day >= toInt32(toDate({as_of:DateTime64(3, 'UTC')}, {tz:String})) - {window_back:UInt32}), 4) AS spend
    FROM ({{part:loyalty-spend}})
    GROUP BY profile_id
) AS s ON s.profile_id = p.profile_id
LEFT JOIN
(
    SELECT profile_id, CAST(max(changed_at), 'Nullable(DateTime64(3, \'UTC\'))') AS since
    FROM {{database}}.loyalty_level_changes WHERE as_of = {as_of:DateTime64(3, 'UTC')}
    GROUP BY profile_id
) AS c ON c.profile_id = p.profile_id
LEFT JOIN
(
    SELECT profile_id,
           sumIf(left, expires_at <= {as_of:DateTime64(3, 'UTC')} + INTERVAL 30 DAY) AS soon,
           arraySort(groupArray((last_day, left))) AS lots
    FROM
    (
        SELECT profile_id, expires_at, toDate(expires_at, {tz:String}) - 1 AS last_day, sum(rest) AS left
        FROM
        (
            SELECT profile_id, l.1 AS expires_at, least(l.2, greatest(toInt64(0), l.3 - taken)) AS rest
            FROM
            (
                SELECT profile_id,
                       -sumIf(points, status = 'applied' AND points < 0) AS taken,
                       arraySort(x -> (x.3, x.4), groupArrayIf((assumeNotNull(expires_at), points, occurred_at, entry_id), status = 'applied' AND points > 0)) AS positives
                FROM {{database}}.loyalty_ledger WHERE as_of = {as_of:DateTime64(3, 'UTC')}
                GROUP BY profile_id
            )
            ARRAY JOIN arrayMap((e, c) -> (e.1, e.2, c), positives, arrayCumSum(arrayMap(e -> e.2, positives))) AS l
        )
        WHERE rest > 0
        GROUP BY profile_id, expires_at
    )
    GROUP BY profile_id
) AS x ON x.profile_id = p.profile_id;
