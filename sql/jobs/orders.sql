-- orders: one row per order as of {as_of}, under the customer's surviving profile (events_resolved).
-- Segment e-commerce spec v2: `Order Completed` carries revenue (events.revenue falls back to total when a
-- client sends only total); `Order Refunded` with an amount refunds that much, without one the whole order.
-- An order is counted once (its first Order Completed); events without order_id are orders of their own.
DELETE FROM {{database}}.orders WHERE as_of = {as_of:DateTime64(3, 'UTC')};

INSERT INTO {{database}}.orders (as_of, order_id, profile_id, ordered_at, revenue, refunded, net_revenue, currency, source_id)
SELECT
    {as_of:DateTime64(3, 'UTC')},
    c.order_id,
    c.profile_id,
    c.ordered_at,
    c.revenue,
    least(c.revenue, if(rf.full_refund, c.revenue, toDecimal64(rf.amount, 4))) AS refunded,
    c.revenue - refunded,
    c.currency,
    c.source_id
FROM
(
    SELECT
        if(order_id != '', order_id, message_id) AS order_id,
        argMin(profile_id, timestamp) AS profile_id,
        min(timestamp) AS ordered_at,
        toDecimal64(argMin(ifNull(revenue, 0), timestamp), 4) AS revenue,
        argMin(currency, timestamp) AS currency,
        argMin(source_id, timestamp) AS source_id
    FROM {{database}}.events_resolved
    WHERE type = 'track' AND event = 'Order Completed' AND timestamp < {as_of:DateTime64(3, 'UTC')}
    GROUP BY order_id
) AS c
LEFT JOIN
(
    SELECT order_id, sum(ifNull(revenue, 0)) AS amount, countIf(revenue IS NULL) > 0 AS full_refund
    FROM
    (
        -- A refund counts once per message id, as an order does: a resend after the dedupe window (or with
        -- DEDUPE_WINDOW_SECONDS=0) is loaded again, but refunds nothing more.
        SELECT order_id, message_id, any(revenue) AS revenue
        FROM {{database}}.events
        WHERE type = 'track' AND event = 'Order Refunded' AND order_id != '' AND timestamp < {as_of:DateTime64(3, 'UTC')}
        GROUP BY order_id, message_id
    )
    GROUP BY order_id
) AS rf ON rf.order_id = c.order_id;
