-- The products of the orders a recommendation counts, as of {as_of}: the orders job's snapshot for that
-- as_of, fully refunded orders left out, each under its surviving profile; one row per order and product
-- (e-commerce spec v2 `properties.products[].product_id`, a string or a number as JSON writes it), read from
-- the order's first Order Completed (as the orders job counts an order once; events without order_id are
-- orders of their own). A product listed twice in one order counts once.
SELECT o.order_id AS order_id, {{survivor:o}} AS profile_id, o.ordered_at AS ordered_at, l.product_id AS product_id
FROM {{database}}.orders AS o
{{override:o}}
GLOBAL INNER JOIN
(
    SELECT order_id, arrayJoin(products) AS product_id
    FROM
    (
        SELECT
            if(order_id != '', order_id, message_id) AS order_id,
            argMin(
                arrayDistinct(arrayFilter(x -> x != '', arrayMap(p -> multiIf(
                    JSONType(p, 'product_id') = 'String', JSONExtractString(p, 'product_id'),
                    JSONType(p, 'product_id') IN ('Int64', 'UInt64', 'Double'), JSONExtractRaw(p, 'product_id'),
                    ''), JSONExtractArrayRaw(properties, 'products')))),
                (timestamp, message_id)) AS products
        FROM {{database}}.events
        WHERE type = 'track' AND event = 'Order Completed' AND timestamp < {as_of:DateTime64(3, 'UTC')}
        GROUP BY order_id
    )
) AS l ON l.order_id = o.order_id
WHERE o.as_of = {as_of:DateTime64(3, 'UTC')} AND NOT (o.refunded > 0 AND o.net_revenue <= 0) AND o.profile_id != ''
