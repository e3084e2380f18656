const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 0, maximumFractionDigits: 0 });
const two = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

export const fmtInt = (n: number): string => integer.format(n);
export const fmtMoney = (n: number): string => money.format(n);
export const fmtNum = (n: number): string => two.format(n);

/** Milliseconds as the largest sensible unit: 420 ms, 3.2 s, 4 min. */
export function fmtDuration(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${two.format(ms / 1000)} s`;
  if (ms < 3_600_000) return `${two.format(ms / 60_000)} min`;
  return `${two.format(ms / 3_600_000)} h`;
}

export function fmtTime(ms: number | null): string {
  if (ms === null) return '–';
  return new Date(ms).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function fmtMinute(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

export function fmtDate(ms: number): string {
  return new Date(ms).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}
