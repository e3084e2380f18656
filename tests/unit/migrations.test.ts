import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { MIGRATIONS_DIR, readMigrations, splitStatements } from '../../pipeline/clickhouse/migrations.js';

describe('splitStatements', () => {
  test('a ; at the end of a line ends a statement, without the ;', () => {
    expect(splitStatements('CREATE TABLE a (x UInt8);\nCREATE TABLE b (y UInt8);\n')).toEqual(['CREATE TABLE a (x UInt8)', 'CREATE TABLE b (y UInt8)']);
  });

  test('a statement spans lines until its ;', () => {
    expect(splitStatements('CREATE TABLE a\n(\n    x UInt8\n)\nENGINE = Memory;\n')).toEqual(['CREATE TABLE a\n(\n    x UInt8\n)\nENGINE = Memory']);
  });

  test('a ; inside a line does not split', () => {
    expect(splitStatements("SELECT 'a;b', 1;\n")).toEqual(["SELECT 'a;b', 1"]);
  });

  test('-- lines are comments, also between the lines of a statement', () => {
    const sql = ['-- header comment;', 'CREATE TABLE a', '  -- an indented comment', '(x UInt8)', '-- before the end', 'ENGINE = Memory;', '-- trailing'].join('\n');
    expect(splitStatements(sql)).toEqual(['CREATE TABLE a\n(x UInt8)\nENGINE = Memory']);
  });

  test('a last statement without ; is kept', () => {
    expect(splitStatements('SELECT 1;\nSELECT 2\n')).toEqual(['SELECT 1', 'SELECT 2']);
  });

  test('blank text, lone ; and comments only give no statements', () => {
    expect(splitStatements('')).toEqual([]);
    expect(splitStatements('\n\n  \n')).toEqual([]);
    expect(splitStatements(';\n  ;\n')).toEqual([]);
    expect(splitStatements('-- only\n-- comments\n')).toEqual([]);
  });

  test('trailing whitespace after ; and CRLF line ends are tolerated', () => {
    expect(splitStatements('SELECT 1;   \r\nSELECT 2;\r\n')).toEqual(['SELECT 1', 'SELECT 2']);
  });
});

describe('readMigrations on the product’s sql/migrations', () => {
  const migrations = readMigrations('shop_analytics');

  test('the folder is the project’s sql/migrations', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    expect(MIGRATIONS_DIR).toBe(path.join(root, 'sql', 'migrations'));
  });

  test('versions are ascending and named after their files', () => {
    const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort().map((f) => f.replace(/\.sql$/, ''));
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(migrations.map((m) => m.name)).toEqual(files);
    expect(migrations.map((m) => m.version)).toEqual(files.map((f) => Number(f.slice(0, 4))));
    expect(migrations.every((m, i) => i === 0 || m.version > migrations[i - 1]!.version)).toBe(true);
  });

  test('the database placeholder is replaced everywhere', () => {
    expect(migrations[0]!.statements).toHaveLength(1);
    expect(migrations[0]!.statements[0]).toMatch(/^CREATE TABLE IF NOT EXISTS shop_analytics\.events\n\(/);
    expect(migrations[1]!.statements[0]).toMatch(/^CREATE TABLE IF NOT EXISTS shop_analytics\.rejected_events\n\(/);
    for (const m of migrations) {
      for (const s of m.statements) {
        expect(s).not.toContain('{{database}}');
        expect(s.endsWith(';')).toBe(false);
        expect(s.split('\n').some((line) => line.trim().startsWith('--'))).toBe(false);
      }
    }
  });

  test('a comment inside a statement does not cut it', () => {
    // 0001 has a comment line between ORDER BY and SETTINGS.
    expect(migrations[0]!.statements[0]).toMatch(/ORDER BY \(type, event, profile_id, timestamp\)\nSETTINGS non_replicated_deduplication_window = 1000$/);
  });

  test('the checksum is the sha256 of the file as written (before substitution)', () => {
    const text = readFileSync(path.join(MIGRATIONS_DIR, '0001_events.sql'), 'utf8');
    expect(migrations[0]!.checksum).toBe(createHash('sha256').update(text).digest('hex'));
    expect(readMigrations('other')[0]!.checksum).toBe(migrations[0]!.checksum);
  });
});

describe('readMigrations on a folder of its own', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cdp-migrations-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  writeFileSync(path.join(dir, '0010_ten.sql'), 'CREATE TABLE {{database}}.ten (x UInt8) ENGINE = Memory;\n');
  writeFileSync(path.join(dir, '0002_two.sql'), 'CREATE TABLE {{database}}.a (x UInt8) ENGINE = Memory;\nINSERT INTO {{database}}.a SELECT 1 FROM {{database}}.b;\n');
  writeFileSync(path.join(dir, '0001_one-first.sql'), 'CREATE DATABASE IF NOT EXISTS {{database}};\n');
  writeFileSync(path.join(dir, 'README.md'), 'not a migration');
  writeFileSync(path.join(dir, '3_short.sql'), 'SELECT 1;');
  writeFileSync(path.join(dir, '0004_draft.sql.bak'), 'SELECT 1;');

  test('only NNNN_name.sql files, in ascending version order', () => {
    const ms = readMigrations('db1', dir);
    expect(ms.map((m) => [m.version, m.name])).toEqual([
      [1, '0001_one-first'],
      [2, '0002_two'],
      [10, '0010_ten'],
    ]);
  });

  test('statements are split and every placeholder replaced', () => {
    const ms = readMigrations('db1', dir);
    expect(ms[1]!.statements).toEqual(['CREATE TABLE db1.a (x UInt8) ENGINE = Memory', 'INSERT INTO db1.a SELECT 1 FROM db1.b']);
    expect(ms[0]!.statements).toEqual(['CREATE DATABASE IF NOT EXISTS db1']);
  });
});
