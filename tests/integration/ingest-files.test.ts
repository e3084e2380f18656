import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createClickHouse, embeddedInsertOf, type ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { ingestDir, sweepIngestFiles, withIngestFile } from '../../pipeline/clickhouse/ingest-files.js';
import { INLINE_MAX_BYTES, insertRows } from '../../pipeline/clickhouse/insert-rows.js';
import { loadConfig } from '../../pipeline/core/config.js';
import { isRowFault } from '../../pipeline/load/row-fault.js';

// The embedded engine's larger inserts go through files in <data>/ingest (pipeline/clickhouse/ingest-files.ts):
// the rows must load as an inline insert of them would, and no file may outlive its insert. `inlineMaxBytes: 0`
// sends even these few rows through a file.

// A quote and a backslash in the data folder's path: the file's path is a string literal in the statement.
const dataDir = mkdtempSync(path.join(tmpdir(), "cdp-ingest-'\\-"));
const config = loadConfig({ CDP_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
let ch: ClickHouseClient;
const TABLE = 'ingest_test.t';

const rowsOf = async (query: string) => (await ch.query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>();
const filesLeft = () => readdirSync(ingestDir(dataDir));

beforeAll(async () => {
  ch = createClickHouse(config);
  await ch.command({ query: 'CREATE DATABASE IF NOT EXISTS ingest_test' });
  await ch.command({
    query: `CREATE TABLE ${TABLE} (id String, at DateTime64(3, 'UTC'), month UInt32, amount Nullable(Decimal(18, 4)), tags Array(String),
      loaded_at DateTime64(3, 'UTC') DEFAULT now64(3), origin String DEFAULT 'web')
      ENGINE = MergeTree PARTITION BY month ORDER BY id SETTINGS non_replicated_deduplication_window = 100`,
  });
});

afterAll(async () => {
  await ch?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('an embedded client inserts through an owner-only folder in the data folder', () => {
  expect(embeddedInsertOf(ch)?.ingestDir).toBe(ingestDir(dataDir));
  expect(statSync(ingestDir(dataDir)).mode & 0o777).toBe(0o700);
});

test('rows load as given, a field a row leaves out takes the column default, and no file is left', async () => {
  const before = Date.now();
  await insertRows(ch, {
    table: TABLE,
    rows: [
      { id: 'a', at: '2026-01-02 03:04:05.678', month: 1, amount: 12.5, tags: ['x', 'y'], origin: 'app' },
      { id: 'b', at: '2026-02-02 00:00:00.000', month: 2, amount: null, tags: [] },
      { id: 'c', at: '2026-03-02 00:00:00.000', month: 3, tags: ['quote \' and "double" and \\ and \n'] },
    ],
    settings: { insert_deduplication_token: 'first' },
    inlineMaxBytes: 0,
  });
  const rows = await rowsOf(`SELECT id, at, amount, tags, origin, toUnixTimestamp64Milli(loaded_at) AS loaded FROM ${TABLE} ORDER BY id`);
  expect(rows.map(({ loaded, ...r }) => r)).toEqual([
    { id: 'a', at: '2026-01-02 03:04:05.678', amount: 12.5, tags: ['x', 'y'], origin: 'app' },
    { id: 'b', at: '2026-02-02 00:00:00.000', amount: null, tags: [], origin: 'web' },
    { id: 'c', at: '2026-03-02 00:00:00.000', amount: null, tags: ['quote \' and "double" and \\ and \n'], origin: 'web' },
  ]);
  // DEFAULT now64(3), not the type's zero: the file's columns are the table's, defaults included.
  for (const r of rows) expect(Number(r.loaded)).toBeGreaterThanOrEqual(before - 1000);
  expect(filesLeft()).toEqual([]);
});

test('an insert retried with the same deduplication token is taken once, across partitions', async () => {
  const rows = [1, 2, 3].map((month) => ({ id: `dup-${month}`, at: '2026-01-01 00:00:00.000', month, tags: [] }));
  for (let i = 0; i < 3; i++) await insertRows(ch, { table: TABLE, rows, settings: { insert_deduplication_token: 'retried' }, inlineMaxBytes: 0 });
  expect(await rowsOf(`SELECT count() AS n FROM ${TABLE} WHERE id LIKE 'dup-%'`)).toEqual([{ n: 3 }]);
});

test('the settings of an insert stay with it: the next insert on the connection, without a token, loads', async () => {
  const rows = [{ id: 'own-token', at: '2026-06-01 00:00:00.000', month: 6, tags: [] }];
  await insertRows(ch, { table: TABLE, rows, settings: { insert_deduplication_token: 'own' }, inlineMaxBytes: 0 });
  expect(await rowsOf(`SELECT getSetting('insert_deduplication_token') AS token, getSetting('max_threads') AS threads`)).not.toEqual([{ token: 'own', threads: 1 }]);
  await insertRows(ch, { table: TABLE, rows: [{ ...rows[0], id: 'no-token' }], inlineMaxBytes: 0 });
  expect(await rowsOf(`SELECT id FROM ${TABLE} WHERE month = 6 ORDER BY id`)).toEqual([{ id: 'no-token' }, { id: 'own-token' }]);
});

test('a row the engine cannot read fails the insert as a row fault, and its file is removed', async () => {
  const err = await insertRows(ch, { table: TABLE, rows: [{ id: 'bad', at: 'not a time', month: 1, tags: [] }], inlineMaxBytes: 0 }).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'CANNOT_PARSE_DATETIME' });
  expect(isRowFault(err)).toBe(true);
  expect(filesLeft()).toEqual([]);
  expect(await rowsOf(`SELECT count() AS n FROM ${TABLE} WHERE id = 'bad'`)).toEqual([{ n: 0 }]);
});

test('a payload up to INLINE_MAX_BYTES goes inline and a larger one through a file, and both load alike', async () => {
  const statements: string[] = [];
  const command = ch.command.bind(ch);
  ch.command = (params) => {
    statements.push(params.query);
    return command(params);
  };
  try {
    const rows = (prefix: string) => Array.from({ length: 50 }, (_, i) => ({ id: `${prefix}-${i}`, at: '2026-05-01 00:00:00.000', month: 5, amount: i / 4, tags: [`t${i}`] }));
    await insertRows(ch, { table: TABLE, rows: rows('inline') });
    expect(JSON.stringify(rows('inline')).length).toBeLessThan(INLINE_MAX_BYTES);
    expect(statements.filter((q) => q.includes('FROM file('))).toEqual([]);
    await insertRows(ch, { table: TABLE, rows: rows('file'), inlineMaxBytes: 100 });
    expect(statements.filter((q) => q.includes('FROM file('))).toHaveLength(1);
  } finally {
    ch.command = command;
  }
  const loaded = (prefix: string) => rowsOf(`SELECT substring(id, ${prefix.length + 2}) AS n, amount, tags FROM ${TABLE} WHERE startsWith(id, '${prefix}-') ORDER BY toUInt32(n)`);
  const inline = await loaded('inline');
  expect(inline).toHaveLength(50);
  expect(await loaded('file')).toEqual(inline);
});

test('a file is owner-only while it is read, and removed after, also when the insert fails', async () => {
  const dir = ingestDir(dataDir);
  let seen = '';
  await withIngestFile(dir, Buffer.from('[]'), async (file) => {
    seen = file;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(path.dirname(file)).toBe(dir);
  });
  expect(seen).not.toBe('');
  await expect(withIngestFile(dir, Buffer.from('[]'), async () => Promise.reject(new Error('insert failed')))).rejects.toThrow('insert failed');
  expect(filesLeft()).toEqual([]);
});

test('the sweep removes the files of gone processes and of an earlier process with this pid, and keeps those in use and any other file', async () => {
  const dir = ingestDir(dataDir);
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const gone = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => gone.on('exit', resolve));
  try {
    const live = `${child.pid}-aaaaaaaaaaaa-1.json`;
    const stale = [`${gone.pid}-bbbbbbbbbbbb-1.json`, `${process.pid}-cccccccccccc-7.json`];
    const other = 'notes.txt';
    for (const name of [live, other, ...stale]) writeFileSync(path.join(dir, name), '[]');
    await withIngestFile(dir, Buffer.from('[]'), async (file) => {
      expect(sweepIngestFiles(dir)).toBe(stale.length);
      expect(readdirSync(dir).sort()).toEqual([live, other, path.basename(file)].sort());
    });
    // A new embedded client sweeps too; the live process's file stays.
    writeFileSync(path.join(dir, stale[0]!), '[]');
    const second = createClickHouse(config);
    await second.close();
    expect(readdirSync(dir).sort()).toEqual([live, other].sort());
  } finally {
    child.kill();
    for (const name of readdirSync(dir)) rmSync(path.join(dir, name), { force: true });
  }
});
