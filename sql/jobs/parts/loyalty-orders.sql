-- The orders that earn loyalty points as of {as_of}: the orders job's snapshot for that as_of (fully refunded
-- ones too: they earned, and their refund takes the points back), each under its surviving profile, with
-- revenue; with SHOP_CURRENCY set ({shop_currency}), only those in it or without a currency.
SELECT o.order_id AS order_id, {{survivor:o}} AS profile_id, o.ordered_at AS at, toDecimal128(o.revenue, 4) AS revenue
FROM {{database}}.orders AS o
{{override:o}}
WHERE o.as_of = {as_of:DateTime64(3, 'UTC')} AND o.profile_id != '' AND o.revenue > 0
  AND ({shop_currency:String} = '' OR o.currency = '' OR upperUTF8(o.currency) = {shop_currency:String})
