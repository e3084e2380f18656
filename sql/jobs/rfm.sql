-- rfm: recency, frequency and monetary value per profile over the last {window_days} days before {as_of},
-- from the orders job's rows for the same as_of. Fully refunded orders do not count; partial refunds lower
-- monetary. Each dimension is scored 1-5 by quintile (ntile over the profiles, ties broken by profile_id so
-- a re-run gives the same scores); recency scores 5 for the most recent buyers.
-- The segment comes from {segment_map}: 25 names indexed by (r - 1) * 5 + f, kept as data in
-- segments/rfm-groups.ts, where the map is shown to be total and non-overlapping.
DELETE FROM {{database}}.rfm_scores WHERE as_of = {as_of:DateTime64(3, 'UTC')};

INSERT INTO {{database}}.rfm_scores (as_of, profile_id, recency_days, frequency, monetary, r, f, m, segment)
SELECT as_of, profile_id, recency_days, frequency, monetary, r, f, m, {segment_map:Array(String)}[(r - 1) * 5 + f]
FROM
(
    SELECT
        {as_of:DateTime64(3, 'UTC')} AS as_of,
        profile_id,
        recency_days,
        frequency,
        monetary,
        toUInt8(ntile(5) OVER (ORDER BY recency_days DESC, profile_id)) AS r,
        toUInt8(ntile(5) OVER (ORDER BY frequency, profile_id)) AS f,
        toUInt8(ntile(5) OVER (ORDER BY monetary, profile_id)) AS m
    FROM
    (
        SELECT
            profile_id,
            toUInt32(dateDiff('day', max(ordered_at), {as_of:DateTime64(3, 'UTC')})) AS recency_days,
            toUInt32(count()) AS frequency,
            sum(net_revenue) AS monetary
        FROM {{database}}.orders
        WHERE as_of = {as_of:DateTime64(3, 'UTC')}
          AND ordered_at >= {as_of:DateTime64(3, 'UTC')} - toIntervalDay({window_days:UInt32})
          AND NOT (refunded > 0 AND net_revenue <= 0)
          AND profile_id != ''
        GROUP BY profile_id
    )
);
