import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ClickHouseClient } from './client.js';
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
        statements: splitStatements(text.replaceAll('{{database}}', database)),
      };
    });
}

/**
 * Applies the numbered migrations in order and records each in `schema_migrations`. Every statement is
 * idempotent (IF NOT EXISTS), so two processes migrating at once, or a crash half-way, is harmless.
 */
export async function migrate(client: ClickHouseClient, database: string, log?: Logger): Promise<string[]> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations
      (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
      ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const rs = await client.query({
    query: `SELECT version, checksum FROM ${database}.schema_migrations FINAL`,
    format: 'JSONEachRow',
  });
  const applied = new Map((await rs.json<{ version: number; checksum: string }>()).map((r) => [r.version, r.checksum]));
  const done: string[] = [];
  for (const m of readMigrations(database)) {
    const known = applied.get(m.version);
    if (known !== undefined) {
      if (known !== m.checksum) log?.warn({ migration: m.name }, 'migration file changed after it was applied; migrations must not be edited, add a new one');
      continue;
    }
    for (const statement of m.statements) await client.command({ query: statement });
    await client.insert({
      table: `${database}.schema_migrations`,
      values: [{ version: m.version, name: m.name, checksum: m.checksum }],
      format: 'JSONEachRow',
    });
    log?.info({ migration: m.name }, 'migration applied');
    done.push(m.name);
  }
  return done;
}
