import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';

// What a customer's deletion clears in ClickHouse, derived from the schema: every table of the product
// database with a column that holds a customer (CUSTOMER_COLUMNS, by name) loses the rows holding this
// customer in any of those columns. A migration adding a table with such a column is covered with no change
// here; a new kind of customer column (a name not below) is added to CUSTOMER_COLUMNS with its match.

/** Who is being deleted, as the columns hold them. */
export interface ErasureParams {
  /** The surviving profile id and every id merged into it. */
  profiles: string[];
  /** The customer's identifiers as `type\x1Fvalue`. */
  keys: string[];
  userIds: string[];
  anonymousIds: string[];
  /** The identifiers as refused events keep them (`type\x1Fvalue`, plus an alias's previous_id form). */
  refusedKeys: string[];
  /** The identifier values as JSON strings, to find them in a refused event's payload. */
  needles: string[];
}

interface CustomerColumn {
  /** The condition matching the customer's rows by this column. */
  where: string;
  /** The parameters it reads; when all are empty it matches nothing and is left out. */
  reads: (keyof ErasureParams)[];
}

const CUSTOMER_COLUMNS: Record<string, CustomerColumn> = {
  profile_id: { where: 'profile_id IN {profiles:Array(String)}', reads: ['profiles'] },
  old_profile_id: { where: 'old_profile_id IN {profiles:Array(String)}', reads: ['profiles'] },
  from_profiles: { where: 'hasAny(from_profiles, {profiles:Array(String)})', reads: ['profiles'] },
  // An identifier is the customer's together with its type, kept beside it in identifier_type.
  identifier: { where: `concat(identifier_type, '\\x1F', identifier) IN {keys:Array(String)}`, reads: ['keys'] },
  user_id: { where: 'user_id IN {userIds:Array(String)}', reads: ['userIds'] },
  anonymous_id: { where: 'anonymous_id IN {anonymousIds:Array(String)}', reads: ['anonymousIds'] },
  // An alias's previous id is a user id or an anonymous id, as the queue redaction takes it.
  previous_id: { where: 'previous_id IN {userIds:Array(String)} OR previous_id IN {anonymousIds:Array(String)}', reads: ['userIds', 'anonymousIds'] },
  // Refused events keep the identifiers each carried, normalised as the loader normalises them...
  identifiers: { where: 'hasAny(identifiers, {refusedKeys:Array(String)})', reads: ['refusedKeys'] },
  // ...and rows kept before that column existed are found by the identifiers as JSON strings in the payload.
  payload: { where: 'multiSearchAnyCaseInsensitive(payload, {needles:Array(String)})', reads: ['needles'] },
};

/**
 * Tables with a customer column that a deletion leaves, and why. Besides these, views and materialised
 * views are left by their engine (VIEW_ENGINES): they store nothing of their own, they read (or feed) tables
 * cleared here.
 */
export const KEPT_TABLES: Record<string, string> = {
  // Its `identifiers` is a count, not a list of identifiers; the profile is kept as a hash of its random id.
  profile_deletions: 'the record that a deletion happened, without the personal data',
};

const VIEW_ENGINES = new Set(['View', 'MaterializedView', 'LiveView', 'WindowView']);

// These are how a deletion finds the customer (merged ids, identifiers, whether there is anything to
// delete): cleared last, so that a deletion stopped part-way can be run again and find everything left.
const FINDING_TABLES = ['events', 'identities', 'profile_overrides'];

/** A column of the product database, as system.columns and system.tables list it. */
export interface SchemaColumn {
  table: string;
  column: string;
  engine: string;
}

export interface ErasureTable {
  table: string;
  /** Its customer columns. */
  columns: string[];
}

/** The tables a deletion clears, each with its customer columns, in the order they are cleared. */
export function erasureTables(schema: SchemaColumn[]): ErasureTable[] {
  const tables = new Map<string, string[]>();
  for (const c of schema) {
    if (!(c.column in CUSTOMER_COLUMNS) || VIEW_ENGINES.has(c.engine) || c.table in KEPT_TABLES) continue;
    tables.set(c.table, [...(tables.get(c.table) ?? []), c.column]);
  }
  const rank = (table: string) => FINDING_TABLES.indexOf(table);
  return [...tables]
    .map(([table, columns]) => ({ table, columns: columns.sort() }))
    .sort((a, b) => rank(a.table) - rank(b.table) || a.table.localeCompare(b.table));
}

/** Each table to clear with the condition on its rows; a table whose columns cannot match this customer is left out. */
export function erasureTargets(schema: SchemaColumn[], params: ErasureParams): { table: string; where: string }[] {
  return erasureTables(schema).flatMap(({ table, columns }) => {
    const conditions = columns.map((c) => CUSTOMER_COLUMNS[c]!).filter((c) => c.reads.some((p) => params[p].length > 0));
    return conditions.length === 0 ? [] : [{ table, where: conditions.map((c) => `(${c.where})`).join(' OR ') }];
  });
}

/** The columns of the product database. */
export async function schemaColumns(clickhouse: ClickHouseClient, database: string): Promise<SchemaColumn[]> {
  const rs = await clickhouse.query({
    query: `SELECT c.table AS table, c.name AS column, t.engine AS engine
            FROM system.columns AS c INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
            WHERE c.database = {db:String}`,
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  return rs.json<SchemaColumn>();
}
