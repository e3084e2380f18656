import { describe, expect, test } from 'vitest';
import { hyp2f1, hyp2f1MinusOneOverB } from '../../segments/models/hyp2f1.js';
import { lnBeta, lnGamma } from '../../segments/models/ln-gamma.js';
import { nelderMead } from '../../segments/models/nelder-mead.js';

describe('lnGamma', () => {
  test('factorials and Γ(½) = √π', () => {
    let lnFactorial = 0;
    for (let n = 1; n <= 170; n++) {
      expect(Math.abs(lnGamma(n) - lnFactorial)).toBeLessThan(1e-12 * Math.max(1, lnFactorial));
      lnFactorial += Math.log(n);
    }
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    expect(lnGamma(1)).toBeCloseTo(0, 14);
    expect(lnGamma(2)).toBeCloseTo(0, 14);
  });

  test('recurrence ln Γ(x+1) − ln Γ(x) = ln x, small arguments included (reflection branch)', () => {
    for (const x of [1e-8, 1e-3, 0.1, 0.243, 0.4999, 0.5, 0.793, 1.5, 2.426, 7.3, 55.5, 1234.5]) {
      expect(Math.abs(lnGamma(x + 1) - lnGamma(x) - Math.log(x))).toBeLessThan(1e-12 * Math.max(1, Math.abs(lnGamma(x))));
    }
  });

  test('Stirling series for a large argument; ln B(a, b) = ln(1/(a·…)) on small integers', () => {
    const x = 1e6;
    const stirling = (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3);
    expect(Math.abs(lnGamma(x) / stirling - 1)).toBeLessThan(1e-14);
    expect(lnBeta(2, 3)).toBeCloseTo(Math.log(1 / 12), 14); // B(2,3) = 1!·2!/4! = 1/12
  });

  test('refuses x ≤ 0', () => {
    expect(() => lnGamma(0)).toThrow(RangeError);
    expect(() => lnGamma(-1.5)).toThrow(RangeError);
  });
});

describe('hyp2f1', () => {
  test('closed forms (A&S 15.1.3–15.1.8): −ln(1−z)/z, (1−z)^−a, arcsin', () => {
    for (const z of [0, 0.1, 0.5, 0.9, 0.99, -0.5]) {
      expect(hyp2f1(1.7, 2.2, 2.2, z)).toBeCloseTo((1 - z) ** -1.7, 10);
      if (z !== 0) expect(hyp2f1(1, 1, 2, z)).toBeCloseTo(-Math.log(1 - z) / z, 10);
    }
    for (const s of [0.2, 0.6, 0.95]) expect(hyp2f1(0.5, 0.5, 1.5, s * s)).toBeCloseTo(Math.asin(s) / s, 10);
  });

  test('terminating series (a a negative integer) is a polynomial', () => {
    // ₂F₁(−2, b; c; z) = 1 − 2bz/c + b(b+1)z²/(c(c+1))
    const b = 1.3;
    const c = 2.7;
    const z = 0.6;
    expect(hyp2f1(-2, b, c, z)).toBeCloseTo(1 - (2 * b * z) / c + (b * (b + 1) * z * z) / (c * (c + 1)), 14);
  });

  test('(₂F₁ − 1)/b: agrees with hyp2f1 and has the right limit at b = 0', () => {
    expect(hyp2f1MinusOneOverB(1.2, 0.7, 3.1, 0.45)).toBeCloseTo((hyp2f1(1.2, 0.7, 3.1, 0.45) - 1) / 0.7, 12);
    for (const z of [0.1, 0.5, 0.9]) expect(hyp2f1MinusOneOverB(2.5, 0, 2.5, z)).toBeCloseTo(-Math.log(1 - z), 12);
  });

  test('refuses |z| ≥ 1 and c a non-positive integer', () => {
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(/\|z\| < 1/);
    expect(() => hyp2f1(1, 1, -2, 0.5)).toThrow(/non-positive integer/);
  });
});

describe('nelderMead', () => {
  test('finds the minimum of the Rosenbrock function from the classic start (−1.2, 1)', () => {
    const rosenbrock = (v: readonly number[]): number => 100 * (v[1]! - v[0]! ** 2) ** 2 + (1 - v[0]!) ** 2;
    const result = nelderMead(rosenbrock, [-1.2, 1], { initialStep: 0.5 });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 5);
    expect(result.x[1]).toBeCloseTo(1, 5);
  });

  test('a shifted quadratic in 4 dimensions; non-finite values act as a barrier', () => {
    const target = [3, -1, 0.5, 10];
    const f = (v: readonly number[]): number => (v[2]! < 0 ? Number.NaN : v.reduce((s, x, i) => s + (i + 1) * (x - target[i]!) ** 2, 0));
    const result = nelderMead(f, [0, 0, 1, 0]);
    expect(result.converged).toBe(true);
    result.x.forEach((x, i) => expect(x).toBeCloseTo(target[i]!, 5));
  });

  test('reports non-convergence when the budget is too small', () => {
    const result = nelderMead((v) => (v[0]! - 5) ** 2 + (v[1]! + 2) ** 2, [0, 0], { maxIterations: 5 });
    expect(result.converged).toBe(false);
  });
});
