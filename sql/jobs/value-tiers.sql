-- value_tiers: the tier of every buyer at {as_of} (a profile with at least one order the orders job's snapshot
-- for the same as_of counts: fully refunded orders do not), under its surviving profile. Prospects have none.
--   historical_value  net revenue of the buyer's counted orders; with SHOP_CURRENCY set ({shop_currency}), of
--                     those in it (or without a currency): an order in another is left out of the money, and a
--                     buyer whose orders are all in others stays a buyer with 0;
--   predicted_value   the CLV in the churn snapshot standing at as_of (the latest successful churn run not
--                     after it: {churn_as_of}, found by the job with latestSucceeded), 0 without one;
--   *_rank            percent_rank() from the top, ties by profile id: (i - 1) / (n - 1) for the i-th of n
--                     buyers, 0 for a single buyer.
-- The first rule that matches: high_value, historical_rank < {high_below} (VALUE_TIER_HIGH_PERCENT / 100);
-- potential, predicted_rank < {high_below}; low, both ranks > {low_above} (1 - VALUE_TIER_LOW_PERCENT / 100);
-- ordinary, every other buyer.
--
-- The cut-offs with small n (HIGH 20, LOW 40; the comparisons are strict, so a rank exactly at a cut-off is
-- outside the band):
--   n = 1:  rank 0: high_value.
--   n = 5:  ranks 0, .25, .5, .75, 1: the top band is the 1st (.25 is not < .2); the bottom band the 4th and
--           5th (.75 and 1 are > .6).
--   n = 6:  ranks 0, .2, .4, .6, .8, 1: top the 1st only (.2 is not < .2), bottom the 5th and 6th (.6 is not > .6).
--   n = 10: ranks k / 9: top the 1st and 2nd (0, .11; .22 is not < .2), bottom the 7th to 10th (6/9 = .67 > .6,
--           5/9 = .56 not).
-- So for n >= 2 each band holds ceil(p * (n - 1)) buyers, p being its share: the bands split the n - 1 steps
-- between the first and the last buyer. The cut-offs are passed as HIGH / 100 and (100 - LOW) / 100, each one
-- correctly rounded division as percent_rank's own is, so a rank equal to a cut-off compares equal (1 - 0.3 in
-- floating point would not be 7 / 10).
DELETE FROM {{database}}.value_tiers WHERE as_of = {as_of:DateTime64(3, 'UTC')};

INSERT INTO {{database}}.value_tiers (as_of, profile_id, tier, historical_value, predicted_value, historical_rank, predicted_rank, orders)
SELECT
    {as_of:DateTime64(3, 'UTC')},
    profile_id,
    multiIf(
        historical_rank < {high_below:Float64}, 'high_value',
        predicted_rank < {high_below:Float64}, 'potential',
        historical_rank > {low_above:Float64} AND predicted_rank > {low_above:Float64}, 'low',
        'ordinary'),
    historical_value,
    predicted_value,
    historical_rank,
    predicted_rank,
    orders
FROM
(
    SELECT
        b.survivor AS profile_id,
        b.historical_value AS historical_value,
        c.clv AS predicted_value,
        b.orders AS orders,
        percent_rank() OVER (ORDER BY historical_value DESC, profile_id ASC) AS historical_rank,
        percent_rank() OVER (ORDER BY predicted_value DESC, profile_id ASC) AS predicted_rank
    FROM
    (
        SELECT
            {{survivor:o}} AS survivor,
            toUInt32(count()) AS orders,
            sumIf(o.net_revenue, {shop_currency:String} = '' OR o.currency = '' OR upperUTF8(o.currency) = {shop_currency:String}) AS historical_value
        FROM {{database}}.orders AS o
        {{override:o}}
        WHERE o.as_of = {as_of:DateTime64(3, 'UTC')} AND NOT (o.refunded > 0 AND o.net_revenue <= 0) AND o.profile_id != ''
        GROUP BY survivor
    ) AS b
    LEFT JOIN
    (
        -- Scores written before a merge may hold both halves of a customer: their expected values add up.
        SELECT {{survivor:s}} AS survivor, sum(s.clv) AS clv
        FROM {{database}}.churn_scores AS s
        {{override:s}}
        WHERE s.as_of = {churn_as_of:Nullable(DateTime64(3, 'UTC'))}
        GROUP BY survivor
    ) AS c ON c.survivor = b.survivor
);
