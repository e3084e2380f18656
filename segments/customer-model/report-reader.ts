import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';

/** One parameterised read query; values travel as ClickHouse query parameters, never inside the SQL text. */
export type ReportReader = <T>(query: string, params?: Record<string, unknown>) => Promise<T[]>;

// The reports read whole snapshots (a million profiles and more); this bounds one that goes wrong.
const MAX_EXECUTION_SECONDS = 60;

export function createReportReader(clickhouse: ClickHouseClient): ReportReader {
  return async <T>(query: string, params: Record<string, unknown> = {}) => {
    const rs = await clickhouse.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: { max_execution_time: MAX_EXECUTION_SECONDS } });
    return rs.json<T>();
  };
}
