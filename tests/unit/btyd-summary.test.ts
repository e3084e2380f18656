import { describe, expect, test } from 'vitest';
import { groupBgNbdSummaries, groupGammaGammaSummaries, summariseTransactions } from '../../segments/models/btyd-summary.js';
import { loadCdnowCalibration, loadCdnowTransactions } from './cdnow-data.js';

describe('CDNOW: transactions → calibration summary', () => {
  const summaries = summariseTransactions(loadCdnowTransactions(), '1997-09-30', 7);
  const expected = loadCdnowCalibration();

  test('the same 2,357 customers', () => {
    expect(summaries).toHaveLength(2357);
    expect(new Set(summaries.map((s) => s.customerId))).toEqual(new Set(expected.map((e) => String(e.id))));
  });

  test('reproduces cdnow_summary_calibration.csv: x exactly, t_x, T and zbar to 2 decimals', () => {
    const byId = new Map(summaries.map((s) => [s.customerId, s]));
    const mismatches: string[] = [];
    for (const e of expected) {
      const s = byId.get(String(e.id))!;
      const close = (a: number, b: number): boolean => Math.abs(a - b) <= 0.005 + 1e-9;
      if (s.x !== e.x || !close(s.tx, e.tx) || !close(s.T, e.T) || !close(s.monetary, e.zbar)) mismatches.push(`${e.id}: got ${JSON.stringify(s)}, csv ${JSON.stringify(e)}`);
    }
    expect(mismatches).toEqual([]);
  });

  test('zbar is the mean of repeat purchase DAYS (same-day transactions summed), not of repeat transactions', () => {
    // Customer 1 (master id 00004): 1997-01-01 29.33 (first), 01-18 29.73, 08-02 14.96, 12-12 after the calibration end.
    const one = summaries.find((s) => s.customerId === '1')!;
    expect(one).toMatchObject({ x: 2 });
    expect(one.tx).toBeCloseTo(213 / 7, 12);
    expect(one.T).toBeCloseTo(272 / 7, 12);
    expect(one.monetary).toBeCloseTo((29.73 + 14.96) / 2, 12);
    // Customers with several transactions on one repeat day exist in the sample, so the convention is exercised.
    const transactions = loadCdnowTransactions().filter((t) => t.date <= '1997-09-30');
    const seen = new Set<string>();
    let sameDay = 0;
    for (const t of transactions) {
      const key = `${t.customerId}|${t.date}`;
      if (seen.has(key)) sameDay++;
      seen.add(key);
    }
    expect(sameDay).toBeGreaterThan(0);
  });
});

describe('summariseTransactions', () => {
  test('several transactions on one day are one purchase worth their sum; the first day is not a repeat', () => {
    const [s] = summariseTransactions(
      [
        { customerId: 'c', date: '2024-01-01T09:00:00Z', amount: 10 },
        { customerId: 'c', date: '2024-01-01T18:00:00Z', amount: 5 },
        { customerId: 'c', date: '2024-01-08T10:00:00Z', amount: 20 },
        { customerId: 'c', date: '2024-01-08T11:00:00Z', amount: 4 },
        { customerId: 'c', date: new Date('2024-01-15T23:59:59Z'), amount: 30 },
      ],
      '2024-01-29',
      7,
    );
    expect(s).toEqual({ customerId: 'c', x: 2, tx: 2, T: 4, monetary: (24 + 30) / 2 });
  });

  test('the calibration end day is included, later days are not; a customer whose first purchase is later is left out', () => {
    const out = summariseTransactions(
      [
        { customerId: 'a', date: '2024-01-01', amount: 1 },
        { customerId: 'a', date: '2024-01-10T23:00:00Z', amount: 2 },
        { customerId: 'a', date: '2024-01-11', amount: 100 },
        { customerId: 'late', date: '2024-01-11', amount: 3 },
      ],
      '2024-01-10',
      1,
    );
    expect(out).toEqual([{ customerId: 'a', x: 1, tx: 9, T: 9, monetary: 2 }]);
  });

  test('one-time buyers: x = 0, t_x = 0, monetary 0; time in days when unitDays = 1', () => {
    expect(summariseTransactions([{ customerId: 'o', date: '2024-02-27', amount: 9 }], '2024-03-01', 1)).toEqual([{ customerId: 'o', x: 0, tx: 0, T: 3, monetary: 0 }]);
  });

  test('invalid input is refused', () => {
    expect(() => summariseTransactions([], '2024-01-01', 0)).toThrow(/unitDays/);
    expect(() => summariseTransactions([{ customerId: 'a', date: 'not a date', amount: 1 }], '2024-01-01', 7)).toThrow(/invalid date/);
    expect(() => summariseTransactions([{ customerId: 'a', date: '2024-01-01', amount: Number.NaN }], '2024-01-01', 7)).toThrow(/amount/);
  });
});

describe('grouping', () => {
  test('identical (x, t_x, T) rows become one row with their count', () => {
    const rows = [
      { x: 0, tx: 0, T: 10 },
      { x: 2, tx: 5, T: 10 },
      { x: 0, tx: 0, T: 10 },
      { x: 2, tx: 5, T: 10, count: 3 },
      { x: 2, tx: 6, T: 10 },
    ];
    expect(groupBgNbdSummaries(rows)).toEqual([
      { x: 0, tx: 0, T: 10, count: 2 },
      { x: 2, tx: 5, T: 10, count: 4 },
      { x: 2, tx: 6, T: 10, count: 1 },
    ]);
  });

  test('spend rows: repeat customers only, identical (x, m_x) grouped', () => {
    expect(
      groupGammaGammaSummaries([
        { x: 0, mx: 0 },
        { x: 1, mx: 12.5 },
        { x: 1, mx: 12.5 },
        { x: 3, mx: 12.5 },
      ]),
    ).toEqual([
      { x: 1, mx: 12.5, count: 2 },
      { x: 3, mx: 12.5, count: 1 },
    ]);
  });
});
