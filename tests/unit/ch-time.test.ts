import { expect, test } from 'vitest';
import { chMs, chTime } from '../../pipeline/clickhouse/ch-time.js';

// chTime keeps the text of the last second it formatted: every time must read as toISOString gives it.
const reference = (ms: number) => {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
};

test('times format as ClickHouse DateTime64(3) text, in any order, across seconds, days and years', () => {
  const times = [
    0, 1, 9, 10, 99, 100, 999, 1000, 1001, 59_999, 60_000, Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1),
    Date.UTC(2024, 1, 29, 12, 0, 0, 5), 253_402_300_799_999, 253_402_300_800_000, -1, -999, -1000, -1001, 1.9, -1.5, 1_700_000_000_123.7,
  ];
  let x = 42;
  for (let i = 0; i < 2000; i++) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    times.push(Date.UTC(2026, 0, 1) + (x % 86_400_000), Date.UTC(2026, 0, 1) + (x % 3000));
  }
  for (const ms of times) expect(chTime(ms), String(ms)).toBe(reference(ms));
  expect(chMs(chTime(Date.UTC(2026, 2, 4, 10, 11, 12, 345)))).toBe(Date.UTC(2026, 2, 4, 10, 11, 12, 345));
});

test('a time no Date can hold throws as before', () => {
  expect(() => chTime(Number.NaN)).toThrow(RangeError);
  expect(() => chTime(8.65e15)).toThrow(RangeError);
});
