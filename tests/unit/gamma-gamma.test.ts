import { describe, expect, test } from 'vitest';
import { expectedPurchases, fitBgNbd } from '../../segments/models/bg-nbd.js';
import { groupBgNbdSummaries, groupGammaGammaSummaries } from '../../segments/models/btyd-summary.js';
import { clv, expectedAverageValue, fitGammaGamma, gammaGammaLogLikelihood, type GammaGammaParams } from '../../segments/models/gamma-gamma.js';
import { loadCdnowCalibration, significant } from './cdnow-data.js';

// Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis", and Fader &
// Hardie (2013), "The Gamma-Gamma Model of Monetary Value": the 946 CDNOW customers with at least one repeat
// purchase in the calibration period, m_x = their mean repeat-transaction value. `lifetimes` reports
// p 6.25, q 3.74, v (γ) 15.45 (15.447748) for the same data: 15.44 and 15.45 agree to 3 significant digits.
const PUBLISHED: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };

const cdnow = loadCdnowCalibration();
const spend = groupGammaGammaSummaries(cdnow.map((c) => ({ x: c.x, mx: c.zbar })));
const gg = fitGammaGamma(spend);

describe('fit on the CDNOW repeat customers', () => {
  test('946 repeat customers, grouped', () => {
    expect(spend.reduce((n, s) => n + s.count, 0)).toBe(946);
    expect(spend.length).toBeLessThan(946);
    expect(spend.every((s) => s.x > 0)).toBe(true);
  });

  test('reproduces the published p, q, gamma to 3 significant digits', () => {
    expect(gg.converged).toBe(true);
    expect(significant(gg.p, 3)).toBe(significant(PUBLISHED.p, 3));
    expect(significant(gg.q, 3)).toBe(significant(PUBLISHED.q, 3));
    expect(significant(gg.gamma, 3)).toBe(significant(PUBLISHED.gamma, 3));
  });

  test('log-likelihood: hand-computed densities of m_x, and the value at the estimate', () => {
    // ln f(m_x | p, q, γ; x) at the published parameters, evaluated with mpmath (40 digits).
    expect(gammaGammaLogLikelihood(PUBLISHED, [{ x: 2, mx: 22.35, count: 1 }])).toBeCloseTo(-3.5513167597317, 10);
    expect(gammaGammaLogLikelihood(PUBLISHED, [{ x: 7, mx: 73.74, count: 2 }])).toBeCloseTo(2 * -6.05486731072223, 9);
    // No log-likelihood is quoted with the published estimates; −4055.92 is an independent maximisation of the same
    // likelihood with SciPy (gammaln, Nelder–Mead then BFGS): p 6.248803, q 3.744588, γ 15.447746.
    expect(gg.logLikelihood).toBeCloseTo(-4055.9232, 3);
  });

  test('the estimate is a maximum: at least as likely as the (rounded) published point and as nearby points', () => {
    const atPublished = gammaGammaLogLikelihood(PUBLISHED, spend);
    expect(gg.logLikelihood).toBeGreaterThanOrEqual(atPublished);
    expect(gg.logLikelihood - atPublished).toBeLessThan(0.5);
    for (const key of ['p', 'q', 'gamma'] as const) {
      for (const factor of [0.99, 1.01]) expect(gammaGammaLogLikelihood({ ...gg, [key]: gg[key] * factor }, spend)).toBeLessThan(gg.logLikelihood);
    }
  });

  test('grouped and one-row-per-customer input give the same fit; x = 0 rows are ignored', () => {
    const perCustomer = cdnow.map((c) => ({ x: c.x, mx: c.zbar, count: 1 }));
    const f = fitGammaGamma(perCustomer);
    expect(f.converged).toBe(true);
    expect(f.logLikelihood).toBeCloseTo(gg.logLikelihood, 5);
    for (const key of ['p', 'q', 'gamma'] as const) expect(Math.abs(f[key] / gg[key] - 1)).toBeLessThan(1e-5);
    expect(gammaGammaLogLikelihood(PUBLISHED, perCustomer)).toBeCloseTo(gammaGammaLogLikelihood(PUBLISHED, spend), 6);
  });

  test('a distant starting point reaches the same estimate', () => {
    const f = fitGammaGamma(spend, { initialParams: { p: 0.5, q: 20, gamma: 1 } });
    for (const key of ['p', 'q', 'gamma'] as const) expect(Math.abs(f[key] / gg[key] - 1)).toBeLessThan(1e-5);
  });

  test('penalizer shrinks the parameters', () => {
    const penalised = fitGammaGamma(spend, { penalizer: 0.01 });
    expect(penalised.p ** 2 + penalised.q ** 2 + penalised.gamma ** 2).toBeLessThan(gg.p ** 2 + gg.q ** 2 + gg.gamma ** 2);
    expect(penalised.logLikelihood).toBeLessThan(gg.logLikelihood);
  });

  test('invalid input is refused', () => {
    expect(() => fitGammaGamma([{ x: 0, mx: 0, count: 5 }])).toThrow(/no repeat customers/);
    expect(() => fitGammaGamma([{ x: 2, mx: 0, count: 1 }])).toThrow(/mx must be positive/);
    expect(() => fitGammaGamma([{ x: -1, mx: 3, count: 1 }])).toThrow(RangeError);
  });
});

describe('expected average transaction value', () => {
  test('the lifetimes README values for CDNOW customers 1, 2, 3, 6, 9 (conditional_expected_average_profit)', () => {
    const byId = new Map(cdnow.map((c) => [c.id, c]));
    for (const [id, expected] of [
      [1, 24.658616],
      [2, 18.91148],
      [3, 35.171003],
      [6, 71.462851],
      [9, 27.282408],
    ] as const) {
      const c = byId.get(id)!;
      expect(expectedAverageValue(gg, c.x, c.zbar)).toBeCloseTo(expected, 4);
    }
    // … and its mean over all 2,357 customers ("Expected conditional average profit: 35.2529588256"), against the mean
    // repeat value of the 946 repeat customers ("Average profit: 35.078551797").
    const mean = cdnow.reduce((s, c) => s + expectedAverageValue(gg, c.x, c.zbar), 0) / cdnow.length;
    expect(mean).toBeCloseTo(35.2529588256, 4);
    const repeat = cdnow.filter((c) => c.x > 0);
    expect(repeat.reduce((s, c) => s + c.zbar, 0) / repeat.length).toBeCloseTo(35.078551797, 6);
  });

  test('is the population mean pγ/(q−1) for x = 0 and lies between it and m_x otherwise, nearer m_x as x grows', () => {
    const population = (gg.p * gg.gamma) / (gg.q - 1);
    expect(expectedAverageValue(gg, 0, 123)).toBeCloseTo(population, 12);
    let previousGap = Infinity;
    for (const x of [1, 2, 5, 20, 100]) {
      const e = expectedAverageValue(gg, x, 100);
      expect(e).toBeGreaterThan(population);
      expect(e).toBeLessThan(100);
      expect(100 - e).toBeLessThan(previousGap);
      previousGap = 100 - e;
    }
  });

  test('refuses parameters with an infinite mean (q ≤ 1 for x = 0)', () => {
    expect(() => expectedAverageValue({ p: 2, q: 0.8, gamma: 10 }, 0, 0)).toThrow(/infinite/);
    expect(expectedAverageValue({ p: 2, q: 0.8, gamma: 10 }, 1, 50)).toBeCloseTo((2 * (10 + 50)) / (2 + 0.8 - 1), 12);
  });
});

describe('CLV', () => {
  const bgnbd = fitBgNbd(groupBgNbdSummaries(cdnow));
  const byId = new Map(cdnow.map((c) => [c.id, c]));

  test('the lifetimes README customer_lifetime_value figures (12 periods, 1% per period, 30-unit periods)', () => {
    // lifetimes' customer_lifetime_value (time=12, discount_rate=0.01) stepped in 30-unit periods — 30 days by its
    // convention, 30 weeks on this weekly data — summing E[M]·(E[Y(30i)] − E[Y(30(i−1))]) / 1.01^i: the same discrete
    // sum as ours with periodLength 30.
    for (const [id, expected] of [
      [1, 140.096211],
      [2, 18.943467],
      [3, 38.180574],
      [6, 1003.868107],
      [7, 28.109683],
      [9, 167.418216],
    ] as const) {
      const c = byId.get(id)!;
      const value = clv(bgnbd, gg, c.x, c.tx, c.T, c.zbar, { horizonPeriods: 12, discountRatePerPeriod: 0.01, periodLength: 30 });
      expect(Math.abs(value / expected - 1)).toBeLessThan(1e-5);
    }
  });

  test('without discounting it telescopes to E[M] · E[Y(H·L)]', () => {
    const c = byId.get(6)!;
    const value = clv(bgnbd, gg, c.x, c.tx, c.T, c.zbar, { horizonPeriods: 12, discountRatePerPeriod: 0, periodLength: 52 / 12 });
    expect(value).toBeCloseTo(expectedAverageValue(gg, c.x, c.zbar) * expectedPurchases(bgnbd, 52, c.x, c.tx, c.T), 9);
  });

  test('is 0 over no periods, grows with the horizon and falls with the discount rate', () => {
    const c = byId.get(1)!;
    const at = (horizonPeriods: number, discountRatePerPeriod: number): number => clv(bgnbd, gg, c.x, c.tx, c.T, c.zbar, { horizonPeriods, discountRatePerPeriod });
    expect(at(0, 0.01)).toBe(0);
    expect(at(52, 0.01)).toBeGreaterThan(at(26, 0.01));
    expect(at(52, 0.02)).toBeLessThan(at(52, 0.01));
    expect(at(52, 0.01)).toBeLessThan(at(52, 0));
  });

  test('a customer who stopped buying long ago is worth less than one with the same history who just bought', () => {
    const options = { horizonPeriods: 52, discountRatePerPeriod: 0.002 };
    expect(clv(bgnbd, gg, 10, 5, 38, 40, options)).toBeLessThan(clv(bgnbd, gg, 10, 37, 38, 40, options));
  });

  test('invalid options are refused', () => {
    expect(() => clv(bgnbd, gg, 1, 1, 2, 10, { horizonPeriods: 1.5, discountRatePerPeriod: 0 })).toThrow(/horizonPeriods/);
    expect(() => clv(bgnbd, gg, 1, 1, 2, 10, { horizonPeriods: 1, discountRatePerPeriod: -1 })).toThrow(/discountRatePerPeriod/);
    expect(() => clv(bgnbd, gg, 1, 1, 2, 10, { horizonPeriods: 1, discountRatePerPeriod: 0, periodLength: 0 })).toThrow(/periodLength/);
  });
});
