import { createClickHouse, isEmbedded, type ClickHouseClient } from './clickhouse.js';
import type { Config } from './config.js';

export type SqlConfig = Parameters<typeof createClickHouse>[0] & Pick<Config, 'SQL_MAX_EXECUTION_SECONDS' | 'SQL_MAX_RESULT_ROWS'>;

export interface SqlRunner {
  /** Runs one read-only query in the product database; rows come back as JSON objects. */
  run(query: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * Analyst queries (`cdp sql`, `POST /v1/sql`) on a connection of their own, in ClickHouse's `readonly = 2`
 * mode: SELECT/SHOW/DESCRIBE/EXPLAIN work, anything that writes or alters is refused by the engine itself.
 * chDB applies settings with SET on its session, and a readonly session may not SET readonly again, so
 * there it is set once when the connection opens; a server gets it with every query.
 * Product tables are found without a database prefix, as analysts expect.
 */
export async function createSqlRunner(config: SqlConfig): Promise<SqlRunner> {
  const embedded = isEmbedded(config);
  const client: ClickHouseClient = createClickHouse(config, { database: config.CLICKHOUSE_DATABASE });
  if (embedded) {
    await client.command({ query: `USE ${config.CLICKHOUSE_DATABASE}` });
    await client.command({ query: 'SET readonly = 2' });
  }
  const settings = {
    max_execution_time: config.SQL_MAX_EXECUTION_SECONDS,
    max_result_rows: String(config.SQL_MAX_RESULT_ROWS),
    result_overflow_mode: 'throw' as const,
    // 64-bit integers as JSON strings, as a ClickHouse server does by default (chDB does not): same output
    // in both modes, and no silent rounding above 2^53 in JavaScript clients.
    output_format_json_quote_64bit_integers: 1 as const,
    ...(embedded ? {} : { readonly: '2' as const }),
  };
  return {
    async run(query) {
      const rs = await client.query({ query, format: 'JSONEachRow', clickhouse_settings: settings });
      return rs.json<Record<string, unknown>>();
    },
    close: () => client.close(),
  };
}
