// BG/NBD ("beta-geometric / negative binomial distribution") model of repeat purchasing in a
// non-contractual setting: fit by maximum likelihood, P(alive), expected purchases. Pure: no I/O.
//
// Source: P. S. Fader, B. G. S. Hardie & K. L. Lee (2005), "'Counting Your Customers' the Easy Way: An
// Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275–284 — cited below as FHL, with their
// equation numbers. Notation: a customer's history is summarised by (x, t_x, T): x repeat purchases (after
// the first), the time t_x of the last one and the time T since the first purchase, all measured from the
// first purchase in one time unit (weeks for CDNOW). Model:
//   - while alive, purchases follow a Poisson process with rate λ; λ ~ Gamma(r, α) across customers;
//   - after any purchase the customer becomes inactive ("dies") with probability p; p ~ Beta(a, b).
//
// Likelihood of one customer (FHL eq. 6):
//
//   L(r, α, a, b | x, t_x, T) = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
//                               + δ_{x>0} · B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x)).
//
// In logs (the form in Fader & Hardie's Excel note "Implementing the BG/NBD Model for Customer Base Analysis
// in Excel", 2005, and in the `lifetimes` package), with B(a+1, b+x−1)/B(a, b+x) = a / (b+x−1):
//
//   ln L = A₁ + A₂ + ln(e^{A₃} + δ_{x>0} e^{A₄})
//   A₁ = ln Γ(r+x) − ln Γ(r) + r ln α
//   A₂ = ln Γ(a+b) + ln Γ(b+x) − ln Γ(b) − ln Γ(a+b+x)
//   A₃ = −(r+x) ln(α+T)
//   A₄ = ln a − ln(b+x−1) − (r+x) ln(α+t_x)          (x > 0 only; for x = 0 the second term is absent)
//
// The log of the sum is taken as max + log1p(exp(min − max)), which never overflows. The sample
// log-likelihood is Σ count · ln L over the grouped summaries, so customers with identical (x, t_x, T) cost one
// evaluation. A₁ and A₂ depend on x only and are computed once per distinct x.
//
// Estimation: maximum likelihood (as in FHL) by Nelder–Mead (nelder-mead.ts) on θ = ln(r, α, a, b), which keeps
// the parameters positive without constraints. Objective, as in `lifetimes` (BetaGeoFitter) so penalised
// fits are comparable:  −(1/N) Σ count · ln L + λ (r² + α² + a² + b²),  N = Σ count, λ = `penalizer` (L2 on
// the parameters, default 0 = plain maximum likelihood). The log-likelihood reported is the unpenalised
// Σ count · ln L at the estimate.

import { hyp2f1MinusOneOverB } from './hyp2f1.js';
import { lnGamma } from './ln-gamma.js';
import { fitPositiveParameters } from './positive-mle.js';

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** Identical customer summaries grouped: `count` customers had x repeat purchases, the last at t_x, T after the first. */
export interface BgNbdSummary {
  x: number;
  tx: number;
  T: number;
  count: number;
}

export interface BgNbdFit extends BgNbdParams {
  /** Σ count · ln L at the estimate (unpenalised). */
  logLikelihood: number;
  /** Nelder–Mead iterations, all restarts included. */
  iterations: number;
  /**
   * The optimiser met its tolerances, a restart no longer improved the objective, and no parameter ran off to
   * the edge of the parameter space (|ln θ| > 20, e.g. when the data do not identify the model). The other
   * fields are the best point found either way.
   */
  converged: boolean;
}

export interface BgNbdFitOptions {
  /** λ ≥ 0 in the objective −(1/N) Σ count·ln L + λ(r² + α² + a² + b²). Default 0. */
  penalizer?: number;
  /** Starting point. Default r = 1, α = the customers' mean T (1 if that is 0), a = 1, b = 1. */
  initialParams?: BgNbdParams;
  /** Nelder–Mead iteration budget over all restarts. Default 20,000. */
  maxIterations?: number;
}


function checkParams(p: BgNbdParams): void {
  for (const [name, v] of [['r', p.r], ['alpha', p.alpha], ['a', p.a], ['b', p.b]] as const) {
    if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`BG/NBD: parameter ${name} must be positive and finite, got ${v}`);
  }
}

function checkHistory(x: number, tx: number, T: number): void {
  if (!Number.isInteger(x) || x < 0) throw new RangeError(`BG/NBD: x must be a non-negative integer, got ${x}`);
  if (!Number.isFinite(T) || T < 0) throw new RangeError(`BG/NBD: T must be finite and ≥ 0, got ${T}`);
  if (!Number.isFinite(tx) || tx < 0 || tx > T) throw new RangeError(`BG/NBD: t_x must be within [0, T], got t_x=${tx}, T=${T}`);
}

/** ln(e^u + e^v) without overflow. */
function logAddExp(u: number, v: number): number {
  const hi = Math.max(u, v);
  if (hi === -Infinity) return -Infinity;
  return hi + Math.log1p(Math.exp(Math.min(u, v) - hi));
}

interface PreparedData {
  x: Float64Array;
  T: Float64Array;
  count: Float64Array;
  /** Index of each row's x in `distinctX`. */
  xIndex: Int32Array;
  distinctX: number[];
  /** Index of each row's T and t_x in `distinctTimes`: ln(α + t) is then computed once per distinct time. */
  TIndex: Int32Array;
  txIndex: Int32Array;
  distinctTimes: number[];
  total: number;
}

function prepare(summaries: readonly BgNbdSummary[]): PreparedData {
  const rows = summaries.filter((s) => {
    checkHistory(s.x, s.tx, s.T);
    if (!Number.isFinite(s.count) || s.count < 0) throw new RangeError(`BG/NBD: count must be finite and ≥ 0, got ${s.count}`);
    return s.count > 0;
  });
  const n = rows.length;
  const data: PreparedData = {
    x: new Float64Array(n),
    T: new Float64Array(n),
    count: new Float64Array(n),
    xIndex: new Int32Array(n),
    distinctX: [],
    TIndex: new Int32Array(n),
    txIndex: new Int32Array(n),
    distinctTimes: [],
    total: 0,
  };
  const index = new Map<number, number>();
  const timeIndex = new Map<number, number>();
  const time = (t: number): number => {
    let k = timeIndex.get(t);
    if (k === undefined) {
      k = data.distinctTimes.length;
      timeIndex.set(t, k);
      data.distinctTimes.push(t);
    }
    return k;
  };
  rows.forEach((s, i) => {
    data.x[i] = s.x;
    data.T[i] = s.T;
    data.count[i] = s.count;
    data.total += s.count;
    let k = index.get(s.x);
    if (k === undefined) {
      k = data.distinctX.length;
      index.set(s.x, k);
      data.distinctX.push(s.x);
    }
    data.xIndex[i] = k;
    data.TIndex[i] = time(s.T);
    data.txIndex[i] = time(s.tx);
  });
  return data;
}

/** Σ count · ln L(r, α, a, b | x, t_x, T) (FHL eq. 6, log form above). */
function logLikelihoodPrepared(p: BgNbdParams, d: PreparedData): number {
  const { r, alpha, a, b } = p;
  const lnGammaR = lnGamma(r);
  const lnGammaB = lnGamma(b);
  const lnGammaAB = lnGamma(a + b);
  const lnA = Math.log(a);
  const rLnAlpha = r * Math.log(alpha);
  // A₁ + A₂ and ln a − ln(b+x−1), per distinct x
  const a12 = d.distinctX.map((x) => lnGamma(r + x) - lnGammaR + rLnAlpha + lnGammaAB + lnGamma(b + x) - lnGammaB - lnGamma(a + b + x));
  const a4Const = d.distinctX.map((x) => (x > 0 ? lnA - Math.log(b + x - 1) : -Infinity));
  // Summaries by day share few distinct T and t_x values (days / 7): their logs are taken once per evaluation.
  const lnAlphaPlus = d.distinctTimes.map((t) => Math.log(alpha + t));
  let sum = 0;
  for (let i = 0; i < d.x.length; i++) {
    const x = d.x[i]!;
    const k = d.xIndex[i]!;
    const A3 = -(r + x) * lnAlphaPlus[d.TIndex[i]!]!;
    const ll = x > 0 ? a12[k]! + logAddExp(A3, a4Const[k]! - (r + x) * lnAlphaPlus[d.txIndex[i]!]!) : a12[k]! + A3;
    sum += d.count[i]! * ll;
  }
  return sum;
}

/** The BG/NBD sample log-likelihood Σ count · ln L(params | x, t_x, T) of grouped summaries (FHL eq. 6). */
export function bgNbdLogLikelihood(params: BgNbdParams, summaries: readonly BgNbdSummary[]): number {
  checkParams(params);
  return logLikelihoodPrepared(params, prepare(summaries));
}

/**
 * Maximum-likelihood (optionally L2-penalised) BG/NBD fit on grouped summaries. Throws a RangeError on
 * invalid rows (x not a non-negative integer, t_x outside [0, T], negative count) or when no row has a
 * positive count.
 */
export function fitBgNbd(summaries: readonly BgNbdSummary[], opts: BgNbdFitOptions = {}): BgNbdFit {
  const data = prepare(summaries);
  if (data.total <= 0) throw new RangeError('fitBgNbd: no customers (every count is 0 or the input is empty)');
  let meanT = 0;
  for (let i = 0; i < data.T.length; i++) meanT += (data.count[i]! * data.T[i]!) / data.total;
  const start = opts.initialParams ?? { r: 1, alpha: meanT > 0 ? meanT : 1, a: 1, b: 1 };
  checkParams(start);
  const fit = fitPositiveParameters<BgNbdParams>('fitBgNbd', ['r', 'alpha', 'a', 'b'], start, (p) => logLikelihoodPrepared(p, data), data.total, opts);
  return { ...fit.params, logLikelihood: fit.logLikelihood, iterations: fit.iterations, converged: fit.converged };
}

/**
 * P(alive | x, t_x, T): the probability that a customer with this history is still active at T. It is the
 * reciprocal of the denominator of FHL eq. 10 (derived in their appendix) and is set out on its own in
 * Fader, Hardie & Lee's note "Computing P(alive) Using the BG/NBD Model" (2008):
 *
 *   P(alive | x, t_x, T) = 1 / (1 + δ_{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
 *
 * For x = 0 it is exactly 1: in the BG/NBD a customer can only drop out immediately after a purchase, so one
 * who has made no repeat purchase cannot have dropped out yet (a known property of the model; the MBG/NBD
 * of Batislam et al. 2007 changes it). Computed as a logistic function of the log odds, which is stable for
 * large x and long gaps.
 */
export function pAlive(params: BgNbdParams, x: number, tx: number, T: number): number {
  checkParams(params);
  checkHistory(x, tx, T);
  if (x === 0) return 1;
  const { r, alpha, a, b } = params;
  const logOdds = Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx));
  if (logOdds > 0) {
    const e = Math.exp(-logOdds);
    return e / (1 + e);
  }
  return 1 / (1 + Math.exp(logOdds));
}

/**
 * D = [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; z)] / (a − 1),  z = t / (α+T+t) ∈ [0, 1),
 * the bracket of FHL eq. 10 (and, with x = 0 and T = 0, of eq. 9) divided by (a − 1).
 *
 * Computed in a form without the removable singularity at a = 1 and without the cancellation of
 * "1 − (something close to 1)" for small t. Euler's transformation (Abramowitz & Stegun 15.3.3)
 * ₂F₁(A, B; C; z) = (1−z)^(C−A−B) ₂F₁(C−A, C−B; C; z), with A = r+x, B = b+x, C = a+b+x−1, gives
 *
 *   (1−z)^(r+x) ₂F₁(r+x, b+x; C; z) = u · ₂F₁(a+b−1−r, a−1; C; z),   u = (1−z)^(a−1),
 *
 * and ₂F₁(a+b−1−r, a−1; C; z) = 1 + (a−1) S with S = hyp2f1MinusOneOverB(a+b−1−r, a−1, C, z), so
 *
 *   D = (1 − u)/(a − 1) − u S = −expm1((a−1) ln(1−z))/(a−1) − u S,   ln(1−z) = −log1p(t/(α+T)),
 *
 * where the first term tends to −ln(1−z) as a → 1. Both series converge for z < 1 (hyp2f1.ts).
 */
function bracketOverAMinusOne(r: number, a: number, b: number, x: number, alphaPlusT: number, t: number): number {
  if (t === 0) return 0;
  const lnOneMinusZ = -Math.log1p(t / alphaPlusT);
  const z = t / (alphaPlusT + t);
  const e = a - 1;
  const first = e === 0 ? -lnOneMinusZ : -Math.expm1(e * lnOneMinusZ) / e;
  const u = Math.exp(e * lnOneMinusZ);
  return first - u * hyp2f1MinusOneOverB(a + b - 1 - r, e, a + b + x - 1, z);
}

/**
 * E[Y(t) | x, t_x, T]: expected number of purchases in the next t periods (the interval (T, T+t]) of a
 * customer with history (x, t_x, T) (FHL eq. 10):
 *
 *   E[Y(t) | x, t_x, T] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
 *                         / (1 + δ_{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))
 *                       = P(alive | x, t_x, T) · (a+b+x−1) · D      (D as in bracketOverAMinusOne).
 *
 * t is in the unit of the fit (weeks for CDNOW).
 */
export function expectedPurchases(params: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  checkParams(params);
  checkHistory(x, tx, T);
  if (!Number.isFinite(t) || t < 0) throw new RangeError(`expectedPurchases: t must be finite and ≥ 0, got ${t}`);
  const { r, alpha, a, b } = params;
  return pAlive(params, x, tx, T) * (a + b + x - 1) * bracketOverAMinusOne(r, a, b, x, alpha + T, t);
}

/**
 * E[X(t)]: expected number of repeat purchases in the first t periods after a randomly chosen customer's
 * first purchase (FHL eq. 9):
 *
 *   E[X(t) | r, α, a, b] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))].
 *
 * It is the conditional expectation above for a customer seen for no time at all (x = 0, T = 0).
 */
export function expectedPurchasesUnconditional(params: BgNbdParams, t: number): number {
  checkParams(params);
  if (!Number.isFinite(t) || t < 0) throw new RangeError(`expectedPurchasesUnconditional: t must be finite and ≥ 0, got ${t}`);
  const { r, alpha, a, b } = params;
  return (a + b - 1) * bracketOverAMinusOne(r, a, b, 0, alpha, t);
}
