-- The money that makes a member's level, as of {as_of}: each earning order (+ its revenue) and each of its
-- refunds (- the amount), on the local day ({tz}) it happened; `day` is that day's number.
SELECT profile_id, order_id, '' AS message_id, at, toInt32(toDate(at, {tz:String})) AS day, revenue AS amount, 1 AS is_order
FROM ({{part:loyalty-orders}})
UNION ALL
SELECT profile_id, order_id, message_id, at, toInt32(toDate(at, {tz:String})), -amount, 0
FROM ({{part:loyalty-refunds}})
