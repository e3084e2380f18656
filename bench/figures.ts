// Small helpers every bench uses to report its figures.

/** A figure beside its target, as printed in the JSON. */
export interface Target {
  target: number;
  value: number;
  /** Only when the figure is valid (no non-2xx, no connection errors) and reaches the target. */
  met: boolean;
}

export const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Seconds since a performance.now() reading. */
export const seconds = (fromMs: number) => (performance.now() - fromMs) / 1000;

/** The p-th percentile of ascending values (nearest rank below); 0 when there are none. */
export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
