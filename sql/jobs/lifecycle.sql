-- lifecycle: the stage of every profile seen by {as_of} (first event not after it), under its surviving
-- profile, with orders as the orders job's snapshot for the same as_of counts them (a fully refunded order
-- does not count). The first rule that matches:
--   prospect  no order;
--   lost      no order within {lost_days} days;
--   new       first order within {new_days} days;
--   at_risk   churn_flag (model) or rule_flag in the churn snapshot standing at as_of (the latest successful
--             churn run not after it; none: nobody is flagged);
--   active    every other buyer.
-- "Within N days" is a segment window's within_days: local calendar days in {tz}, day 0 being as_of's, so an
-- order is within N days when as_of's local day minus the order's local day is less than N (by dateDiff, not
-- `day > today - N`: a Date minus more days than lie since 1970 wraps round).
--
-- History: the previous snapshot is the latest successful lifecycle run before as_of. `since` is carried
-- from it when the profile's stage is unchanged, otherwise it is as_of; lifecycle_transitions gets a row per
-- profile whose stage differs from it (from_stage '' for a profile it did not hold), and none at all for the
-- first snapshot. reactivated: lost or at_risk to active or new.
-- {churn_as_of} and {previous_as_of} are those two snapshots' as_of (NULL: none), found by the job
-- (segments/jobs/lifecycle-job.ts) with latestSucceeded, the one rule for "the snapshot standing then".
DELETE FROM {{database}}.lifecycle_stages WHERE as_of = {as_of:DateTime64(3, 'UTC')};

DELETE FROM {{database}}.lifecycle_transitions WHERE as_of = {as_of:DateTime64(3, 'UTC')};

INSERT INTO {{database}}.lifecycle_stages (as_of, profile_id, stage, since, orders, first_order_at, last_order_at)
WITH toDate({as_of:DateTime64(3, 'UTC')}, {tz:String}) AS today
SELECT
    {as_of:DateTime64(3, 'UTC')},
    p.survivor,
    multiIf(
        b.orders = 0, 'prospect',
        dateDiff('day', toDate(b.last_order_at, {tz:String}), today) >= {lost_days:UInt32}, 'lost',
        dateDiff('day', toDate(b.first_order_at, {tz:String}), today) < {new_days:UInt32}, 'new',
        c.flagged = 1, 'at_risk',
        'active') AS stage,
    if(prev.stage = stage, prev.since, {as_of:DateTime64(3, 'UTC')}),
    b.orders,
    if(b.orders = 0, NULL, b.first_order_at),
    if(b.orders = 0, NULL, b.last_order_at)
FROM
(
    {{part:profiles-seen}}
) AS p
LEFT JOIN
(
    SELECT {{survivor:o}} AS survivor, toUInt32(count()) AS orders, min(o.ordered_at) AS first_order_at, max(o.ordered_at) AS last_order_at
    FROM {{database}}.orders AS o
    {{override:o}}
    WHERE o.as_of = {as_of:DateTime64(3, 'UTC')} AND NOT (o.refunded > 0 AND o.net_revenue <= 0) AND o.profile_id != ''
    GROUP BY survivor
) AS b ON b.survivor = p.survivor
LEFT JOIN
(
    -- Scores written before a merge may hold both halves of a customer: flagged when either half was.
    SELECT {{survivor:s}} AS survivor, max(s.churn_flag OR s.rule_flag) AS flagged
    FROM {{database}}.churn_scores AS s
    {{override:s}}
    WHERE s.as_of = {churn_as_of:Nullable(DateTime64(3, 'UTC'))}
    GROUP BY survivor
) AS c ON c.survivor = p.survivor
LEFT JOIN
(
    SELECT profile_id, stage, since FROM {{database}}.lifecycle_stages WHERE as_of = {previous_as_of:Nullable(DateTime64(3, 'UTC'))}
) AS prev ON prev.profile_id = p.survivor;

INSERT INTO {{database}}.lifecycle_transitions (profile_id, from_stage, to_stage, from_as_of, as_of, reactivated)
SELECT
    cur.profile_id,
    prev.stage,
    cur.stage,
    assumeNotNull({previous_as_of:Nullable(DateTime64(3, 'UTC'))}),
    {as_of:DateTime64(3, 'UTC')},
    prev.stage IN ('lost', 'at_risk') AND cur.stage IN ('active', 'new')
FROM (SELECT profile_id, stage FROM {{database}}.lifecycle_stages WHERE as_of = {as_of:DateTime64(3, 'UTC')}) AS cur
LEFT JOIN (SELECT profile_id, stage FROM {{database}}.lifecycle_stages WHERE as_of = {previous_as_of:Nullable(DateTime64(3, 'UTC'))}) AS prev ON prev.profile_id = cur.profile_id
WHERE {previous_as_of:Nullable(DateTime64(3, 'UTC'))} IS NOT NULL AND prev.stage != cur.stage;
