-- Each earning order's multiplier: that of the level standing at the start of its local day, by the net spend
-- of the {window_back} = LOYALTY_LEVEL_WINDOW_DAYS - 1 local days before it (the days a within_days window
-- of that length holds, the order's own day not yet begun).
SELECT order_id,
       toDecimal128(arrayElement({multipliers:Array(String)},
           greatest(1, arrayCount(t -> spend >= toDecimal128(t, 4), {thresholds:Array(String)}))), 6) AS multiplier
FROM
(
    SELECT order_id, is_order,
           sum(amount) OVER (PARTITION BY profile_id ORDER BY day RANGE BETWEEN {window_back:UInt32} PRECEDING AND 1 PRECEDING) AS spend
    FROM ({{part:loyalty-spend}})
)
WHERE is_order = 1
