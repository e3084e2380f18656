import type { ClickHouseClient } from '../clickhouse/client.js';

/** One parameterised read query; values travel as ClickHouse query parameters, never inside the SQL text. */
export type DashboardReader = <T>(query: string, params?: Record<string, unknown>) => Promise<T[]>;

// The queries are written to be cheap (bounded time ranges, LIMITs); this is the backstop that keeps a page
// load from tying up the connection.
const MAX_EXECUTION_SECONDS = 10;

/** Dashboard reads, on a ClickHouse connection of their own. */
export function createDashboardReader(clickhouse: ClickHouseClient): DashboardReader {
  return async <T>(query: string, params: Record<string, unknown> = {}) => {
    const rs = await clickhouse.query({
      query,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: { max_execution_time: MAX_EXECUTION_SECONDS },
    });
    return rs.json<T>();
  };
}

/** ClickHouse numbers may arrive as JSON strings (64-bit integers on a server); the dashboard wants numbers. */
export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0);
}

export function numOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = num(value);
  return Number.isFinite(n) ? n : null;
}
