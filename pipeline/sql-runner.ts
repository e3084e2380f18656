import { createClickHouse, isEmbedded, type ClickHouseClient } from './clickhouse.js';
import type { Config } from './config.js';

export type SqlConfig = Parameters<typeof createClickHouse>[0] & Pick<Config, 'SQL_MAX_EXECUTION_SECONDS' | 'SQL_MAX_RESULT_ROWS'>;

export interface SqlRunner {
  /** Runs one read-only query in the product database; rows come back as JSON objects. */
  run(query: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface SqlLimits {
  /** 2 lets a query set its own limits; 1 (analyst SQL segments) lets it change no setting at all. */
  readonly: 1 | 2;
  maxExecutionSeconds: number;
  maxResultRows: number;
  maxMemoryBytes?: number;
}

/**
 * Analyst queries (`cdp sql`, `POST /v1/sql`) on a connection of their own, in ClickHouse's `readonly = 2`
 * mode: SELECT/SHOW/DESCRIBE/EXPLAIN work, anything that writes or alters is refused by the engine itself.
 * chDB applies settings with SET on its session, and a readonly session may not SET readonly again, so
 * there it is set once when the connection opens; a server gets it with every query.
 * Product tables are found without a database prefix, as analysts expect.
 */
export async function createSqlRunner(config: SqlConfig, limits?: SqlLimits): Promise<SqlRunner> {
  const embedded = isEmbedded(config);
  const l = limits ?? { readonly: 2, maxExecutionSeconds: config.SQL_MAX_EXECUTION_SECONDS, maxResultRows: config.SQL_MAX_RESULT_ROWS };
  const client: ClickHouseClient = createClickHouse(config, { database: config.CLICKHOUSE_DATABASE });
  const settings = {
    max_execution_time: l.maxExecutionSeconds,
    max_result_rows: String(l.maxResultRows),
    result_overflow_mode: 'throw' as const,
    ...(l.maxMemoryBytes ? { max_memory_usage: String(l.maxMemoryBytes) } : {}),
    // 64-bit integers as JSON strings, as a ClickHouse server does by default (chDB does not): same output
    // in both modes, and no silent rounding above 2^53 in JavaScript clients.
    output_format_json_quote_64bit_integers: 1 as const,
  };
  if (embedded) {
    // readonly = 1 forbids every later SET, so the limits go on the session first.
    await client.command({ query: `USE ${config.CLICKHOUSE_DATABASE}` });
    if (l.readonly === 1) {
      for (const [name, value] of Object.entries(settings)) await client.command({ query: `SET ${name} = ${typeof value === 'string' && !/^\d+$/.test(value) ? `'${value}'` : value}` });
    }
    await client.command({ query: `SET readonly = ${l.readonly}` });
  }
  // A server is sent readonly = 2 with the limits on every query: readonly = 1 in the same request would
  // refuse the limits themselves. Give the analyst user a readonly profile on the server for the stricter mode.
  const perQuery = embedded ? (l.readonly === 1 ? {} : settings) : { ...settings, readonly: '2' as const };
  return {
    async run(query, params) {
      const rs = await client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: perQuery });
      return rs.json<Record<string, unknown>>();
    },
    close: () => client.close(),
  };
}
