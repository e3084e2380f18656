import { createClickHouse, isEmbedded, type ClickHouseClient } from './client.js';
import type { Config } from '../core/config.js';

export type SqlConfig = Parameters<typeof createClickHouse>[0] & Pick<Config, 'SQL_MAX_EXECUTION_SECONDS' | 'SQL_MAX_RESULT_ROWS' | 'SQL_MAX_MEMORY_BYTES'>;

export interface SqlRunner {
  /** The product database: unqualified table names are read from it. */
  readonly database: string;
  /** Runs one read-only query in the product database; rows come back as JSON objects. */
  run(query: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]>;
  /** ClickHouse's parse tree of one statement (`EXPLAIN AST`), one line per node. */
  explainAst(statement: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface SqlLimits {
  maxExecutionSeconds: number;
  maxResultRows: number;
  maxMemoryBytes: number;
}

/**
 * Analyst queries (`cdp sql`, `POST /v1/sql`, analyst SQL segments) on a connection of their own, with time,
 * row and memory limits. What a query may say is checked first (sql-guard.ts); the engine enforces the rest.
 * With chDB the limits are SET on the session and then `readonly = 1`, after which the session can change
 * no setting and write nothing. A server gets `readonly = 2` with the limits on every query (readonly = 1 in
 * the same request would refuse the limits themselves): give the analyst user a readonly profile there.
 * Product tables are found without a database prefix, as analysts expect.
 */
export async function createSqlRunner(config: SqlConfig, limits?: SqlLimits): Promise<SqlRunner> {
  const embedded = isEmbedded(config);
  const l = limits ?? { maxExecutionSeconds: config.SQL_MAX_EXECUTION_SECONDS, maxResultRows: config.SQL_MAX_RESULT_ROWS, maxMemoryBytes: config.SQL_MAX_MEMORY_BYTES };
  const client: ClickHouseClient = createClickHouse(config, { database: config.CLICKHOUSE_DATABASE });
  const settings = {
    max_execution_time: l.maxExecutionSeconds,
    max_result_rows: String(l.maxResultRows),
    result_overflow_mode: 'throw' as const,
    max_memory_usage: String(l.maxMemoryBytes),
    // 64-bit integers as JSON strings, as a ClickHouse server does by default (chDB does not): same output
    // in both modes, and no silent rounding above 2^53 in JavaScript clients.
    output_format_json_quote_64bit_integers: 1 as const,
  };
  if (embedded) {
    await client.command({ query: `USE ${config.CLICKHOUSE_DATABASE}` });
    for (const [name, value] of Object.entries(settings)) await client.command({ query: `SET ${name} = ${typeof value === 'string' && !/^\d+$/.test(value) ? `'${value}'` : value}` });
    await client.command({ query: 'SET readonly = 1' });
  }
  const perQuery = embedded ? {} : { ...settings, readonly: '2' as const };
  return {
    database: config.CLICKHOUSE_DATABASE,
    async run(query, params) {
      const rs = await client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: perQuery });
      return rs.json<Record<string, unknown>>();
    },
    async explainAst(statement) {
      // Read as raw text: chDB answers EXPLAIN in its own session format whatever FORMAT is asked for (CSV,
      // which broke the JSON parse on a string such as 'O''Brien').
      const rs = await client.exec({ query: `EXPLAIN AST ${statement}`, clickhouse_settings: { ...perQuery, default_format: 'TabSeparatedRaw' } });
      const chunks: Buffer[] = [];
      for await (const chunk of rs.stream) chunks.push(Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks).toString('utf8').replace(/\n$/, '').split('\n');
    },
    close: () => client.close(),
  };
}
