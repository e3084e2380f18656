// Times as ClickHouse reads and writes them in JSON: the one conversion every feature uses.

/** ClickHouse DateTime64(3) text, which its default parser reads without best-effort guessing. */
export function chTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** The inverse of chTime: a DateTime64 as ClickHouse writes it in JSON ("2026-03-04 10:11:12.345", UTC) to epoch ms. */
export function chMs(value: unknown): number {
  return Date.parse(`${String(value).replace(' ', 'T')}Z`);
}
