import { SqlNotAllowedError } from '../../pipeline/core/errors/sql-not-allowed-error.js';
import { checkSelect, type CheckedSql } from '../../pipeline/clickhouse/sql-guard.js';
import type { SqlRunner } from '../../pipeline/clickhouse/sql-runner.js';
import { InvalidSegmentError } from '../errors/invalid-segment-error.js';

/**
 * Analyst SQL segments: one SELECT returning a `profile_id` column, checked like the SQL console
 * (pipeline/clickhouse/sql-guard.ts: the product database's tables and views, allowed functions, no SETTINGS, INTO
 * OUTFILE or FORMAT) when saved, previewed and run. It runs on a `readonly = 1` connection with time, memory
 * and row limits. Returns the checked text, the only one that may be run.
 */
export async function checkAnalystSql(runner: SqlRunner, sql: string): Promise<CheckedSql> {
  let checked: CheckedSql;
  try {
    checked = await checkSelect(runner, sql);
  } catch (err) {
    if (err instanceof SqlNotAllowedError) throw new InvalidSegmentError([{ path: 'sql', message: err.message }]);
    throw new InvalidSegmentError([{ path: 'sql', message: `ClickHouse cannot parse it: ${firstLine(err)}` }]);
  }
  let columns: { name: string; type: string }[];
  try {
    columns = (await runner.run(`DESCRIBE (\n${checked}\n)`)) as { name: string; type: string }[];
  } catch (err) {
    throw new InvalidSegmentError([{ path: 'sql', message: firstLine(err) }]);
  }
  if (!columns.some((c) => c.name === 'profile_id')) {
    throw new InvalidSegmentError([{ path: 'sql', message: `the SELECT must return a profile_id column; it returns ${columns.map((c) => c.name).join(', ')}` }]);
  }
  return checked;
}

/** The members a checked analyst SELECT returns, distinct, without empty ids. */
export function analystMembersQuery(sql: CheckedSql): string {
  return `SELECT DISTINCT toString(profile_id) AS profile_id FROM (\n${sql}\n) WHERE profile_id != ''`;
}

function firstLine(err: unknown): string {
  return ((err as Error).message ?? String(err)).split('\n')[0]!.slice(0, 500);
}
