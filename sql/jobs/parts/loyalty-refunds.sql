-- The refunds of the orders that earn points (loyalty-orders), as of {as_of}: one row per Order Refunded
-- message (a resent one counts once), in the order they came, with the amount it took back: its revenue, or the
-- rest of the order without one, and never more than the order's revenue less the refunds before it.
SELECT order_id, profile_id, at, message_id, least(revenue, cum) - least(revenue, cum - asked) AS amount
FROM
(
    SELECT r.order_id AS order_id, o.profile_id AS profile_id, r.at AS at, r.message_id AS message_id, o.revenue AS revenue,
           greatest(toDecimal128(0, 4), toDecimal128(ifNull(r.amount, o.revenue), 4)) AS asked,
           sum(asked) OVER (PARTITION BY r.order_id ORDER BY r.at, r.message_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
    FROM
    (
        SELECT order_id, message_id, min(timestamp) AS at, argMin(revenue, timestamp) AS amount
        FROM {{database}}.events
        WHERE type = 'track' AND event = 'Order Refunded' AND order_id != '' AND timestamp < {as_of:DateTime64(3, 'UTC')}
        GROUP BY order_id, message_id
    ) AS r
    INNER JOIN ({{part:loyalty-orders}}) AS o ON o.order_id = r.order_id
)
WHERE amount > 0
