import type { Config } from '../core/config.js';
import { ClusterDdlError } from './errors/cluster-ddl-error.js';

/**
 * The schema on a ClickHouse cluster (CLICKHOUSE_CLUSTER), made from the single-node migrations statement by
 * statement, as PostHog and OpenPanel do: a table holding the sharding key's columns becomes a Replicated local
 * table `<name>_local` ON CLUSTER under a Distributed table with today's name (so every query of the product
 * reads and writes it unchanged); any other table is replicated unsharded on every node (definitions, runs,
 * overrides, suppression: the small sides of joins, read locally by every shard). Materialised views read and
 * write the local tables; ALTERs go to the local table (and to the Distributed one when columns change).
 */
export interface Cluster {
  name: string;
  /** The Distributed tables' sharding expression, e.g. `cityHash64(profile_id)`. */
  shardingKey: string;
}

export function clusterOf(config: Pick<Config, 'CLICKHOUSE_CLUSTER' | 'CLICKHOUSE_SHARDING_KEY'>): Cluster | undefined {
  return config.CLICKHOUSE_CLUSTER === undefined ? undefined : { name: config.CLICKHOUSE_CLUSTER, shardingKey: config.CLICKHOUSE_SHARDING_KEY };
}

const LOCAL_SUFFIX = '_local';

/** Identifiers of an expression that are not function names: the columns it reads. */
function columnsOf(expression: string): string[] {
  const stripped = expression.replace(/'(?:[^'\\]|\\.)*'/g, "''");
  return [...stripped.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()/g)].map((m) => m[1]!);
}

/** Index just past the parenthesis that closes the one at `open`. */
function closing(text: string, open: number): number {
  let depth = 0;
  let quoted = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "'" && text[i - 1] !== '\\') quoted = !quoted;
    if (quoted) continue;
    // A comment (which may hold an apostrophe) runs to the end of its line.
    if (c === '-' && text[i + 1] === '-') {
      i = text.indexOf('\n', i);
      if (i < 0) break;
      continue;
    }
    if (c === '(') depth++;
    if (c === ')' && --depth === 0) return i + 1;
  }
  throw new ClusterDdlError(text);
}

/** The top-level parts of a parenthesised list, comments dropped. */
function listItems(body: string): string[] {
  const text = body.replace(/--[^\n]*/g, '');
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    if (text[i] === ')') depth--;
    if (text[i] === ',' && depth === 0) {
      items.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  items.push(text.slice(start).trim());
  return items.filter(Boolean);
}

interface CreateTable {
  database: string;
  table: string;
  /** `(...)`: columns and indexes, as written. */
  body: string;
  engine: string;
  engineArgs: string | undefined;
  /** Everything after the engine: PARTITION BY, ORDER BY, TTL, SETTINGS. */
  tail: string;
}

const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS (\w+)\.(\w+)\s*\(/;

function parseCreateTable(statement: string): CreateTable | undefined {
  const head = CREATE_TABLE.exec(statement);
  if (!head) return undefined;
  const open = head[0].length - 1;
  const end = closing(statement, open);
  const rest = statement.slice(end);
  const engine = /^\s*ENGINE\s*=\s*(\w+)/.exec(rest);
  if (!engine) throw new ClusterDdlError(statement);
  let after = engine[0].length;
  let engineArgs: string | undefined;
  if (rest[after] === '(') {
    const argsEnd = closing(rest, after);
    engineArgs = rest.slice(after + 1, argsEnd - 1).trim();
    after = argsEnd;
  }
  return { database: head[1]!, table: head[2]!, body: statement.slice(open, end), engine: engine[1]!, engineArgs, tail: rest.slice(after) };
}

function sortKeyColumns(tail: string): string[] {
  const at = /\bORDER BY\s*/.exec(tail);
  if (!at) return [];
  const from = at.index + at[0].length;
  const expression = tail[from] === '(' ? tail.slice(from, closing(tail, from)) : /^\S+/.exec(tail.slice(from))![0];
  return columnsOf(expression);
}

/**
 * Sharded when every row that the engine may fold together lands on one shard: the table has each column of
 * the sharding key, and a Replacing/Aggregating/... table also has them in its sort key (identities, keyed by
 * identifier and re-pointed from profile to profile, stays whole on every node, as PostHog's person_distinct_id).
 */
function isSharded(t: CreateTable, cluster: Cluster): boolean {
  if (!t.engine.endsWith('MergeTree') || t.engine.startsWith('Replicated')) return false;
  const columns = new Set(listItems(t.body.slice(1, -1)).filter((item) => !/^(INDEX|PROJECTION|CONSTRAINT)\b/i.test(item)).map((item) => /^`?(\w+)`?/.exec(item)![1]!));
  const key = columnsOf(cluster.shardingKey);
  if (!key.every((c) => columns.has(c))) return false;
  if (t.engine === 'MergeTree') return true;
  const sortKey = new Set(sortKeyColumns(t.tail));
  return key.every((c) => sortKey.has(c));
}

/** The tables a cluster schema shards, from the single-node statements (in order). */
export function shardedTables(statements: readonly string[], cluster: Cluster): Set<string> {
  const sharded = new Set<string>();
  for (const statement of statements) {
    const t = parseCreateTable(statement);
    if (t && isSharded(t, cluster)) sharded.add(`${t.database}.${t.table}`);
  }
  return sharded;
}

function replicated(t: CreateTable, cluster: Cluster, name: string, zooPath: string, replica: string): string {
  const engine = t.engine.startsWith('Replicated') || !t.engine.endsWith('MergeTree') ? `${t.engine}${t.engineArgs === undefined ? '' : `(${t.engineArgs})`}` : `Replicated${t.engine}('${zooPath}', '${replica}'${t.engineArgs ? `, ${t.engineArgs}` : ''})`;
  // Deduplication of retried inserts (insert_deduplication_token) is kept in Keeper for replicated tables.
  const tail = t.tail.replace(/\bnon_replicated_deduplication_window\b/g, 'replicated_deduplication_window');
  return `CREATE TABLE IF NOT EXISTS ${t.database}.${name} ON CLUSTER ${cluster.name}\n${t.body}\nENGINE = ${engine}${tail}`;
}

/** `db.name` of every sharded table in `sql` replaced by its local table. */
function toLocal(sql: string, sharded: ReadonlySet<string>): string {
  return sql.replace(/\b(\w+)\.(\w+)\b/g, (whole, db: string, table: string) => (sharded.has(`${db}.${table}`) ? `${db}.${table}${LOCAL_SUFFIX}` : whole));
}

const COLUMN_CHANGE = /^\s*(ADD|DROP|MODIFY|RENAME|COMMENT|CLEAR)\s+COLUMN\b/i;

function clusterStatement(statement: string, cluster: Cluster, sharded: ReadonlySet<string>): string[] {
  const on = `ON CLUSTER ${cluster.name}`;
  const table = parseCreateTable(statement);
  if (table) {
    const name = `${table.database}.${table.table}`;
    if (!sharded.has(name)) return [replicated(table, cluster, table.table, `/clickhouse/tables/noshard/${name}`, '{shard}-{replica}')];
    const local = `${table.table}${LOCAL_SUFFIX}`;
    return [
      replicated(table, cluster, local, `/clickhouse/tables/{shard}/${table.database}.${local}`, '{replica}'),
      `CREATE TABLE IF NOT EXISTS ${name} ${on} AS ${table.database}.${local}\nENGINE = Distributed('${cluster.name}', '${table.database}', '${local}', ${cluster.shardingKey})`,
    ];
  }
  const database = /^CREATE DATABASE IF NOT EXISTS (\w+)$/.exec(statement);
  if (database) return [`${statement} ${on}`];
  const view = /^(CREATE (?:OR REPLACE )?VIEW (?:IF NOT EXISTS )?\w+\.\w+)(\s)/.exec(statement);
  if (view) return [`${view[1]} ${on}${statement.slice(view[1]!.length)}`];
  const mv = /^(CREATE MATERIALIZED VIEW IF NOT EXISTS \w+\.\w+) TO (\w+\.\w+)( AS\s[\s\S]*)$/.exec(statement);
  if (mv) {
    // The view sees the inserts of its own node: it reads the local source and, when that is sharded, writes
    // the local target of the same shard (the rows keep the sharding key's value); from an unsharded source it
    // writes through the Distributed target, which routes each row.
    const sourceSharded = [...sharded].some((t) => new RegExp(`\\b${t.replace('.', '\\.')}\\b`).test(mv[3]!));
    const target = sourceSharded ? toLocal(mv[2]!, sharded) : mv[2]!;
    return [`${mv[1]} ${on} TO ${target}${toLocal(mv[3]!, sharded)}`];
  }
  const alter = /^ALTER TABLE (\w+)\.(\w+)(\s[\s\S]*)$/.exec(statement);
  if (alter) {
    const name = `${alter[1]}.${alter[2]}`;
    if (!sharded.has(name)) return [`ALTER TABLE ${name} ${on}${alter[3]}`];
    const local = `ALTER TABLE ${name}${LOCAL_SUFFIX} ${on}${alter[3]}`;
    // A Distributed table has columns but no indexes, projections or data of its own.
    return COLUMN_CHANGE.test(alter[3]!) ? [local, `ALTER TABLE ${name} ${on}${alter[3]}`] : [local];
  }
  // Through the Distributed tables, once, from the migrating process.
  if (/^INSERT INTO\s/.test(statement)) return [statement];
  throw new ClusterDdlError(statement);
}

/**
 * The cluster DDL of single-node statements, in order; without a cluster, the statements themselves. `sharded`:
 * the sharded tables of the whole schema, when `statements` are only part of it.
 */
export function clusterDdl(statements: readonly string[], cluster: Cluster | undefined, sharded?: ReadonlySet<string>): string[] {
  if (!cluster) return [...statements];
  const tables = sharded ?? shardedTables(statements, cluster);
  return statements.flatMap((s) => clusterStatement(s, cluster, tables));
}

const MUTATION = /^(DELETE FROM|ALTER TABLE) `?(\w+)`?\.`?(\w+)`?(\s+(?:WHERE|DELETE|UPDATE)\b[\s\S]*)$/;

/**
 * A mutation the product sends at run time (a job clearing its snapshot, a deletion, a segment run cleaning
 * up), for the cluster: a Distributed table takes no DELETE, so a sharded table's is run on its local table ON
 * CLUSTER; an unsharded table is Replicated, which passes a mutation to its replicas by itself.
 */
export function clusterMutation(statement: string, cluster: Cluster, sharded: ReadonlySet<string>): string {
  const m = MUTATION.exec(statement.trim());
  if (!m || !sharded.has(`${m[2]}.${m[3]}`)) return statement;
  return `${m[1]} ${m[2]}.${m[3]}${LOCAL_SUFFIX} ON CLUSTER ${cluster.name}${m[4]}`;
}
