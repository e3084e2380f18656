import type { SqlRunner } from '../../pipeline/sql-runner.js';
import { InvalidSegmentError } from '../errors/invalid-segment-error.js';

/**
 * Analyst SQL segments: one SELECT returning a `profile_id` column. ClickHouse's own parser decides what the
 * text is (EXPLAIN AST): anything but a single SELECT is refused before it runs, and it runs on a
 * `readonly = 1` connection with time, memory and row limits, so it can neither write nor lift its limits.
 */
export async function checkAnalystSql(runner: SqlRunner, sql: string): Promise<void> {
  let ast: string;
  try {
    // Each row is one line of the tree (chDB gives the bare string, a server an object with `explain`).
    ast = (await runner.run(`EXPLAIN AST ${sql}`)).map((r) => (typeof r === 'string' ? r : String(Object.values(r)[0]))).join('\n');
  } catch (err) {
    throw new InvalidSegmentError([{ path: 'sql', message: `ClickHouse cannot parse it: ${firstLine(err)}` }]);
  }
  if (!/^SelectWithUnionQuery\b/.test(ast.trimStart())) {
    throw new InvalidSegmentError([{ path: 'sql', message: `only a SELECT is allowed; this is ${ast.trimStart().split(/\s/)[0]}` }]);
  }
  if (/^\s*Set\b/m.test(ast)) {
    throw new InvalidSegmentError([{ path: 'sql', message: 'a SETTINGS clause is not allowed: the query runs with readonly = 1 and the product\'s limits' }]);
  }
  let columns: { name: string; type: string }[];
  try {
    columns = (await runner.run(`DESCRIBE (\n${sql}\n)`)) as { name: string; type: string }[];
  } catch (err) {
    throw new InvalidSegmentError([{ path: 'sql', message: firstLine(err) }]);
  }
  if (!columns.some((c) => c.name === 'profile_id')) {
    throw new InvalidSegmentError([{ path: 'sql', message: `the SELECT must return a profile_id column; it returns ${columns.map((c) => c.name).join(', ')}` }]);
  }
}

/** The members an analyst SELECT returns, distinct, without empty ids. */
export function analystMembersQuery(sql: string): string {
  // The newlines keep a trailing `-- comment` in the analyst's text from swallowing the closing parenthesis.
  return `SELECT DISTINCT toString(profile_id) AS profile_id FROM (\n${sql}\n) WHERE profile_id != ''`;
}

function firstLine(err: unknown): string {
  return ((err as Error).message ?? String(err)).split('\n')[0]!.slice(0, 500);
}
