import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ClickHouseClient } from './client.js';
import { clusterDdl, shardedTables, type Cluster } from './cluster-ddl.js';
import type { Logger } from '../core/logger.js';
import { projectRoot } from '../core/project-root.js';

export const MIGRATIONS_DIR = path.join(projectRoot(), 'sql', 'migrations');

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

/** Splits a migration file into statements: `;` at the end of a line ends one; `--` lines are comments. */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  for (const line of sql.split('\n')) {
    if (line.trim().startsWith('--')) continue;
    current.push(line);
    if (line.trimEnd().endsWith(';')) {
      const text = current.join('\n').trim().replace(/;$/, '').trim();
      if (text) statements.push(text);
      current = [];
    }
  }
  const rest = current.join('\n').trim();
  if (rest) statements.push(rest);
  return statements;
}

export function readMigrations(database: string, dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(path.join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ''),
        checksum: createHash('sha256').update(text).digest('hex'),
        statements: splitStatements(text.replace(/\{\{database\}\}/g, database)),
      };
    });
}

/** What every migration run starts with: the database and the table recording the applied migrations. */
function bootstrapStatements(database: string): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${database}`,
    `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations
(version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
ENGINE = ReplacingMergeTree ORDER BY version`,
  ];
}

export interface MigrationPlan {
  bootstrap: string[];
  /** Each migration with its statements as applied: cluster DDL when there is a cluster. */
  migrations: Migration[];
  /** The tables the cluster shards (their `_local` tables hold the rows); empty without a cluster. */
  sharded: ReadonlySet<string>;
}

/** The statements `migrate` runs, in order, for a database and (when set) a cluster. Reads files only. */
export function migrationPlan(database: string, cluster: Cluster | undefined, dir = MIGRATIONS_DIR): MigrationPlan {
  const bootstrap = bootstrapStatements(database);
  const migrations = readMigrations(database, dir);
  if (!cluster) return { bootstrap, migrations, sharded: new Set() };
  const sharded = shardedTables([...bootstrap, ...migrations.flatMap((m) => m.statements)], cluster);
  return {
    bootstrap: clusterDdl(bootstrap, cluster, sharded),
    migrations: migrations.map((m) => ({ ...m, statements: clusterDdl(m.statements, cluster, sharded) })),
    sharded,
  };
}

/** The row `migrate` records for an applied migration. */
export function migrationRecord(m: Migration): { version: number; name: string; checksum: string } {
  return { version: m.version, name: m.name, checksum: m.checksum };
}

/**
 * Applies the numbered migrations in order and records each in `schema_migrations`. Every statement is
 * idempotent (IF NOT EXISTS), so two processes migrating at once, or a crash half-way, is harmless. With a
 * cluster, the DDL runs ON CLUSTER from this one client, and the records are replicated to every node.
 */
export async function migrate(client: ClickHouseClient, database: string, log?: Logger, cluster?: Cluster): Promise<string[]> {
  const plan = migrationPlan(database, cluster);
  for (const query of plan.bootstrap) await client.command({ query });
  const rs = await client.query({
    query: `SELECT version, checksum FROM ${database}.schema_migrations FINAL`,
    format: 'JSONEachRow',
  });
  const applied = new Map((await rs.json<{ version: number; checksum: string }>()).map((r) => [r.version, r.checksum]));
  const done: string[] = [];
  for (const m of plan.migrations) {
    const known = applied.get(m.version);
    if (known !== undefined) {
      if (known !== m.checksum) log?.warn({ migration: m.name }, 'migration file changed after it was applied; migrations must not be edited, add a new one');
      continue;
    }
    for (const statement of m.statements) await client.command({ query: statement });
    await client.insert({ table: `${database}.schema_migrations`, values: [migrationRecord(m)], format: 'JSONEachRow' });
    log?.info({ migration: m.name }, 'migration applied');
    done.push(m.name);
  }
  return done;
}
