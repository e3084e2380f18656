// The "10 computed traits" of the customer-model target: the per-customer numbers retail marketers define
// (spend and orders in a window, order values, favourite product, days since the last visit, what is in the
// cart), over the jobs bench's generated events (bench/jobs-bench.ts: track events carry product_id; orders
// carry order_id and revenue).

export interface BenchTrait {
  id: string;
  definition: Record<string, unknown>;
}

const orders = { event: 'Order Completed' } as const;

export const BENCH_TRAITS: BenchTrait[] = [
  { id: 'orders_90d', definition: { name: 'Orders in the last 90 days', kind: 'count', ...orders, window: { within_days: 90 } } },
  { id: 'spent_90d', definition: { name: 'Spent in the last 90 days', kind: 'sum', ...orders, property: 'revenue', window: { within_days: 90 } } },
  { id: 'average_order', definition: { name: 'Average order value', kind: 'avg', ...orders, property: 'revenue' } },
  { id: 'largest_order', definition: { name: 'Largest order', kind: 'max', ...orders, property: 'revenue' } },
  { id: 'favourite_product', definition: { name: 'Most viewed product', kind: 'most_frequent', event: 'Product Viewed', property: 'product_id' } },
  { id: 'products_added', definition: { name: 'Distinct products added to cart', kind: 'unique_count', event: 'Product Added', property: 'product_id' } },
  { id: 'days_since_visit', definition: { name: 'Days since the last page view', kind: 'days_since_last', call: 'page' } },
  { id: 'days_since_first_order', definition: { name: 'Days since the first order', kind: 'days_since_first', ...orders } },
  { id: 'last_search', definition: { name: 'Last product searched', kind: 'last', event: 'Products Searched', property: 'product_id' } },
  { id: 'cart_30d', definition: { name: 'Products added in the last 30 days', kind: 'unique_list', event: 'Product Added', property: 'product_id', window: { within_days: 30 } } },
];
