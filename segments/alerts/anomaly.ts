// The anomaly rule: a value against its baseline, by median and MAD (median absolute deviation), robust to
// the odd outlier in the baseline itself.

/** Weeks of the same minute of the week in the baseline. */
export const BASELINE_WEEKS = 4;
/** While the history holds fewer weeks: the trailing hours before the minute, every few minutes... */
export const TRAILING_HOURS = 3;
export const TRAILING_STEP_MINUTES = 5;
/** ...and at least this many of those values (an hour's), or no judgement is made. */
export const TRAILING_MIN_POINTS = 12;
/** MAD × 1.4826 estimates the standard deviation of normally distributed values. */
export const MAD_SCALE = 1.4826;

const MINUTE = 60_000;
const WEEK = 7 * 86_400_000;

/** Local time minus UTC at an instant, in ms. */
function zoneOffset(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(ms);
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second')) - Math.floor(ms / 1000) * 1000;
}

/**
 * The same local minute of the week `weeks` weeks before `at`, in `timeZone`: across a daylight-saving change
 * the instant moves by the change, so Monday 09:00 is compared with Mondays 09:00.
 */
export function sameMinuteOfWeek(at: number, weeks: number, timeZone: string): number {
  const back = at - weeks * WEEK;
  return back + zoneOffset(at, timeZone) - zoneOffset(back, timeZone);
}

/** The weekly baseline's minutes, the nearest week first. */
export function weeklyMinutes(at: number, timeZone: string): number[] {
  return Array.from({ length: BASELINE_WEEKS }, (_, i) => sameMinuteOfWeek(at, i + 1, timeZone));
}

/** The trailing baseline's minutes: every TRAILING_STEP_MINUTES over the TRAILING_HOURS before `at`. */
export function trailingMinutes(at: number): number[] {
  return Array.from({ length: (TRAILING_HOURS * 60) / TRAILING_STEP_MINUTES }, (_, i) => at - (i + 1) * TRAILING_STEP_MINUTES * MINUTE);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface AnomalyJudgement {
  anomalous: boolean;
  median: number;
  mad: number;
  /** |value − median|. */
  distance: number;
}

/** Anomalous when |value − median| > sensitivity × 1.4826 × MAD and |value − median| ≥ min_change. */
export function judgeAnomaly(value: number, baseline: number[], rule: { sensitivity: number; min_change: number }): AnomalyJudgement {
  const m = median(baseline);
  const mad = median(baseline.map((v) => Math.abs(v - m)));
  const distance = Math.abs(value - m);
  return { anomalous: distance > rule.sensitivity * MAD_SCALE * mad && distance >= rule.min_change, median: m, mad, distance };
}
