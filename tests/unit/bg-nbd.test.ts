import { describe, expect, test } from 'vitest';
import { bgNbdLogLikelihood, expectedPurchases, expectedPurchasesUnconditional, fitBgNbd, pAlive, type BgNbdParams } from '../../segments/models/bg-nbd.js';
import { groupBgNbdSummaries } from '../../segments/models/btyd-summary.js';
import { hyp2f1 } from '../../segments/models/hyp2f1.js';
import { loadCdnowCalibration, significant } from './cdnow-data.js';

// Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way": BG/NBD on the 2,357 CDNOW
// customers, calibration period of 39 weeks ending 1997-09-30. The same figures are reproduced by the
// `lifetimes` (r 0.242593, alpha 4.413532, a 0.792886, b 2.425752) and BTYD packages.
const PUBLISHED: BgNbdParams & { logLikelihood: number } = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426, logLikelihood: -9582.4 };

const cdnow = loadCdnowCalibration();
const grouped = groupBgNbdSummaries(cdnow);
const fit = fitBgNbd(grouped);

describe('fit on the CDNOW calibration summary', () => {
  test('the input is grouped: fewer distinct summaries than customers, counts add up to 2,357', () => {
    expect(cdnow).toHaveLength(2357);
    expect(grouped.length).toBeLessThan(1100);
    expect(grouped.reduce((n, g) => n + g.count, 0)).toBe(2357);
  });

  test('reproduces the published r, alpha, a, b to 3 significant digits', () => {
    expect(fit.converged).toBe(true);
    expect(significant(fit.r, 3)).toBe(significant(PUBLISHED.r, 3));
    expect(significant(fit.alpha, 3)).toBe(significant(PUBLISHED.alpha, 3));
    expect(significant(fit.a, 3)).toBe(significant(PUBLISHED.a, 3));
    expect(significant(fit.b, 3)).toBe(significant(PUBLISHED.b, 3));
  });

  test('reproduces the published log-likelihood −9582.4 (±0.5)', () => {
    expect(Math.abs(fit.logLikelihood - PUBLISHED.logLikelihood)).toBeLessThanOrEqual(0.5);
  });

  test('per-customer log-likelihood: hand-computed values of FHL eq. 6 at the published parameters', () => {
    // Evaluated with mpmath (40 digits) from eq. 6 as printed — Beta and Gamma functions, not the log form used here.
    expect(bgNbdLogLikelihood(PUBLISHED, [{ x: 2, tx: 30.43, T: 38.86, count: 1 }])).toBeCloseTo(-9.45860630706627, 10);
    expect(bgNbdLogLikelihood(PUBLISHED, [{ x: 0, tx: 0, T: 38.86, count: 1 }])).toBeCloseTo(-0.554713276438158, 10);
    expect(bgNbdLogLikelihood(PUBLISHED, [{ x: 29, tx: 37.71, T: 38, count: 3 }])).toBeCloseTo(3 * -43.8695140536207, 9);
  });

  test('the estimate is a maximum: at least as likely as the (rounded) published point and as nearby points', () => {
    const atPublished = bgNbdLogLikelihood(PUBLISHED, grouped);
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(atPublished);
    expect(fit.logLikelihood - atPublished).toBeLessThan(0.5);
    for (const key of ['r', 'alpha', 'a', 'b'] as const) {
      for (const factor of [0.99, 1.01]) {
        expect(bgNbdLogLikelihood({ ...fit, [key]: fit[key] * factor }, grouped)).toBeLessThan(fit.logLikelihood);
      }
    }
  });

  test('grouped and one-row-per-customer input give the same log-likelihood and the same fit', () => {
    const ungrouped = cdnow.map((c) => ({ x: c.x, tx: c.tx, T: c.T, count: 1 }));
    expect(bgNbdLogLikelihood(PUBLISHED, ungrouped)).toBeCloseTo(bgNbdLogLikelihood(PUBLISHED, grouped), 6);
    const f = fitBgNbd(ungrouped);
    expect(f.converged).toBe(true);
    expect(f.logLikelihood).toBeCloseTo(fit.logLikelihood, 5);
    for (const key of ['r', 'alpha', 'a', 'b'] as const) expect(Math.abs(f[key] / fit[key] - 1)).toBeLessThan(1e-5);
  });

  test('a distant starting point reaches the same estimate', () => {
    const f = fitBgNbd(grouped, { initialParams: { r: 5, alpha: 0.5, a: 10, b: 0.1 } });
    expect(f.converged).toBe(true);
    for (const key of ['r', 'alpha', 'a', 'b'] as const) expect(Math.abs(f[key] / fit[key] - 1)).toBeLessThan(1e-5);
  });

  test('penalizer: 0 is the default; a positive one shrinks the parameters and costs likelihood', () => {
    const zero = fitBgNbd(grouped, { penalizer: 0 });
    expect(zero.r).toBe(fit.r);
    expect(zero.alpha).toBe(fit.alpha);
    const penalised = fitBgNbd(grouped, { penalizer: 0.01 });
    expect(penalised.converged).toBe(true);
    const norm = (p: BgNbdParams): number => p.r ** 2 + p.alpha ** 2 + p.a ** 2 + p.b ** 2;
    expect(norm(penalised)).toBeLessThan(norm(fit));
    expect(penalised.logLikelihood).toBeLessThan(fit.logLikelihood);
  });

  test('invalid input is refused', () => {
    expect(() => fitBgNbd([])).toThrow(RangeError);
    expect(() => fitBgNbd([{ x: 1, tx: 5, T: 4, count: 1 }])).toThrow(/t_x/);
    expect(() => fitBgNbd([{ x: 1.5, tx: 1, T: 4, count: 1 }])).toThrow(/x must be/);
    expect(() => fitBgNbd([{ x: 1, tx: 1, T: 4, count: -1 }])).toThrow(/count/);
    expect(() => fitBgNbd(grouped, { penalizer: -1 })).toThrow(/penalizer/);
  });
});

describe('P(alive)', () => {
  test('is exactly 1 for x = 0, whatever T: a BG/NBD customer can only drop out right after a purchase', () => {
    for (const T of [0, 1, 38.86, 1000]) expect(pAlive(fit, 0, 0, T)).toBe(1);
  });

  test('hand-computed values at the published parameters: 1/(1 + a/(b+x−1)·((α+T)/(α+t_x))^(r+x))', () => {
    // CDNOW customers 1 (x=2, t_x=30.43, T=38.86) and 2 (x=1, t_x=1.71, T=38.86); values evaluated with mpmath at 40 digits.
    expect(pAlive(PUBLISHED, 2, 30.43, 38.86)).toBeCloseTo(0.726578570080673, 12);
    expect(pAlive(PUBLISHED, 1, 1.71, 38.86)).toBeCloseTo(0.212100985377379, 12);
  });

  test('decreases as the gap since the last purchase grows', () => {
    for (const x of [1, 2, 5, 20]) {
      let previous = pAlive(fit, x, 10, 10);
      expect(previous).toBeLessThan(1);
      for (const T of [11, 15, 20, 30, 40, 80]) {
        const p = pAlive(fit, x, 10, T);
        expect(p).toBeLessThan(previous);
        previous = p;
      }
    }
  });

  test('for the same gap, a frequent buyer who stopped is less likely alive than an occasional one', () => {
    expect(pAlive(fit, 20, 10, 38)).toBeLessThan(pAlive(fit, 2, 10, 38));
  });

  test('stays in [0, 1] for extreme histories (no overflow)', () => {
    const p = pAlive(fit, 500, 1, 1000);
    // The odds against, a/(b+x−1)·((α+T)/(α+t_x))^(r+x), are about e^2607: P(alive) ≈ e^−2607, whose
    // nearest double is 0; an overflowing evaluation gives NaN (∞/∞) instead.
    expect(p).toBe(0);
    expect(p).toBeLessThan(1e-100);
    expect(pAlive(fit, 500, 1000, 1000)).toBeGreaterThan(0.5);
  });
});

describe('expected purchases', () => {
  test('conditional on history: the lifetimes README ranking of CDNOW customers for t = 1 week', () => {
    // lifetimes README, "Ranking customers from best to worst": ID, frequency (x), recency (t_x), T, predicted purchases.
    const published: [number, number, number, number, number][] = [
      [509, 18, 35.14, 35.86, 0.424877],
      [841, 19, 34.0, 34.14, 0.474738],
      [1981, 17, 28.43, 28.86, 0.486526],
      [157, 29, 37.71, 38.0, 0.662396],
      [1516, 26, 30.86, 31.0, 0.710623],
    ];
    for (const [id, x, tx, T, expected] of published) {
      const row = cdnow.find((c) => c.id === id);
      expect(row).toMatchObject({ x, tx, T });
      expect(expectedPurchases(fit, 1, x, tx, T)).toBeCloseTo(expected, 5);
    }
  });

  test('hand-computed values of FHL eq. 10 at the published parameters (mpmath hyp2f1, 40 digits)', () => {
    expect(expectedPurchases(PUBLISHED, 39, 2, 30.43, 38.86)).toBeCloseTo(1.22602817476714, 10);
    expect(expectedPurchases(PUBLISHED, 52, 0, 0, 38.86)).toBeCloseTo(0.252073022282459, 10);
    expect(expectedPurchases(PUBLISHED, 1, 26, 30.86, 31)).toBeCloseTo(0.710620937334675, 10);
    expect(expectedPurchases(PUBLISHED, 39, 7, 29.43, 38.86)).toBeCloseTo(3.33705327485142, 10);
  });

  test('equals FHL eq. 10 evaluated literally with ₂F₁ (checks the Euler-transformed evaluation)', () => {
    const literal = (p: BgNbdParams, t: number, x: number, tx: number, T: number): number => {
      const { r, alpha, a, b } = p;
      const bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t));
      const denominator = 1 + (x > 0 ? (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x) : 0);
      return (((a + b + x - 1) / (a - 1)) * bracket) / denominator;
    };
    for (const params of [fit, { r: 1.3, alpha: 12, a: 2.5, b: 4 }, { r: 0.5, alpha: 2, a: 0.3, b: 0.9 }]) {
      for (const [t, x, tx, T] of [
        [1, 0, 0, 38.86],
        [39, 2, 30.43, 38.86],
        [52, 7, 29.43, 38.86],
        [10, 26, 30.86, 31],
        [200, 1, 0.5, 3],
      ] as const) {
        const expected = literal(params, t, x, tx, T);
        expect(Math.abs(expectedPurchases(params, t, x, tx, T) / expected - 1)).toBeLessThan(1e-9);
      }
    }
  });

  test('matches a first-principles numerical integration of the model (Poisson × Gamma, dropout × Beta)', () => {
    // Given λ and p, a customer alive at T makes (1 − e^{−λpt})/p purchases in (T, T+t] on average (FHL eq. 7 restarted
    // at T). Weighting by the joint density of the history and "alive at T", (1−p)^x λ^x e^{−λT}, against the full
    // likelihood (alive, or dropped out after the last purchase: δ_{x>0} p(1−p)^(x−1) λ^x e^{−λ t_x}) and the priors, the
    // λ-integrals are Gamma integrals (∫ λ^x e^{−λs} Gamma(λ; r, α) dλ ∝ (α+s)^{−(r+x)}) and the p-integral is done by
    // Simpson's rule after p = u^(1/a), which absorbs the p^(a−1) of the Beta density. No ₂F₁, no ln Γ.
    const integrate = (f: (u: number) => number, n = 20_000): number => {
      let s = f(0) + f(1);
      for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(i / n);
      return s / (3 * n);
    };
    const numeric = ({ r, alpha, a, b }: BgNbdParams, t: number, x: number, tx: number, T: number): number => {
      const k = r + x;
      const numerator = integrate((u) => {
        const p = u ** (1 / a);
        const perP = p === 0 ? (k * t) / (alpha + T) : -Math.expm1(-k * Math.log1p((p * t) / (alpha + T))) / p;
        return (1 - p) ** (x + b - 1) * perP;
      });
      const denominator = integrate((u) => {
        const p = u ** (1 / a);
        return (1 - p) ** (x + b - 1) + (x > 0 ? p * (1 - p) ** (x + b - 2) * ((alpha + T) / (alpha + tx)) ** k : 0);
      });
      return numerator / denominator;
    };
    for (const [t, x, tx, T] of [
      [39, 0, 0, 38.86],
      [39, 2, 30.43, 38.86],
      [1, 26, 30.86, 31],
      [52, 5, 10, 38],
    ] as const) {
      const value = expectedPurchases(fit, t, x, tx, T);
      expect(Math.abs(value / numeric(fit, t, x, tx, T) - 1)).toBeLessThan(1e-6);
    }
  });

  test('increase with x for customers who just bought (t_x = T)', () => {
    let previous = -Infinity;
    for (let x = 1; x <= 30; x++) {
      const e = expectedPurchases(fit, 39, x, 30, 30);
      expect(e).toBeGreaterThan(previous);
      previous = e;
    }
  });

  test('are 0 at t = 0 and increase with t', () => {
    expect(expectedPurchases(fit, 0, 3, 20, 38)).toBe(0);
    let previous = 0;
    for (const t of [0.5, 1, 5, 39, 100, 1000]) {
      const e = expectedPurchases(fit, t, 3, 20, 38);
      expect(e).toBeGreaterThan(previous);
      previous = e;
    }
  });

  test('fall as the gap since the last purchase grows (same x)', () => {
    expect(expectedPurchases(fit, 39, 5, 38, 38)).toBeGreaterThan(expectedPurchases(fit, 39, 5, 20, 38));
    expect(expectedPurchases(fit, 39, 5, 20, 38)).toBeGreaterThan(expectedPurchases(fit, 39, 5, 5, 38));
  });

  test('are continuous through a = 1, where (a+b+x−1)/(a−1)·[…] is 0/0', () => {
    const at = (a: number): number => expectedPurchases({ ...fit, a }, 39, 2, 30.43, 38.86);
    const mid = at(1);
    expect(Number.isFinite(mid)).toBe(true);
    expect(mid).toBeGreaterThan(at(1 + 1e-4));
    expect(mid).toBeLessThan(at(1 - 1e-4));
    expect(Math.abs(mid - (at(1 - 1e-7) + at(1 + 1e-7)) / 2)).toBeLessThan(1e-9);
  });

  test('unconditional E[X(t)] (FHL eq. 9): hand-computed values at the published parameters (mpmath, 40 digits)', () => {
    expect(expectedPurchasesUnconditional(PUBLISHED, 39)).toBeCloseTo(1.19672319332082, 10);
    expect(expectedPurchasesUnconditional(PUBLISHED, 78)).toBeCloseTo(1.86051905794277, 10);
    expect(expectedPurchasesUnconditional(PUBLISHED, 1000)).toBeCloseTo(6.58039161373823, 9);
    expect(expectedPurchasesUnconditional(PUBLISHED, 0)).toBe(0);
  });

  test('unconditional E[X(t)] is the conditional expectation of a customer seen for no time (x = 0, T = 0)', () => {
    for (const t of [1, 39, 78]) expect(expectedPurchasesUnconditional(fit, t)).toBeCloseTo(expectedPurchases(fit, t, 0, 0, 0), 12);
  });

  test('invalid arguments are refused', () => {
    expect(() => expectedPurchases(fit, -1, 1, 1, 2)).toThrow(RangeError);
    expect(() => expectedPurchases(fit, 1, 1, 3, 2)).toThrow(/t_x/);
    expect(() => pAlive({ ...fit, r: 0 }, 1, 1, 2)).toThrow(/parameter r/);
    expect(() => expectedPurchasesUnconditional(fit, Number.NaN)).toThrow(RangeError);
  });
});

describe('fit: units and degenerate data', () => {
  test('time in days instead of weeks: alpha scales by 7, r, a, b unchanged, log-likelihood shifts by −Σx·ln 7', () => {
    const cdnowRows = loadCdnowCalibration();
    const weeks = groupBgNbdSummaries(cdnowRows);
    const days = groupBgNbdSummaries(cdnowRows.map((c) => ({ x: c.x, tx: c.tx * 7, T: c.T * 7 })));
    const fw = fitBgNbd(weeks);
    const fd = fitBgNbd(days);
    expect(fd.converged).toBe(true);
    expect(Math.abs(fd.alpha / (7 * fw.alpha) - 1)).toBeLessThan(1e-5);
    for (const key of ['r', 'a', 'b'] as const) expect(Math.abs(fd[key] / fw[key] - 1)).toBeLessThan(1e-5);
    const sumX = cdnowRows.reduce((s, c) => s + c.x, 0);
    expect(fd.logLikelihood).toBeCloseTo(fw.logLikelihood - sumX * Math.log(7), 4);
  });

  test('no repeat purchases at all: the likelihood has no maximum, reported as not converged', () => {
    const f = fitBgNbd([
      { x: 0, tx: 0, T: 10, count: 50 },
      { x: 0, tx: 0, T: 3, count: 5 },
    ]);
    expect(f.converged).toBe(false);
    expect([f.r, f.alpha, f.a, f.b].every(Number.isFinite)).toBe(true);
  });
});
