import { describe, expect, test } from 'vitest';
import { formatRows } from '../../pipeline/cli/format-rows.js';

const rows = [
  { id: 1, name: 'Ann' },
  { id: 22, name: 'Bartholomew' },
];

describe('json', () => {
  test('an indented JSON array of the rows', () => {
    const out = formatRows(rows, 'json');
    expect(JSON.parse(out)).toEqual(rows);
    expect(out).toBe('[\n  {\n    "id": 1,\n    "name": "Ann"\n  },\n  {\n    "id": 22,\n    "name": "Bartholomew"\n  }\n]');
  });

  test('zero rows is an empty array', () => {
    expect(formatRows([], 'json')).toBe('[]');
  });
});

describe('csv', () => {
  test('a header line, then one line per row', () => {
    expect(formatRows(rows, 'csv')).toBe('id,name\n1,Ann\n22,Bartholomew');
  });

  test('fields with commas, quotes or line breaks are quoted; quotes are doubled', () => {
    const out = formatRows([{ a: 'Smith, Ann', b: 'said "hi"', c: 'line1\nline2', d: 'cr\rhere', e: 'plain text' }], 'csv');
    expect(out).toBe('a,b,c,d,e\n"Smith, Ann","said ""hi""","line1\nline2","cr\rhere",plain text');
  });

  test('null and undefined are empty; objects are JSON (quoted)', () => {
    const out = formatRows([{ n: null, u: undefined, o: { k: 1, l: [2] }, b: false, z: 0 }], 'csv');
    expect(out).toBe('n,u,o,b,z\n,,"{""k"":1,""l"":[2]}",false,0');
  });

  test('header names are quoted like values', () => {
    expect(formatRows([{ 'count, total': 3 }], 'csv')).toBe('"count, total"\n3');
  });

  test('columns come from the first row', () => {
    expect(formatRows([{ a: 1, b: 2 }, { b: 3, a: 4 }], 'csv')).toBe('a,b\n1,2\n4,3');
  });

  test('zero rows is empty', () => {
    expect(formatRows([], 'csv')).toBe('');
  });
});

describe('table', () => {
  test('aligned columns, a rule under the header and a row count', () => {
    // widths: id = 2 ("22"), name = 11 ("Bartholomew")
    expect(formatRows(rows, 'table').split('\n')).toEqual([
      'id | name       ',
      '---+------------',
      '1  | Ann        ',
      '22 | Bartholomew',
      '(2 rows)',
    ]);
  });

  test('a header wider than its values sets the width', () => {
    expect(formatRows([{ quantity: 5 }], 'table').split('\n')).toEqual(['quantity', '--------', '5       ', '(1 row)']);
  });

  test('every line of the grid has its separators in the same columns', () => {
    const out = formatRows(
      [
        { event: 'Order Completed', n: 12345, revenue: null },
        { event: 'Page', n: 1, revenue: 9.5 },
      ],
      'table',
    );
    const grid = out.split('\n').slice(0, -1);
    expect(grid).toHaveLength(4);
    const positions = (line: string) => [...line].flatMap((ch, i) => (ch === '|' || ch === '+' ? [i] : []));
    for (const line of grid) {
      expect(line).toHaveLength(grid[0]!.length);
      expect(positions(line)).toEqual(positions(grid[0]!));
    }
    expect(out.split('\n').at(-1)).toBe('(2 rows)');
  });

  test('null cells are blank and whitespace runs become one space', () => {
    const lines = formatRows([{ a: null, b: 'two\nlines\t here' }], 'table').split('\n');
    expect(lines[2]).toBe('  | two lines here');
  });

  test('cells are cut at 60 characters with an ellipsis', () => {
    const lines = formatRows([{ long: 'x'.repeat(70) }], 'table').split('\n');
    expect(lines[1]).toBe('-'.repeat(60));
    expect(lines[2]).toBe(`${'x'.repeat(59)}…`);
  });

  test('zero rows', () => {
    expect(formatRows([], 'table')).toBe('(0 rows)');
  });
});
