-- Product Viewed events before {as_of} (`properties.product_id`, a string or a number as JSON writes it), each
-- under its surviving profile.
SELECT {{survivor:v}} AS profile_id, v.product_id AS product_id, v.viewed_at AS viewed_at
FROM
(
    SELECT profile_id, timestamp AS viewed_at, multiIf(
        JSONType(properties, 'product_id') = 'String', JSONExtractString(properties, 'product_id'),
        JSONType(properties, 'product_id') IN ('Int64', 'UInt64', 'Double'), JSONExtractRaw(properties, 'product_id'),
        '') AS product_id
    FROM {{database}}.events
    WHERE type = 'track' AND event = 'Product Viewed' AND timestamp < {as_of:DateTime64(3, 'UTC')} AND profile_id != ''
) AS v
{{override:v}}
WHERE v.product_id != ''
