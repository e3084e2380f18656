import type { Queue } from 'bullmq';
import type { ClickHouseClient } from '../../../pipeline/clickhouse/client.js';
import { chTime } from '../../../pipeline/clickhouse/ch-time.js';

/** What the metrics read: ClickHouse for the events, the queues for the pipeline's backlog. */
export interface MetricContext {
  clickhouse: ClickHouseClient;
  database: string;
  /** KPI_TIME_ZONE, else SEGMENTS_TIME_ZONE: the local day of `nps_day`. */
  timeZone: string;
  /** SHOP_CURRENCY upper-cased, '' when unset. */
  shopCurrency: string;
  /** The load queue: its waiting jobs. */
  loadQueue: Pick<Queue, 'getWaitingCount'>;
  /** Each outgoing queue's dead-lettered deliveries, counted now (audience webhooks, event destinations, alert deliveries). */
  deadLetterCounts: (() => Promise<number>)[];
}

/** One row of a query with the instant `at` (epoch ms) as {at:DateTime64(3, 'UTC')}, and more parameters. */
export async function queryRow<T>(ctx: MetricContext, query: string, at: number, params: Record<string, unknown> = {}): Promise<T | undefined> {
  const rs = await ctx.clickhouse.query({ query, query_params: { at: chTime(at), ...params }, format: 'JSONEachRow' });
  return (await rs.json<T>())[0];
}
