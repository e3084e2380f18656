import { queryRow, type MetricContext } from './metric-context.js';

export interface OrdersInHour {
  orders: number;
  revenue: number;
}

/**
 * Orders placed in the hour before `at` ([at − 60 min, at)), from the `Order Completed` events themselves
 * rather than the daily orders job: an order counts once, in the hour of its first `Order Completed` (a
 * resend, or a second event for the same order_id later, adds nothing; events without an order_id are an
 * order each, by message id), with that event's revenue. With SHOP_CURRENCY set, revenue counts only orders
 * in it (or without a currency), as the value tiers and KPIs do; orders counts them all. Refunds are not
 * subtracted: an hour's figure is what was ordered in it.
 */
export async function ordersInHour(ctx: MetricContext, at: number): Promise<OrdersInHour> {
  const db = ctx.database;
  const row = await queryRow<{ orders: string; revenue: number }>(
    ctx,
    `SELECT count() AS orders, toFloat64(sumIf(revenue, {shop_currency:String} = '' OR currency = '' OR upperUTF8(currency) = {shop_currency:String})) AS revenue
     FROM
     (
         SELECT if(order_id != '', order_id, message_id) AS order_key, min(timestamp) AS first_at,
                argMin(ifNull(revenue, 0), (timestamp, message_id)) AS revenue, argMin(currency, (timestamp, message_id)) AS currency
         FROM ${db}.events
         WHERE type = 'track' AND event = 'Order Completed' AND timestamp < {at:DateTime64(3, 'UTC')}
           AND (order_id GLOBAL IN (SELECT order_id FROM ${db}.events
                             WHERE type = 'track' AND event = 'Order Completed' AND order_id != ''
                               AND timestamp >= {at:DateTime64(3, 'UTC')} - INTERVAL 1 HOUR AND timestamp < {at:DateTime64(3, 'UTC')})
                OR (order_id = '' AND timestamp >= {at:DateTime64(3, 'UTC')} - INTERVAL 1 HOUR))
         GROUP BY order_key
     )
     WHERE first_at >= {at:DateTime64(3, 'UTC')} - INTERVAL 1 HOUR`,
    at,
    { shop_currency: ctx.shopCurrency },
  );
  return { orders: Number(row?.orders ?? 0), revenue: Number(row?.revenue ?? 0) };
}
