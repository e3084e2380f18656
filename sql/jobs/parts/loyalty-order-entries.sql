-- The earn and refund entries, as of {as_of}, from one pass over loyalty-spend: an order earns floor(revenue ×
-- {rate} × its multiplier), a refund takes back floor(amount × {rate} × its order's multiplier). The multiplier
-- is that of the level standing at the start of the order's local day: by the net spend of the {window_back}
-- = LOYALTY_LEVEL_WINDOW_DAYS - 1 local days before it (the days a within_days window of that length holds,
-- the order's own day not yet begun).
SELECT profile_id, at, if(is_order = 1, 'earn', 'refund') AS kind,
       if(is_order = 1, 1, -1) * toInt64(floor(abs(amount) * toDecimal128({rate:String}, 6) * order_multiplier)) AS points,
       if(is_order = 1, concat('earn:', order_id), concat('refund:', order_id, ':', message_id)) AS entry_id,
       order_id, message_id, '' AS reason
FROM
(
    SELECT profile_id, order_id, message_id, at, amount, is_order,
           max(if(is_order = 1, multiplier, toDecimal128(0, 6))) OVER (PARTITION BY order_id) AS order_multiplier
    FROM
    (
        SELECT profile_id, order_id, message_id, at, amount, is_order,
               toDecimal128(arrayElement({multipliers:Array(String)},
                   greatest(1, arrayCount(t -> spend_before >= toDecimal128(t, 4), {thresholds:Array(String)}))), 6) AS multiplier
        FROM
        (
            SELECT *, sum(amount) OVER (PARTITION BY profile_id ORDER BY day RANGE BETWEEN {window_back:UInt32} PRECEDING AND 1 PRECEDING) AS spend_before
            FROM ({{part:loyalty-spend}})
        )
    )
)
