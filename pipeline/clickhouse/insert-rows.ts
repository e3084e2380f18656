import { parseError } from '@clickhouse/client';
import { rawInsertOf, type ClickHouseClient } from './client.js';

// The loader's insert: JSONEachRow rows, serialised once. Through the client, @clickhouse/client encodes every
// row into a stream that chdb/connection then concatenates into one string with the statement, which the SQL
// parser reads: the embedded engine instead takes the payload as one Buffer handed to chDB zero-copy. A server
// keeps the client's HTTP insert.

export interface InsertRows {
  /** Database-qualified table. */
  table: string;
  rows: readonly unknown[];
  settings?: Record<string, string | number>;
}

export async function insertRows(client: ClickHouseClient, { table, rows, settings = {} }: InsertRows): Promise<void> {
  if (rows.length === 0) return;
  const raw = rawInsertOf(client);
  if (!raw) {
    await client.insert({ table, values: rows as unknown[], format: 'JSONEachRow', clickhouse_settings: settings });
    return;
  }
  // JSONEachRow also reads a JSON array of rows: one JSON.stringify for the batch, where a line per row made
  // a string per row and then joined them (measured: the pipeline bench's raw insert of the same rows a third
  // faster, 15,155 against 11,363 rows/s).
  try {
    await raw({ table, values: Buffer.from(JSON.stringify(rows)), format: 'JSONEachRow', settings });
  } catch (err) {
    // The client's error shape (`type`: the exception name), which callers tell row faults by.
    throw parseError(err as Error);
  }
}
