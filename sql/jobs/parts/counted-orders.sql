-- The orders a KPI counts, as of {as_of}: the orders job's snapshot for that as_of, fully refunded orders
-- left out, each under its surviving profile; `day` is the local calendar day in {tz}; `in_currency` says
-- whether its money counts (SHOP_CURRENCY unset, {shop_currency} = '': always).
SELECT
    o.order_id AS order_id,
    o.ordered_at AS ordered_at,
    {{survivor:o}} AS profile_id,
    toDate(o.ordered_at, {tz:String}) AS day,
    o.net_revenue AS net,
    {shop_currency:String} = '' OR o.currency = '' OR upperUTF8(o.currency) = {shop_currency:String} AS in_currency
FROM {{database}}.orders AS o
{{override:o}}
WHERE o.as_of = {as_of:DateTime64(3, 'UTC')} AND NOT (o.refunded > 0 AND o.net_revenue <= 0) AND o.profile_id != ''
