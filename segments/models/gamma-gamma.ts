// Gamma-Gamma model of the average value of a customer's transactions, and a discounted CLV built on it and
// on the BG/NBD. Pure: no I/O.
//
// Sources:
//   - P. S. Fader, B. G. S. Hardie & K. L. Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer
//     Base Analysis", Journal of Marketing Research 42(4), 415–430, the section adding monetary value
//     (cited as FHL-RFM);
//   - P. S. Fader & B. G. S. Hardie (2013), "The Gamma-Gamma Model of Monetary Value", note at
//     brucehardie.com/notes/025/ (cited as FH-GG), which sets out the likelihood below.
//
// Model (FH-GG): the values z₁ … z_x of a customer's x (repeat) transactions are i.i.d. Gamma(p, ν) around
// the customer's mean p/ν; ν varies across customers as Gamma(q, γ). The customer's average
// m_x = (z₁ + … + z_x)/x is then Gamma(px, νx), and integrating ν out gives the density of m_x:
//
//   f(m_x | p, q, γ; x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q · m_x^(px−1) · x^(px) / (γ + x m_x)^(px+q),
//
//   ln f = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m_x + px ln x − (px+q) ln(γ + x m_x).
//
// Fitted on repeat customers only (x > 0; FHL-RFM use the 946 CDNOW customers with a repeat purchase and
// m_x = their mean repeat-transaction value): rows with x = 0 carry no spend information and are ignored.
// The model assumes spend is independent of the transaction process (FHL-RFM), which is what lets CLV be the
// product of an expected value per transaction and the expected (discounted) number of transactions.
//
// Estimation: maximum likelihood by Nelder–Mead (nelder-mead.ts) on ln(p, q, γ). Objective, as in `lifetimes`
// (GammaGammaFitter): −(1/N) Σ count · ln f + λ (p² + q² + γ²), N = Σ count over the rows with x > 0,
// λ = `penalizer` (default 0). The log-likelihood reported is the unpenalised Σ count · ln f.

import { expectedPurchases, type BgNbdParams } from './bg-nbd.js';
import { lnGamma } from './ln-gamma.js';
import { fitPositiveParameters } from './positive-mle.js';

export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

/** Identical spend summaries grouped: `count` customers with x repeat transactions of mean value mx. */
export interface GammaGammaSummary {
  x: number;
  mx: number;
  count: number;
}

export interface GammaGammaFit extends GammaGammaParams {
  /** Σ count · ln f(m_x | p, q, γ; x) over the rows with x > 0, at the estimate (unpenalised). */
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

export interface GammaGammaFitOptions {
  /** λ ≥ 0 in the objective −(1/N) Σ count·ln f + λ(p² + q² + γ²). Default 0. */
  penalizer?: number;
  /** Starting point. Default p = 1, q = 2, γ = the mean of m_x (so the implied population mean pγ/(q−1) is the sample mean). */
  initialParams?: GammaGammaParams;
  /** Nelder–Mead iteration budget over all restarts. Default 20,000. */
  maxIterations?: number;
}

export interface ClvOptions {
  /** Number of periods H summed over (a non-negative integer). */
  horizonPeriods: number;
  /** Discount rate d per period; the cash flow of period i is divided by (1 + d)^i. */
  discountRatePerPeriod: number;
  /** Length of one period in the BG/NBD time unit (e.g. 52/12 for months when the fit is in weeks). Default 1. */
  periodLength?: number;
}


function checkParams(p: GammaGammaParams): void {
  for (const [name, v] of [['p', p.p], ['q', p.q], ['gamma', p.gamma]] as const) {
    if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`Gamma-Gamma: parameter ${name} must be positive and finite, got ${v}`);
  }
}

interface PreparedSpend {
  x: Float64Array;
  lnMx: Float64Array;
  mx: Float64Array;
  lnX: Float64Array;
  count: Float64Array;
  xIndex: Int32Array;
  distinctX: number[];
  total: number;
}

function prepare(summaries: readonly GammaGammaSummary[]): PreparedSpend {
  const rows = summaries.filter((s) => {
    if (!Number.isFinite(s.x) || s.x < 0) throw new RangeError(`Gamma-Gamma: x must be finite and ≥ 0, got ${s.x}`);
    if (!Number.isFinite(s.count) || s.count < 0) throw new RangeError(`Gamma-Gamma: count must be finite and ≥ 0, got ${s.count}`);
    if (s.x === 0 || s.count === 0) return false;
    if (!Number.isFinite(s.mx) || !(s.mx > 0)) throw new RangeError(`Gamma-Gamma: mx must be positive for x > 0 (the model is for positive spend), got ${s.mx}`);
    return true;
  });
  const n = rows.length;
  const d: PreparedSpend = {
    x: new Float64Array(n),
    lnMx: new Float64Array(n),
    mx: new Float64Array(n),
    lnX: new Float64Array(n),
    count: new Float64Array(n),
    xIndex: new Int32Array(n),
    distinctX: [],
    total: 0,
  };
  const index = new Map<number, number>();
  rows.forEach((s, i) => {
    d.x[i] = s.x;
    d.mx[i] = s.mx;
    d.lnMx[i] = Math.log(s.mx);
    d.lnX[i] = Math.log(s.x);
    d.count[i] = s.count;
    d.total += s.count;
    let k = index.get(s.x);
    if (k === undefined) {
      k = d.distinctX.length;
      index.set(s.x, k);
      d.distinctX.push(s.x);
    }
    d.xIndex[i] = k;
  });
  return d;
}

/** Σ count · ln f(m_x | p, q, γ; x) (FH-GG; formula at the top of this file). */
function logLikelihoodPrepared(params: GammaGammaParams, d: PreparedSpend): number {
  const { p, q, gamma } = params;
  const constant = q * Math.log(gamma) - lnGamma(q);
  // ln Γ(px+q) − ln Γ(px), per distinct x
  const perX = d.distinctX.map((x) => lnGamma(p * x + q) - lnGamma(p * x));
  let sum = 0;
  for (let i = 0; i < d.x.length; i++) {
    const x = d.x[i]!;
    const px = p * x;
    const ll = perX[d.xIndex[i]!]! + constant + (px - 1) * d.lnMx[i]! + px * d.lnX[i]! - (px + q) * Math.log(gamma + x * d.mx[i]!);
    sum += d.count[i]! * ll;
  }
  return sum;
}

/** The Gamma-Gamma sample log-likelihood Σ count · ln f(m_x | p, q, γ; x) over rows with x > 0. */
export function gammaGammaLogLikelihood(params: GammaGammaParams, summaries: readonly GammaGammaSummary[]): number {
  checkParams(params);
  return logLikelihoodPrepared(params, prepare(summaries));
}

/**
 * Maximum-likelihood (optionally L2-penalised) Gamma-Gamma fit on grouped spend summaries of repeat
 * customers. Rows with x = 0 are ignored; rows with x > 0 need mx > 0. Throws a RangeError when no row with
 * x > 0 and a positive count remains.
 */
export function fitGammaGamma(summaries: readonly GammaGammaSummary[], opts: GammaGammaFitOptions = {}): GammaGammaFit {
  const data = prepare(summaries);
  if (data.total <= 0) throw new RangeError('fitGammaGamma: no repeat customers (x > 0) to fit');
  let meanMx = 0;
  for (let i = 0; i < data.mx.length; i++) meanMx += (data.count[i]! * data.mx[i]!) / data.total;
  const start = opts.initialParams ?? { p: 1, q: 2, gamma: meanMx };
  checkParams(start);
  const fit = fitPositiveParameters<GammaGammaParams>('fitGammaGamma', ['p', 'q', 'gamma'], start, (g) => logLikelihoodPrepared(g, data), data.total, opts);
  return { ...fit.params, logLikelihood: fit.logLikelihood, iterations: fit.iterations, converged: fit.converged };
}

/**
 * E[M | p, q, γ, m_x, x]: expected value of a customer's future transactions given x past (repeat)
 * transactions of mean m_x (FHL-RFM; FH-GG):
 *
 *   E[M | p, q, γ, m_x, x] = p (γ + x m_x) / (px + q − 1)
 *                          = (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · m_x,
 *
 * a weighted mean of the population mean pγ/(q−1) and the customer's own mean, the weight on m_x growing
 * with x. For x = 0 it is the population mean (m_x is then ignored). Needs px + q > 1 (for x = 0: q > 1,
 * otherwise the population mean is infinite); throws a RangeError otherwise.
 */
export function expectedAverageValue(params: GammaGammaParams, x: number, mx: number): number {
  checkParams(params);
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`expectedAverageValue: x must be finite and ≥ 0, got ${x}`);
  if (x > 0 && !Number.isFinite(mx)) throw new RangeError(`expectedAverageValue: mx must be finite, got ${mx}`);
  const { p, q, gamma } = params;
  const denominator = p * x + q - 1;
  if (!(denominator > 0)) throw new RangeError(`expectedAverageValue: px + q − 1 must be positive (the expectation is infinite), got ${denominator}`);
  return (p * (gamma + (x > 0 ? x * mx : 0))) / denominator;
}

/**
 * Discounted customer lifetime value over a finite horizon, in discrete time:
 *
 *   CLV ≈ Σ_{i=1..H} E[M | x, m_x] · (E[Y(iL) | x, t_x, T] − E[Y((i−1)L) | x, t_x, T]) / (1 + d)^i
 *
 * where E[M | x, m_x] is expectedAverageValue (Gamma-Gamma), E[Y(t) | …] the BG/NBD conditional expectation
 * (FHL eq. 10, bg-nbd.ts), so the difference is the expected number of purchases in period i, L the period
 * length in the BG/NBD time unit, d the discount rate per period, and each period's cash flow is discounted
 * as if received at the end of the period.
 *
 * Source: FHL-RFM define CLV as E[M] × DET, the "discounted expected transactions", an integral of the
 * expected transaction rate against a continuous discount factor (they give it in closed form for the
 * Pareto/NBD), valid because spend is independent of the transaction process. The sum above is its
 * discrete-time counterpart — the period-by-period discounted-cash-flow approximation implemented by the
 * `lifetimes` package (`customer_lifetime_value`, with cash flows at the end of each period) — and converges
 * to the finite-horizon DET as L → 0 with (1 + d)^(1/L) held fixed. No value is counted beyond H periods.
 */
export function clv(bgnbd: BgNbdParams, gg: GammaGammaParams, x: number, tx: number, T: number, mx: number, options: ClvOptions): number {
  const { horizonPeriods, discountRatePerPeriod } = options;
  const periodLength = options.periodLength ?? 1;
  if (!Number.isInteger(horizonPeriods) || horizonPeriods < 0) throw new RangeError(`clv: horizonPeriods must be a non-negative integer, got ${horizonPeriods}`);
  if (!Number.isFinite(discountRatePerPeriod) || discountRatePerPeriod <= -1) throw new RangeError(`clv: discountRatePerPeriod must be > −1, got ${discountRatePerPeriod}`);
  if (!Number.isFinite(periodLength) || !(periodLength > 0)) throw new RangeError(`clv: periodLength must be positive, got ${periodLength}`);
  const value = expectedAverageValue(gg, x, mx);
  let total = 0;
  let previous = expectedPurchases(bgnbd, 0, x, tx, T);
  for (let i = 1; i <= horizonPeriods; i++) {
    const cumulative = expectedPurchases(bgnbd, i * periodLength, x, tx, T);
    total += (value * (cumulative - previous)) / Math.pow(1 + discountRatePerPeriod, i);
    previous = cumulative;
  }
  return total;
}
