// Natural logarithm of the gamma function, ln Γ(x), for x > 0. Pure: no I/O.
//
// Lanczos approximation (C. Lanczos, "A Precision Approximation of the Gamma Function", SIAM J. Numer.
// Anal. Ser. B 1 (1964) 86–96), with g = 7 and the nine coefficients published by P. Godfrey and used in
// many libraries (see also Press et al., "Numerical Recipes", 3rd ed., §6.1):
//
//   Γ(z + 1) = √(2π) · (z + g + ½)^(z + ½) · e^−(z + g + ½) · A_g(z),
//   A_g(z)   = c₀ + Σ_{k=1..8} c_k / (z + k)
//
// so, with z = x − 1 and t = x + g − ½:
//
//   ln Γ(x) = ½ ln(2π) + (x − ½) ln t − t + ln A_g(x − 1).
//
// Relative error of Γ is about 1e−15 for x ≥ ½, so ln Γ is accurate to about 1e−15 absolute near its zeros
// (x = 1, 2) and about 1e−15 relative elsewhere. For 0 < x < ½ the reflection formula
// Γ(x) Γ(1 − x) = π / sin(πx) moves the argument into the accurate range:
//
//   ln Γ(x) = ln π − ln sin(πx) − ln Γ(1 − x).
//
// Large arguments need no special case: (x − ½) ln t − t does not overflow for any finite double.

const LANCZOS_G = 7;
const LANCZOS_COEFFICIENTS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;
const HALF_LN_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0 (finite). Throws a RangeError for x ≤ 0 or a non-finite x. */
export function lnGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`lnGamma: x must be a positive finite number, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI) - Math.log(Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS_COEFFICIENTS[0];
  for (let k = 1; k < LANCZOS_COEFFICIENTS.length; k++) sum += LANCZOS_COEFFICIENTS[k]! / (z + k);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LN_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), the log of the beta function, for a, b > 0. */
export function lnBeta(a: number, b: number): number {
  return lnGamma(a) + lnGamma(b) - lnGamma(a + b);
}
