// Gaussian hypergeometric function ₂F₁(a, b; c; z) by its power series. Pure: no I/O.
//
// Definition (Abramowitz & Stegun, "Handbook of Mathematical Functions", 15.1.1; DLMF 15.2.1):
//
//   ₂F₁(a, b; c; z) = Σ_{n≥0} (a)_n (b)_n / ((c)_n n!) · zⁿ,     (q)_n = q (q+1) … (q+n−1), (q)_0 = 1,
//
// for c not a non-positive integer. Consecutive terms satisfy
//
//   t_{n+1} / t_n = (a + n)(b + n) / ((c + n)(n + 1)) · z,
//
// which tends to z, so the series converges (geometrically, at rate |z|) for |z| < 1. That is the range that
// arises in the BG/NBD expectations (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way",
// eq. 9 and 10): there z = t / (α + T + t) ∈ [0, 1) for t, α > 0 and T ≥ 0. We sum the series directly for
// −1 < z < 1 and refuse |z| ≥ 1 (no analytic continuation is needed by the models here).
//
// Stopping rule. Once the term ratio has settled below 1, the tail after term t_n is bounded by a geometric
// series: with ρ = max(|t_{n+1}/t_n|, |z|) < 1 (the ratio approaches |z| monotonically for large n, from above
// or from below), |Σ_{m>n} t_m| ≤ |t_n| ρ / (1 − ρ). We stop when that bound falls below 1e−16 of the running
// sum (after at least a few terms, and only after the ratio is below 1). The number of terms grows like
// ln(1e−16) / ln|z|: ~40 at z = 0.4, ~350 at z = 0.9, ~3,700 at z = 0.99; a hard cap of 10⁷ terms throws
// rather than return an unconverged value (z would have to be within ~4e−6 of 1).

const RELATIVE_TOLERANCE = 1e-16;
const MAX_TERMS = 10_000_000;

function checkArguments(name: string, a: number, b: number, c: number, z: number): void {
  if (![a, b, c, z].every(Number.isFinite)) throw new RangeError(`${name}: arguments must be finite (a=${a}, b=${b}, c=${c}, z=${z})`);
  if (!(Math.abs(z) < 1)) throw new RangeError(`${name}: the series needs |z| < 1, got z=${z}`);
  if (c <= 0 && Number.isInteger(c)) throw new RangeError(`${name}: c must not be a non-positive integer, got c=${c}`);
}

/** Σ_{n≥n0} t_n, where t_{n0} = first and t_{n+1} = t_n · ratio(n); the stopping rule is described above. */
function sumSeries(name: string, first: number, n0: number, ratio: (n: number) => number, z: number): number {
  let term = first;
  let sum = first;
  const absZ = Math.abs(z);
  for (let n = n0; n < n0 + MAX_TERMS; n++) {
    const q = ratio(n);
    term *= q;
    sum += term;
    if (term === 0) return sum; // terminating series (a or b a non-positive integer), or underflow
    const rho = Math.max(Math.abs(ratio(n + 1)), absZ);
    if (n - n0 >= 3 && rho < 1 && (Math.abs(term) * rho) / (1 - rho) <= RELATIVE_TOLERANCE * Math.abs(sum)) return sum;
  }
  throw new RangeError(`${name}: series did not converge in ${MAX_TERMS} terms (z=${z} is too close to 1)`);
}

/** ₂F₁(a, b; c; z) for −1 < z < 1 and c not a non-positive integer (A&S 15.1.1). */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  checkArguments('hyp2f1', a, b, c, z);
  if (z === 0) return 1;
  return sumSeries('hyp2f1', 1, 0, (n) => ((a + n) * (b + n) * z) / ((c + n) * (n + 1)), z);
}

/**
 * (₂F₁(a, b; c; z) − 1) / b, computed without dividing by b, so it stays accurate (and finite) as b → 0.
 *
 * From the series, (b)_n / b = (b + 1)_{n−1} for n ≥ 1, hence
 *
 *   (₂F₁(a, b; c; z) − 1) / b = Σ_{n≥1} (a)_n (b + 1)_{n−1} / ((c)_n n!) · zⁿ,
 *
 * whose first term is a z / c and whose term ratio is (a + n)(b + n) z / ((c + n)(n + 1)) for n ≥ 1 (the
 * same ratio as ₂F₁ itself). At b = 0 it equals Σ_{n≥1} (a)_n zⁿ / ((c)_n n), e.g. −ln(1 − z) when a = c.
 * Used by the BG/NBD expectations to remove the removable singularity at a = 1 (see bg-nbd.ts).
 */
export function hyp2f1MinusOneOverB(a: number, b: number, c: number, z: number): number {
  checkArguments('hyp2f1MinusOneOverB', a, b, c, z);
  if (z === 0) return 0;
  return sumSeries('hyp2f1MinusOneOverB', (a * z) / c, 1, (n) => ((a + n) * (b + n) * z) / ((c + n) * (n + 1)), z);
}
