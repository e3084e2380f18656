import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';
import type { Config } from '../pipeline/core/config.js';
import { createLogger } from '../pipeline/core/logger.js';
import { createSqlRunner } from '../pipeline/clickhouse/sql-runner.js';
import type { z } from 'zod';
import type { segmentInput } from '../segments/definition/segment-definition.js';
import { createMembershipRunner, type SegmentRunSummary } from '../segments/membership/membership-runner.js';
import { createSegmentStore, parseSegmentInput } from '../segments/segment-store.js';

// The "20 segments" of the jobs target: the kinds retail marketers define (RFM cells, churn risk, CLV,
// browse/cart abandonment, purchase counts in calendar windows, segments of segments), over the jobs bench's
// generated events and the orders/RFM/churn snapshots the jobs just wrote.

const ordered = { type: 'event', event: 'Order Completed' } as const;

export const BENCH_SEGMENTS: z.input<typeof segmentInput>[] = [
  { id: 'champions', name: 'Champions', conditions: { type: 'rfm', segment: ['Champions'] } },
  { id: 'loyal-or-champions', name: 'Loyal or champions', conditions: { type: 'rfm', segment: ['Loyal', 'Champions'] } },
  { id: 'lost', name: 'Lost and hibernating', conditions: { type: 'rfm', segment: ['Lost', 'Hibernating'] } },
  { id: 'new-customers', name: 'New customers', conditions: { type: 'rfm', segment: ['New'] } },
  { id: 'big-spenders', name: 'Top monetary quintile', conditions: { type: 'rfm', m: { gte: 5 } } },
  { id: 'frequent', name: 'Frequent buyers', conditions: { type: 'rfm', f: { gte: 4 } } },
  { id: 'p-alive-low', name: 'P(alive) below 0.3', conditions: { type: 'churn', p_alive: { lte: 0.3 } } },
  { id: 'rule-churned', name: 'Overdue by their own rhythm', conditions: { type: 'churn', flag: 'rule' } },
  { id: 'high-clv', name: 'CLV over 500', conditions: { type: 'clv', gte: 500 } },
  { id: 'high-value-at-risk', name: 'High value at risk', conditions: { type: 'and', conditions: [{ type: 'clv', gte: 200 }, { type: 'churn', flag: 'either' }] } },
  { id: 'viewed-not-bought-30d', name: 'Viewed, did not buy (30 days)', conditions: { type: 'and', conditions: [{ type: 'event', event: 'Product Viewed', window: { within_days: 30 } }, { type: 'no_event', event: 'Order Completed', window: { within_days: 30 } }] } },
  { id: 'cart-abandoners-7d', name: 'Cart abandoners (7 days)', conditions: { type: 'and', conditions: [{ type: 'event', event: 'Product Added', window: { within_days: 7 } }, { type: 'no_event', event: 'Order Completed', window: { within_days: 7 } }] } },
  { id: 'checkout-no-order-14d', name: 'Checkout without order (14 days)', conditions: { type: 'and', conditions: [{ type: 'event', event: 'Checkout Started', window: { within_days: 14 } }, { type: 'no_event', event: 'Order Completed', window: { within_days: 14 } }] } },
  { id: 'bought-twice-this-quarter', name: 'Bought twice this quarter', conditions: { ...ordered, count: { op: 'gte', value: 2 }, window: { this: 'quarter' } } },
  { id: 'one-time-buyers', name: 'One-time buyers', conditions: { ...ordered, count: { op: 'eq', value: 1 } } },
  { id: 'searchers-90d', name: 'Searched 3+ times in 90 days', conditions: { type: 'event', event: 'Products Searched', count: { op: 'gte', value: 3 }, window: { within_days: 90 } } },
  { id: 'refunders', name: 'Asked for a refund', conditions: { type: 'event', event: 'Order Refunded' } },
  { id: 'product-42-viewers', name: 'Viewed product 42 this year', conditions: { type: 'event', event: 'Product Viewed', where: [{ property: 'product_id', op: 'eq', value: '42' }], window: { between_days_ago: [0, 365] } } },
  { id: 'dormant-visitors', name: 'No page view in 60 days', conditions: { type: 'no_event', call: 'page', window: { within_days: 60 } } },
  { id: 'champions-not-browsing', name: 'Champions not seen browsing (30 days)', conditions: { type: 'and', conditions: [{ type: 'segment', segment_id: 'champions' }, { type: 'no_event', event: 'Product Viewed', window: { within_days: 30 } }] } },
];

export interface SegmentsFigure {
  segments: number;
  seconds: number;
  runs: Pick<SegmentRunSummary, 'segment_id' | 'size' | 'entered' | 'duration_ms'>[];
}

/** Saves the 20 segments in the bench database and times one membership run of all of them as of asOf. */
export async function runBenchSegments(client: ClickHouseClient, config: Config, asOf: number): Promise<SegmentsFigure> {
  const analystSql = await createSqlRunner(config, { maxExecutionSeconds: 600, maxResultRows: 100_000_000, maxMemoryBytes: config.SEGMENT_SQL_MAX_MEMORY_BYTES });
  try {
    const store = createSegmentStore({ clickhouse: client, database: config.CLICKHOUSE_DATABASE, analystSql });
    for (const segment of BENCH_SEGMENTS) {
      const input = parseSegmentInput(segment);
      await store.put(input.id!, input, 'bench');
    }
    const runner = createMembershipRunner({ clickhouse: client, analystSql, store, config, log: createLogger(config, { bench: 'segments' }) });
    const t = performance.now();
    const runs = await runner.runAll(asOf);
    return {
      segments: runs.length,
      seconds: (performance.now() - t) / 1000,
      runs: runs.map((r) => ({ segment_id: r.segment_id, size: r.size, entered: r.entered, duration_ms: r.duration_ms })),
    };
  } finally {
    await analystSql.close();
  }
}
