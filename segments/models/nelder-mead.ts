// Derivative-free minimisation by the Nelder–Mead simplex method, with restarts. Pure: no I/O.
//
// Method: J. A. Nelder & R. Mead, "A Simplex Method for Function Minimization", The Computer Journal 7
// (1965) 308–313, in the form stated by J. C. Lagarias, J. A. Reeds, M. H. Wright & P. E. Wright,
// "Convergence Properties of the Nelder–Mead Simplex Method in Low Dimensions", SIAM J. Optim. 9 (1998)
// 112–147, with the standard coefficients: reflection ρ = 1, expansion χ = 2, contraction γ = ½, shrink σ = ½.
// For the simplex x₀ … x_n ordered by f (best first) and centroid x̄ of the n best points:
//
//   reflect  x_r = x̄ + ρ (x̄ − x_n);           accept if f(x₀) ≤ f(x_r) < f(x_{n−1})
//   expand   x_e = x̄ + χ (x_r − x̄)  if f(x_r) < f(x₀); keep the better of x_e, x_r
//   outside  x_c = x̄ + γ (x_r − x̄)  if f(x_{n−1}) ≤ f(x_r) < f(x_n); accept if f(x_c) ≤ f(x_r)
//   inside   x_cc = x̄ − γ (x̄ − x_n) if f(x_r) ≥ f(x_n);               accept if f(x_cc) < f(x_n)
//   shrink   x_i = x₀ + σ (x_i − x₀), i ≥ 1, when a contraction fails.
//
// A run stops when both the spread of f over the simplex and the largest coordinate distance from the best
// vertex fall below their tolerances. Nelder–Mead can stall on a non-stationary point, so the run is
// restarted from its best point with a fresh simplex of the initial size until a restart improves f by no
// more than the f tolerance (the remedy recommended by e.g. Press et al., "Numerical Recipes", 3rd ed., §10.5).
// Non-finite values of f (NaN, ±∞) are treated as +∞, which lets callers express bounds.

export interface NelderMeadOptions {
  /** Edge length of the initial simplex along each coordinate (one number for all, or one per coordinate). Default 1. */
  initialStep?: number | readonly number[];
  /** Iterations allowed over all runs together. Default 20,000. */
  maxIterations?: number;
  /** A run has converged when max f − min f over the simplex ≤ this. Default 1e−10. */
  fTolerance?: number;
  /** … and every vertex is within this distance (per coordinate) of the best one. Default 1e−7. */
  xTolerance?: number;
  /** Restarts after the first run. Default 10. */
  maxRestarts?: number;
}

export interface NelderMeadResult {
  x: number[];
  value: number;
  /** Nelder–Mead iterations over all runs. */
  iterations: number;
  /** Restarts performed after the first run. */
  restarts: number;
  /** The last run met both tolerances and the last restart improved f by no more than the f tolerance. */
  converged: boolean;
}

interface RunResult {
  x: number[];
  value: number;
  iterations: number;
  converged: boolean;
}

function evaluate(f: (x: readonly number[]) => number, x: readonly number[]): number {
  const v = f(x);
  return Number.isNaN(v) ? Infinity : v === -Infinity ? Infinity : v;
}

function run(f: (x: readonly number[]) => number, x0: readonly number[], steps: readonly number[], maxIterations: number, fTol: number, xTol: number): RunResult {
  const n = x0.length;
  const simplex: number[][] = [x0.slice()];
  for (let i = 0; i < n; i++) {
    const v = x0.slice();
    v[i] = v[i]! + steps[i]!;
    simplex.push(v);
  }
  let values = simplex.map((v) => evaluate(f, v));
  const order = (): void => {
    const idx = values.map((_, i) => i).sort((i, j) => values[i]! - values[j]!);
    const s = idx.map((i) => simplex[i]!);
    const v = idx.map((i) => values[i]!);
    for (let i = 0; i <= n; i++) simplex[i] = s[i]!;
    values = v;
  };
  const point = (from: readonly number[], towards: readonly number[], coefficient: number): number[] => from.map((c, j) => c + coefficient * (towards[j]! - c));

  let iterations = 0;
  order();
  while (iterations < maxIterations) {
    const best = simplex[0]!;
    let spreadX = 0;
    for (let i = 1; i <= n; i++) for (let j = 0; j < n; j++) spreadX = Math.max(spreadX, Math.abs(simplex[i]![j]! - best[j]!));
    if (values[n]! - values[0]! <= fTol && spreadX <= xTol) return { x: best.slice(), value: values[0]!, iterations, converged: true };
    iterations++;

    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j]! += simplex[i]![j]! / n;
    const worst = simplex[n]!;
    // x_r = x̄ + ρ(x̄ − x_n) = x̄ − (x_n − x̄)
    const xr = point(centroid, worst, -1);
    const fr = evaluate(f, xr);
    if (fr < values[0]!) {
      const xe = point(centroid, worst, -2);
      const fe = evaluate(f, xe);
      if (fe < fr) {
        simplex[n] = xe;
        values[n] = fe;
      } else {
        simplex[n] = xr;
        values[n] = fr;
      }
    } else if (fr < values[n - 1]!) {
      simplex[n] = xr;
      values[n] = fr;
    } else {
      let accepted = false;
      if (fr < values[n]!) {
        const xc = point(centroid, xr, 0.5);
        const fc = evaluate(f, xc);
        if (fc <= fr) {
          simplex[n] = xc;
          values[n] = fc;
          accepted = true;
        }
      } else {
        const xcc = point(centroid, worst, 0.5);
        const fcc = evaluate(f, xcc);
        if (fcc < values[n]!) {
          simplex[n] = xcc;
          values[n] = fcc;
          accepted = true;
        }
      }
      if (!accepted) {
        for (let i = 1; i <= n; i++) {
          simplex[i] = point(simplex[0]!, simplex[i]!, 0.5);
          values[i] = evaluate(f, simplex[i]!);
        }
      }
    }
    order();
  }
  return { x: simplex[0]!.slice(), value: values[0]!, iterations, converged: false };
}

/** Minimises f from x0 by Nelder–Mead with restarts (see the notes at the top of this file). */
export function nelderMead(f: (x: readonly number[]) => number, x0: readonly number[], options: NelderMeadOptions = {}): NelderMeadResult {
  const n = x0.length;
  if (n === 0) throw new RangeError('nelderMead: x0 must have at least one coordinate');
  if (!x0.every(Number.isFinite)) throw new RangeError('nelderMead: x0 must be finite');
  const step = options.initialStep ?? 1;
  const steps = typeof step === 'number' ? new Array<number>(n).fill(step) : step.slice();
  if (steps.length !== n || !steps.every((s) => Number.isFinite(s) && s !== 0)) throw new RangeError('nelderMead: initialStep must be non-zero and finite, one per coordinate');
  const maxIterations = options.maxIterations ?? 20_000;
  const fTol = options.fTolerance ?? 1e-10;
  const xTol = options.xTolerance ?? 1e-7;
  const maxRestarts = options.maxRestarts ?? 10;

  let result = run(f, x0, steps, maxIterations, fTol, xTol);
  let iterations = result.iterations;
  let restarts = 0;
  let settled = false;
  while (result.converged && restarts < maxRestarts && iterations < maxIterations) {
    const next = run(f, result.x, steps, maxIterations - iterations, fTol, xTol);
    iterations += next.iterations;
    restarts++;
    const improvement = result.value - next.value;
    if (next.value <= result.value) result = next;
    else result = { ...result, converged: next.converged };
    if (improvement <= fTol) {
      settled = true;
      break;
    }
  }
  return { x: result.x, value: result.value, iterations, restarts, converged: result.converged && (settled || maxRestarts === 0) };
}
