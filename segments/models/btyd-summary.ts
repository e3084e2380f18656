// Customer summaries for the "buy till you die" models (BG/NBD, Gamma-Gamma) from raw transactions, and the
// grouping of identical summaries that keeps the fits' cost independent of the number of customers.
// Pure: no I/O.
//
// Conventions (those of the CDNOW analyses in Fader, Hardie & Lee 2005, "'Counting Your Customers' the Easy
// Way", and of the BTYD R package's elog2cbs / dc.MergeTransactionsOnSameDate):
//   - time starts at each customer's first purchase ("trial"), which is not a repeat purchase;
//   - several transactions on one calendar day (UTC) are one purchase whose value is their sum;
//   - x   = number of purchase days after the first, up to and including the calibration end day;
//   - t_x = (last purchase day − first purchase day) / unitDays  (0 when x = 0);
//   - T   = (calibration end day − first purchase day) / unitDays;
//   - monetary (z̄, the m_x of the Gamma-Gamma) = mean value of the x repeat purchase days (the first
//     purchase excluded), 0 when x = 0.
// Customers whose first purchase is after the calibration end are left out. With unitDays = 7 the CDNOW
// sample ending 1997-09-30 gives the published calibration summary (cdnow_summary_calibration.csv).

export interface Transaction {
  customerId: string;
  /** A Date, or an ISO 8601 string ("1997-01-01" or a full timestamp); its UTC calendar day counts. */
  date: Date | string;
  amount: number;
}

export interface CustomerSummary {
  customerId: string;
  /** Repeat purchase days. */
  x: number;
  /** Time of the last purchase, from the first, in units of unitDays. */
  tx: number;
  /** Time from the first purchase to the calibration end, in units of unitDays. */
  T: number;
  /** Mean value of the repeat purchase days (0 when x = 0). */
  monetary: number;
}

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of the UTC calendar day of `date`. */
function utcDay(date: Date | string, what: string): number {
  const ms = date instanceof Date ? date.getTime() : Date.parse(date);
  if (!Number.isFinite(ms)) throw new RangeError(`summariseTransactions: invalid ${what}: ${String(date)}`);
  return Math.floor(ms / MS_PER_DAY);
}

/**
 * Per-customer (x, t_x, T, monetary) as of the end of `calibrationEnd`'s UTC day (inclusive), time measured in
 * units of `unitDays` days (7 for weeks). Customers appear in order of their first transaction in the input.
 */
export function summariseTransactions(transactions: readonly Transaction[], calibrationEnd: Date | string, unitDays: number): CustomerSummary[] {
  if (!Number.isFinite(unitDays) || !(unitDays > 0)) throw new RangeError(`summariseTransactions: unitDays must be positive, got ${unitDays}`);
  const endDay = utcDay(calibrationEnd, 'calibrationEnd');
  // customer → (day → total amount that day)
  const days = new Map<string, Map<number, number>>();
  for (const t of transactions) {
    if (!Number.isFinite(t.amount)) throw new RangeError(`summariseTransactions: amount must be finite, got ${t.amount} for ${t.customerId}`);
    let perDay = days.get(t.customerId);
    if (perDay === undefined) {
      perDay = new Map();
      days.set(t.customerId, perDay);
    }
    const day = utcDay(t.date, `date for ${t.customerId}`);
    if (day > endDay) continue;
    perDay.set(day, (perDay.get(day) ?? 0) + t.amount);
  }
  const out: CustomerSummary[] = [];
  for (const [customerId, perDay] of days) {
    if (perDay.size === 0) continue; // first purchase after the calibration end
    const sorted = [...perDay.keys()].sort((a, b) => a - b);
    const first = sorted[0]!;
    const last = sorted[sorted.length - 1]!;
    const x = sorted.length - 1;
    let repeatTotal = 0;
    for (let i = 1; i < sorted.length; i++) repeatTotal += perDay.get(sorted[i]!)!;
    out.push({ customerId, x, tx: (last - first) / unitDays, T: (endDay - first) / unitDays, monetary: x > 0 ? repeatTotal / x : 0 });
  }
  return out;
}

/**
 * Groups identical rows: one output row per distinct value of `key(row)` with `count` = the summed counts
 * (1 per row when rows carry no count), in order of first appearance. The fitters take grouped input.
 */
function groupBy<T, G>(rows: readonly T[], key: (row: T) => string, make: (row: T) => G, countOf: (row: T) => number): (G & { count: number })[] {
  const groups = new Map<string, G & { count: number }>();
  for (const row of rows) {
    const k = key(row);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, { ...make(row), count: countOf(row) });
    else g.count += countOf(row);
  }
  return [...groups.values()];
}

/** BG/NBD input: identical (x, t_x, T) grouped with their count. */
export function groupBgNbdSummaries(rows: readonly { x: number; tx: number; T: number; count?: number }[]): { x: number; tx: number; T: number; count: number }[] {
  return groupBy(
    rows,
    (r) => `${r.x}|${r.tx}|${r.T}`,
    (r) => ({ x: r.x, tx: r.tx, T: r.T }),
    (r) => r.count ?? 1,
  );
}

/** Gamma-Gamma input: repeat customers (x > 0) only, identical (x, m_x) grouped with their count. */
export function groupGammaGammaSummaries(rows: readonly { x: number; mx: number; count?: number }[]): { x: number; mx: number; count: number }[] {
  return groupBy(
    rows.filter((r) => r.x > 0),
    (r) => `${r.x}|${r.mx}`,
    (r) => ({ x: r.x, mx: r.mx }),
    (r) => r.count ?? 1,
  );
}
