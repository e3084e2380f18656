import { parseError } from '@clickhouse/client';
import { embeddedInsertOf, type ClickHouseClient, type EmbeddedInsert } from './client.js';
import { withIngestFile } from './ingest-files.js';
import { sqlString } from './sql-string.js';
import { createPayloadWriter, type PayloadWriter } from './insert-payload.js';

// The loader's insert: JSONEachRow rows, serialised once. Through the client, @clickhouse/client encodes every
// row into a stream that chdb/connection then concatenates into one string with the statement, which the SQL
// parser reads: the embedded engine instead gets the rows as a JSON array written into a Buffer
// (insert-payload.ts), handed to chDB with the statement when it is small and through a file when it is not
// (ingest-files.ts). A server keeps the client's HTTP insert.
//
// Why both: chDB parses a file's rows 2.3 times faster than the same bytes handed over inline (9 against 21 µs a
// row of the pipeline bench, 7 µs a KB saved), but an insert from a file costs 3.5 ms more of its own (6.5
// against 3 ms for 10 rows): inline wins below about 500 KB.
export const INLINE_MAX_BYTES = 512 * 1024;

export interface InsertRows {
  /** Database-qualified table. */
  table: string;
  rows: readonly unknown[];
  settings?: Record<string, string | number>;
  /** Embedded engine: payloads up to this many bytes go inline, larger ones through a file (INLINE_MAX_BYTES). */
  inlineMaxBytes?: number;
}

// Parsing on one thread: a retried insert must cut its rows into the same blocks in the same order, or the
// blocks' insert_deduplication_token suffixes would not match and ClickHouse would take them again. It is
// also the faster way here (measured on 2 cores: parallel parsing of an inline payload cost 40 % more CPU).
// The file's columns are the table's (use_structure_from_insertion_table_in_table_functions): a field a row
// leaves out takes the column's DEFAULT, as in an inline insert of the rows.
const FILE_INSERT_SETTINGS = { input_format_parallel_parsing: 0, max_threads: 1, use_structure_from_insertion_table_in_table_functions: 1 };

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The statement's own SETTINGS clause. Why not `clickhouse_settings`: chdb/connection turns those into `SET`
 * statements on the connection, which stay for its later queries (a deduplication token left behind would make
 * the next insert without one a no-op).
 */
function settingsClause(settings: Record<string, string | number>): string {
  return Object.entries(settings)
    .map(([name, value]) => {
      if (!SETTING_NAME.test(name)) throw new TypeError(`invalid setting name ${JSON.stringify(name)}`);
      if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`invalid value of setting ${name}`);
      return `${name} = ${typeof value === 'number' ? value : sqlString(value)}`;
    })
    .join(', ');
}

const payloadWriters = new WeakMap<ClickHouseClient, PayloadWriter>();

export async function insertRows(client: ClickHouseClient, { table, rows, settings = {}, inlineMaxBytes = INLINE_MAX_BYTES }: InsertRows): Promise<void> {
  if (rows.length === 0) return;
  const embedded = embeddedInsertOf(client);
  if (!embedded) {
    await client.insert({ table, values: rows as unknown[], format: 'JSONEachRow', clickhouse_settings: settings });
    return;
  }
  const writer = payloadWriters.get(client) ?? createPayloadWriter();
  payloadWriters.set(client, writer);
  await writer.withPayload(rows, (payload) => (payload.length <= inlineMaxBytes ? insertInline(embedded, table, payload, settings) : insertFromFile(client, embedded, table, payload, settings)));
}

async function insertInline(embedded: EmbeddedInsert, table: string, payload: Buffer, settings: Record<string, string | number>): Promise<void> {
  try {
    await embedded.raw({ table, values: payload, format: 'JSONEachRow', settings: { input_format_parallel_parsing: 0, ...settings } });
  } catch (err) {
    // The client's error shape (`type`: the exception name), which callers tell row faults by.
    throw parseError(err as Error);
  }
}

function insertFromFile(client: ClickHouseClient, embedded: EmbeddedInsert, table: string, payload: Buffer, settings: Record<string, string | number>): Promise<unknown> {
  const clause = settingsClause({ ...FILE_INSERT_SETTINGS, ...settings });
  return withIngestFile(embedded.ingestDir, payload, (file) => client.command({ query: `INSERT INTO ${table} SETTINGS ${clause} SELECT * FROM file(${sqlString(file)}, 'JSONEachRow')` }));
}
