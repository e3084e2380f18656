import { SqlNotAllowedError } from '../core/errors/sql-not-allowed-error.js';
import { AGGREGATE_COMBINATORS, ALLOWED_FUNCTIONS, ALLOWED_TABLE_FUNCTIONS } from './sql-allowed-functions.js';
import type { SqlRunner } from './sql-runner.js';

// The one check of analyst SQL: the console (`POST /v1/sql`, `cdp sql`) and analyst SQL segments.
// An analyst query may be one SELECT (UNION/INTERSECT/EXCEPT, subqueries, CTEs, joins, `view(<select>)`) that
// reads the tables and views of the product database and calls functions of sql-allowed-functions.ts, and
// nothing else: no other database, no table function that reaches outside, no SETTINGS, INTO OUTFILE or FORMAT.
//
// ClickHouse itself decides what the text is. `formatQuery` parses it as one statement (the text is passed as
// a parameter, so it cannot break out; several statements are refused) and prints it back canonically: no
// comments, identifiers and strings escaped. `EXPLAIN AST` of that canonical text gives the parse tree, one
// node per line, which is walked here. The canonical text is what then runs, so what ran is what was checked.

/** Text that passed `checkSelect`; only it may be wrapped and run as an analyst query. */
export type CheckedSql = string & { readonly checked: unique symbol };

export interface AstNode {
  type: string;
  /** What follows the type on its line: a name, a value, `(alias x)`. */
  detail: string;
  children: AstNode[];
}

/** Checks an analyst's query with ClickHouse's own parser; returns the canonical text to run. */
export async function checkSelect(runner: SqlRunner, query: string): Promise<CheckedSql> {
  const [row] = await runner.run('SELECT formatQuery({q:String}) AS text, formatQuery(text) AS again', { q: query });
  const text = String(row?.text ?? '');
  // A formatter that prints something it would print differently again could print something that parses
  // differently from what was checked; such text is not run.
  if (text === '' || row?.again !== text) throw new SqlNotAllowedError('this query cannot be checked: ClickHouse formats it inconsistently');
  checkQuotedNames(text);
  checkAst(parseAstDump(await explainAst(runner, text)), runner.database);
  return text as CheckedSql;
}

// ClickHouse's code for "Cannot modify setting in readonly mode".
const READONLY = 164;

async function explainAst(runner: SqlRunner, text: string): Promise<string[]> {
  try {
    return await runner.explainAst(text);
  } catch (err) {
    // EXPLAIN applies a SETTINGS clause of the statement to itself; on a readonly = 1 session that is refused
    // before the tree is printed, and it is the only thing EXPLAIN AST can be refused for there.
    if (Number((err as { code?: unknown }).code) === READONLY) throw new SqlNotAllowedError(CLAUSES.Set!);
    throw err;
  }
}

/** Checks and runs an analyst's query (the console's one entry). */
export async function runCheckedSelect(runner: SqlRunner, query: string): Promise<Record<string, unknown>[]> {
  return runner.run(await checkSelect(runner, query));
}

// Quoted names (`...` or "...") may hold letters, digits, spaces, `_`, `$` and `-`. `EXPLAIN AST` prints names
// and aliases raw: a line break, parenthesis or dot in one would let it pose as other nodes of the tree.
const SAFE_NAME = /^[\p{L}\p{N}_ $-]+$/u;

/** Refuses quoted names the parse tree could not show unambiguously. `text` is formatQuery's output. */
export function checkQuotedNames(text: string): void {
  for (let i = 0; i < text.length; i++) {
    const quote = text[i];
    if (quote === "'") {
      i = endOfString(text, i);
    } else if (quote === '`' || quote === '"') {
      const end = text.indexOf(quote, i + 1);
      const name = text.slice(i + 1, end === -1 ? text.length : end);
      if (end === -1 || !SAFE_NAME.test(name)) {
        throw new SqlNotAllowedError(`the quoted name ${quote}${name}${quote} is not allowed: quoted names may hold letters, digits, spaces, _, $ and - only`);
      }
      i = end;
    }
  }
}

function endOfString(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === "'") {
      if (text[i + 1] !== "'") return i;
      i++;
    }
  }
  return text.length;
}

// `<indent><Type><detail>[ (children N)]`, one space of indent per level.
const LINE = /^( *)(\S+)(.*?)(?: \(children (\d+)\))?$/;

/** The tree `EXPLAIN AST` prints. Each line's depth and each node's child count must agree exactly. */
export function parseAstDump(lines: readonly string[]): AstNode {
  let next = 0;
  const node = (depth: number): AstNode => {
    const m = next < lines.length ? LINE.exec(lines[next]!) : null;
    if (!m || m[1]!.length !== depth) throw cannotCheck();
    next++;
    const n: AstNode = { type: m[2]!, detail: m[3]!.trim(), children: [] };
    for (let k = Number(m[4] ?? 0); k > 0; k--) n.children.push(node(depth + 1));
    return n;
  };
  const root = node(0);
  if (next !== lines.length) throw cannotCheck();
  return root;
}

const cannotCheck = () => new SqlNotAllowedError('this query cannot be checked: ClickHouse printed its parse tree in a shape the check does not know');

// Node types that only structure a SELECT; what they hold is checked node by node.
const STRUCTURE = new Set([
  'SelectWithUnionQuery', 'SelectIntersectExceptQuery', 'SelectQuery', 'ExpressionList', 'Subquery', 'WithElement',
  'TablesInSelectQuery', 'TablesInSelectQueryElement', 'TableExpression', 'TableJoin', 'ArrayJoin', 'SampleRatio',
  'Literal', 'Identifier', 'Asterisk', 'QualifiedAsterisk', 'ColumnsRegexpMatcher', 'ColumnsListMatcher',
  'QualifiedColumnsRegexpMatcher', 'QualifiedColumnsListMatcher', 'ColumnsTransformerList', 'ColumnsExceptTransformer',
  'ColumnsReplaceTransformer', 'ColumnsReplaceTransformer::Replacement', 'OrderByElement', 'WindowDefinition',
  'WindowListElement', 'InterpolateElement',
]);

// What a refused node is called in the SQL the analyst wrote.
const CLAUSES: Record<string, string> = {
  Set: 'SETTINGS is not allowed: a query cannot change the limits it runs with',
  ColumnsApplyTransformer: 'APPLY is not allowed: it calls a function the check cannot see',
  QueryParameter: 'query parameters are not allowed',
};

// The extra children a top-level SELECT gets from its output clauses.
const OUTPUT_CLAUSES: Record<string, string> = {
  Literal: 'INTO OUTFILE is not allowed: results come back as rows, never as a file on the server',
  Identifier: 'FORMAT is not allowed: results come back as JSON rows',
  Set: CLAUSES.Set!,
};

// `x IN t` reads the table t.
const IN_FUNCTIONS = new Set(['in', 'notin', 'globalin', 'globalnotin', 'nullin', 'notnullin', 'globalnullin', 'globalnotnullin']);

const lower = (names: readonly string[]) => new Set(names.map((n) => n.toLowerCase()));
const FUNCTIONS = lower(Object.values(ALLOWED_FUNCTIONS).flat());
const AGGREGATES = lower(ALLOWED_FUNCTIONS.aggregate);
const TABLE_FUNCTIONS = lower(ALLOWED_TABLE_FUNCTIONS);
// Longest first, so that `OrNull` is taken off before `Null`, `SimpleState` before `State`.
const COMBINATORS = [...AGGREGATE_COMBINATORS].sort((a, b) => b.length - a.length);

/** Whether a query may call the function `name` (any case; an allowed aggregate with combinators too). */
export function isAllowedFunction(name: string): boolean {
  if (FUNCTIONS.has(name.toLowerCase())) return true;
  let rest = name;
  for (;;) {
    const combinator = COMBINATORS.find((c) => rest.length > c.length && rest.endsWith(c));
    if (!combinator) return false;
    rest = rest.slice(0, -combinator.length);
    if (AGGREGATES.has(rest.toLowerCase())) return true;
  }
}

/** Refuses a parse tree that is not one SELECT of the product database's tables with allowed functions. */
export function checkAst(root: AstNode, database: string): void {
  if (root.type !== 'SelectWithUnionQuery') throw new SqlNotAllowedError(`only one SELECT is allowed; this is ${root.type}`);
  walk(root, database);
}

function walk(node: AstNode, database: string): void {
  switch (node.type) {
    case 'SelectWithUnionQuery': {
      const [, clause] = node.children;
      if (clause) throw new SqlNotAllowedError(OUTPUT_CLAUSES[clause.type] ?? `${clause.type} is not allowed after a SELECT`);
      break;
    }
    case 'TableExpression':
      for (const child of node.children) {
        if (child.type === 'Function') {
          const name = functionName(child);
          if (!TABLE_FUNCTIONS.has(name.toLowerCase())) throw new SqlNotAllowedError(`table function ${name}() is not allowed: read the tables and views of the ${database} database`);
          child.children.forEach((c) => walk(c, database));
        } else {
          walk(child, database);
        }
      }
      return;
    case 'TableIdentifier':
      checkTable(nameOf(node), database);
      return;
    case 'Function': {
      const name = functionName(node);
      if (!isAllowedFunction(name)) throw new SqlNotAllowedError(`function ${name}() is not allowed in an analyst query`);
      const table = IN_FUNCTIONS.has(name.toLowerCase()) ? node.children[0]?.children[1] : undefined;
      if (table?.type === 'Identifier') checkTable(nameOf(table), database);
      break;
    }
    default:
      if (!STRUCTURE.has(node.type)) throw new SqlNotAllowedError(CLAUSES[node.type] ?? `${node.type} is not allowed in an analyst query`);
  }
  node.children.forEach((c) => walk(c, database));
}

const ALIAS = / \(alias [^()]*\)$/;

function nameOf(node: AstNode): string {
  return node.detail.replace(ALIAS, '');
}

function functionName(node: AstNode): string {
  const name = nameOf(node);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new SqlNotAllowedError(`function ${JSON.stringify(name)} is not allowed in an analyst query`);
  return name;
}

/** A table named in a query: unqualified (a table, view or CTE of the product database) or `<database>.<name>`. */
function checkTable(name: string, database: string): void {
  const parts = name.split('.');
  const ok = parts.every((p) => p !== '' && !p.includes(' ')) && (parts.length === 1 || (parts.length === 2 && parts[0] === database));
  if (!ok) throw new SqlNotAllowedError(`table ${name} is not allowed: only the tables and views of the ${database} database can be read`);
}
