import { nelderMead } from './nelder-mead.js';

/** ln θ is kept within ±LOG_BOUND (θ between ~1e−11 and ~7e10); outside, the objective is +∞. */
const LOG_BOUND = 25;
/**
 * An estimate with some |ln θ| > LOG_EDGE (θ outside ~[2e−9, 5e8]) has run off towards the edge of the parameter
 * space — the likelihood's supremum is not attained, e.g. when no customer made a repeat purchase — and is
 * reported as not converged.
 */
const LOG_EDGE = 20;

export interface MleOptions {
  /** L2 penalty on the parameters, added to the mean negative log-likelihood (default 0). */
  penalizer?: number;
  maxIterations?: number;
}

/**
 * Maximum-likelihood estimate of positive parameters: Nelder–Mead on their logarithms, minimising the mean
 * negative log-likelihood (per customer, so tolerances do not depend on the sample size) plus the penalty.
 * Shared by the BG/NBD and Gamma-Gamma fits.
 */
export function fitPositiveParameters<P extends { [K in keyof P]: number }>(
  label: string,
  names: readonly (keyof P & string)[],
  start: P,
  logLikelihood: (params: P) => number,
  customers: number,
  opts: MleOptions,
): { params: P; logLikelihood: number; iterations: number; converged: boolean } {
  const penalizer = opts.penalizer ?? 0;
  if (!Number.isFinite(penalizer) || penalizer < 0) throw new RangeError(`${label}: penalizer must be ≥ 0, got ${penalizer}`);
  const toParams = (theta: readonly number[]): P => Object.fromEntries(names.map((name, i) => [name, Math.exp(theta[i]!)])) as P;
  const objective = (theta: readonly number[]): number => {
    if (theta.some((v) => Math.abs(v) > LOG_BOUND)) return Infinity;
    const p = toParams(theta);
    const penalty = penalizer === 0 ? 0 : penalizer * names.reduce((sum, name) => sum + p[name]! * p[name]!, 0);
    return -logLikelihood(p) / customers + penalty;
  };
  const result = nelderMead(objective, names.map((name) => Math.log(start[name]!)), {
    initialStep: 1,
    maxIterations: opts.maxIterations ?? 20_000,
    fTolerance: 1e-12,
    xTolerance: 1e-8,
  });
  const params = toParams(result.x);
  const atEdge = result.x.some((v) => Math.abs(v) > LOG_EDGE);
  return {
    params,
    logLikelihood: logLikelihood(params),
    iterations: result.iterations,
    converged: result.converged && Number.isFinite(result.value) && !atEdge,
  };
}
