import type { ClickHouseSettings } from '@clickhouse/client';
import { ingestDirOf, type ClickHouseClient } from './client.js';
import { withIngestFile, sqlString } from './ingest-files.js';
import { createPayloadWriter, type PayloadWriter } from './insert-payload.js';

// The loader's insert: JSONEachRow rows, serialised once. Through the client, @clickhouse/client encodes every
// row into a stream that chdb/connection then concatenates into one string with the statement, which the SQL
// parser reads: the embedded engine instead gets the rows as a JSON array written into a Buffer
// (insert-payload.ts), which goes to a file that chDB reads (ingest-files.ts). A server keeps the client's
// HTTP insert.

export interface InsertRows {
  /** Database-qualified table. */
  table: string;
  rows: readonly unknown[];
  settings?: Record<string, string | number>;
}

// Parsing on one thread: a retried insert must cut its rows into the same blocks in the same order, or the
// blocks' insert_deduplication_token suffixes would not match and ClickHouse would take them again. It is
// also the faster way here (measured on 2 cores: parallel parsing of an inline payload cost 40 % more CPU).
const FILE_INSERT_SETTINGS: ClickHouseSettings = { input_format_parallel_parsing: 0, max_threads: 1, use_structure_from_insertion_table_in_table_functions: '1' };

const payloadWriters = new WeakMap<ClickHouseClient, PayloadWriter>();

export async function insertRows(client: ClickHouseClient, { table, rows, settings = {} }: InsertRows): Promise<void> {
  if (rows.length === 0) return;
  const dir = ingestDirOf(client);
  if (!dir) {
    await client.insert({ table, values: rows as unknown[], format: 'JSONEachRow', clickhouse_settings: settings });
    return;
  }
  const writer = payloadWriters.get(client) ?? createPayloadWriter();
  payloadWriters.set(client, writer);
  // The file's columns are the table's (use_structure_from_insertion_table_in_table_functions): a field a
  // row leaves out takes the column's DEFAULT, as in an insert of the rows themselves.
  await writer.withPayload(rows, (payload) =>
    withIngestFile(dir, payload, (file) =>
      client.command({
        query: `INSERT INTO ${table} SELECT * FROM file(${sqlString(file)}, 'JSONEachRow')`,
        clickhouse_settings: { ...FILE_INSERT_SETTINGS, ...settings },
      }),
    ),
  );
}
