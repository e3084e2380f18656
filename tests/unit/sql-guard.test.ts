import { describe, expect, test } from 'vitest';
import { SqlNotAllowedError } from '../../pipeline/core/errors/sql-not-allowed-error.js';
import { checkAst, checkQuotedNames, isAllowedFunction, parseAstDump } from '../../pipeline/clickhouse/sql-guard.js';

// The pure parts of the SQL guard: reading `EXPLAIN AST` output, walking the tree, the quoted-name rule and
// the function allow-list. The dumps are ClickHouse's own output for the query in each comment
// (tests/integration/sql-guard.test.ts runs the whole check against real chDB).

const lines = (dump: string) => dump.replace(/^\n/, '').replace(/\n$/, '').split('\n');
const check = (dump: string) => checkAst(parseAstDump(lines(dump)), 'cdp');
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(SqlNotAllowedError);
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
};

// SELECT count() AS n FROM cdp.events AS e WHERE e.profile_id IN (SELECT profile_id FROM profiles)
const ALLOWED = `
SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 3)
   ExpressionList (children 1)
    Function count (alias n) (children 1)
     ExpressionList
   TablesInSelectQuery (children 1)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      TableIdentifier cdp.events (alias e)
   Function in (children 1)
    ExpressionList (children 2)
     Identifier e.profile_id
     Subquery (children 1)
      SelectWithUnionQuery (children 1)
       ExpressionList (children 1)
        SelectQuery (children 2)
         ExpressionList (children 1)
          Identifier profile_id
         TablesInSelectQuery (children 1)
          TablesInSelectQueryElement (children 1)
           TableExpression (children 1)
            TableIdentifier profiles
`;

describe('parseAstDump', () => {
  test('reads the tree by indentation and child counts', () => {
    const root = parseAstDump(lines(ALLOWED));
    expect(root.type).toBe('SelectWithUnionQuery');
    const select = root.children[0]!.children[0]!;
    expect(select.children.map((c) => c.type)).toEqual(['ExpressionList', 'TablesInSelectQuery', 'Function']);
    expect(select.children[0]!.children[0]).toMatchObject({ type: 'Function', detail: 'count (alias n)' });
  });

  test.each([
    ['a node with fewer children than it says', 'SelectWithUnionQuery (children 2)\n ExpressionList'],
    ['a line more than the counts account for', 'SelectWithUnionQuery (children 1)\n ExpressionList\n ExpressionList'],
    ['a child indented too deep', 'SelectWithUnionQuery (children 1)\n  ExpressionList'],
    ['a second root', 'SelectWithUnionQuery\nSelectWithUnionQuery'],
    ['nothing', ''],
    // SELECT 1 AS `a<line break> Function file`: an alias printed raw, posing as a node.
    ['an alias holding a line break', 'SelectWithUnionQuery (children 1)\n ExpressionList (children 1)\n  SelectQuery (children 1)\n   ExpressionList (children 1)\n    Literal UInt64_1 (alias a\n Function file)'],
  ])('refuses %s', (_what, dump) => {
    expect(refusal(() => parseAstDump(dump.split('\n')))).toMatch(/cannot be checked/);
  });
});

describe('checkAst', () => {
  test('allows a SELECT of the product database with allowed functions', () => {
    expect(() => check(ALLOWED)).not.toThrow();
  });

  test('refuses a statement that is not a SELECT', () => {
    expect(refusal(() => check('InsertQuery   (children 1)\n Identifier events'))).toMatch(/only one SELECT is allowed; this is InsertQuery/);
  });

  test('refuses a function not on the list, wherever it is', () => {
    // SELECT arrayMap(x -> file(x), ['/etc/passwd'])
    const dump = `
SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 1)
   ExpressionList (children 1)
    Function arrayMap (children 1)
     ExpressionList (children 2)
      Function lambda (children 1)
       ExpressionList (children 2)
        Function tuple (children 1)
         ExpressionList (children 1)
          Identifier x
        Function file (children 1)
         ExpressionList (children 1)
          Identifier x
      Literal Array_['/etc/passwd']
`;
    expect(refusal(() => check(dump))).toBe('function file() is not allowed in an analyst query');
  });

  const fromTable = (table: string) => `
SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 2)
   ExpressionList (children 1)
    Asterisk
   TablesInSelectQuery (children 1)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      ${table}
`;

  test.each([
    ['another database', 'TableIdentifier system.one', /table system\.one is not allowed/],
    ['the product database in another case', 'TableIdentifier CDP.events', /table CDP\.events is not allowed/],
    ['a name of three parts', 'TableIdentifier cdp.x.y', /table cdp\.x\.y is not allowed/],
  ])('refuses a table of %s', (_what, table, message) => {
    expect(refusal(() => check(fromTable(table)))).toMatch(message);
  });

  test.each([['profiles'], ['cdp.events'], ['recent (alias r)']])('allows the table %s', (table) => {
    expect(() => check(fromTable(`TableIdentifier ${table}`))).not.toThrow();
  });

  test('refuses a table function, in any case', () => {
    const dump = fromTable("Function FILE (children 1)\n       ExpressionList (children 1)\n        Literal '/etc/passwd'");
    expect(refusal(() => check(dump))).toMatch(/table function FILE\(\) is not allowed/);
  });

  test('checks the SELECT inside view()', () => {
    const view = (inner: string) =>
      fromTable(`Function view (children 1)
       ExpressionList (children 1)
        SelectWithUnionQuery (children 1)
         ExpressionList (children 1)
          SelectQuery (children 2)
           ExpressionList (children 1)
            Asterisk
           TablesInSelectQuery (children 1)
            TablesInSelectQueryElement (children 1)
             TableExpression (children 1)
              TableIdentifier ${inner}`);
    expect(() => check(view('events'))).not.toThrow();
    expect(refusal(() => check(view('system.tables')))).toMatch(/table system\.tables is not allowed/);
  });

  test('reads the right side of IN as a table', () => {
    const inTable = (name: string) => `
SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 1)
   ExpressionList (children 1)
    Function notIn (children 1)
     ExpressionList (children 2)
      Literal 'a'
      Identifier ${name}
`;
    expect(() => check(inTable('profiles'))).not.toThrow();
    expect(() => check(inTable('cdp.profiles'))).not.toThrow();
    expect(refusal(() => check(inTable('system.one')))).toMatch(/table system\.one is not allowed/);
  });

  const withClause = (clause: string) => `
SelectWithUnionQuery (children 2)
 ExpressionList (children 1)
  SelectQuery (children 1)
   ExpressionList (children 1)
    Literal UInt64_1
 ${clause}
`;

  test.each([
    ['INTO OUTFILE', "Literal '/tmp/x'", /INTO OUTFILE is not allowed/],
    ['FORMAT', 'Identifier JSON', /FORMAT is not allowed/],
    ['SETTINGS', 'Set', /SETTINGS is not allowed/],
  ])('refuses %s', (_what, clause, message) => {
    expect(refusal(() => check(withClause(clause)))).toMatch(message);
  });

  test('refuses SETTINGS of a subquery', () => {
    const dump = `
SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 2)
   ExpressionList (children 1)
    Literal UInt64_1
   Set
`;
    expect(refusal(() => check(dump))).toMatch(/SETTINGS is not allowed/);
  });

  test('refuses a node type it does not know, and APPLY', () => {
    const apply = `
SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 1)
   ExpressionList (children 1)
    Asterisk (children 1)
     ColumnsTransformerList (children 1)
      ColumnsApplyTransformer
`;
    expect(refusal(() => check(apply))).toMatch(/APPLY is not allowed/);
    expect(refusal(() => check(apply.replace('ColumnsApplyTransformer', 'SomethingNew')))).toMatch(/SomethingNew is not allowed/);
  });

  test('refuses a function name it cannot read', () => {
    // SELECT `lower x`()
    const dump = `
SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 1)
   ExpressionList (children 1)
    Function lower x (children 1)
     ExpressionList
`;
    expect(refusal(() => check(dump))).toMatch(/function "lower x" is not allowed/);
  });
});

describe('checkQuotedNames', () => {
  test.each([
    ['SELECT `Total spend`, `größe`, `a-b`, `$x` FROM t'],
    ["SELECT 'a`b\\n(c)' AS x"],
    ["SELECT 'it\\'s `x.y`' AS x, 'O''Brien' AS y"],
  ])('allows %s', (text) => {
    expect(() => checkQuotedNames(text)).not.toThrow();
  });

  test.each([
    ['SELECT 1 AS `a\\n    Function file`'],
    ['SELECT * FROM `system.one`'],
    ['SELECT 1 AS `a) (children 3`'],
    ['SELECT 1 AS "x\ty"'],
    ['SELECT 1 AS `unterminated'],
    ['SELECT 1 AS ``'],
  ])('refuses %s', (text) => {
    expect(refusal(() => checkQuotedNames(text))).toMatch(/quoted name .* is not allowed/);
  });
});

describe('isAllowedFunction', () => {
  test.each([
    'sum', 'SUM', 'count', 'sumIf', 'countIf', 'uniqExactIf', 'uniqMergeState', 'avgOrNull', 'sumArrayIf', 'quantilesTDigestIf',
    'countDistinct', 'row_number', 'lagInFrame', 'JSONExtractString', 'toStartOfMonth', 'arrayMap', 'lambda', 'in', 'multiIf',
    'caseWithExpression', 'lower', 'LOWER', 'domain', 'substr',
  ])('allows %s', (name) => {
    expect(isAllowedFunction(name)).toBe(true);
  });

  test.each([
    'file', 'FILE', 'File', 'fileIf', 'dictGet', 'dictGetString', 'joinGet', 'getSetting', 'hostName', 'currentUser', 'sleep',
    'aiGenerate', 'arrayReduce', 'formatRow', 'initializeAggregation', 'catboostEvaluate', 'lowerIf', 'State', '', 'url', 's3',
  ])('refuses %s', (name) => {
    expect(isAllowedFunction(name)).toBe(false);
  });
});
