/**
 * exp and tanh for the hot loops, several times faster than Math.exp / Math.tanh on the arguments
 * the merge methods use, with relative error below 1e-10 (results are rounded to float32, whose
 * step is 6e-8): PCB evaluates exp(n·x²) with x in [0, 1] and tanh of products of small deltas.
 */

const MAX_FAST_EXP = 88;
/** e^x = 2^(k/32) · e^r with k = round(32·x/ln 2), |r| ≤ ln 2 / 64: a table and a short series. */
const STEPS_PER_LN2 = 32 / Math.LN2;
const STEP_HI = 0.02166084937925916; // ln 2 / 32 with its low 22 bits cleared: k·STEP_HI is exact
const STEP_LO = Math.LN2 / 32 - STEP_HI;
const EXP_TABLE = Float64Array.from({ length: Math.ceil(MAX_FAST_EXP * STEPS_PER_LN2) + 2 }, (_, k) => Math.pow(2, k / 32));

/** The table and constants, for the WASM kernels that compute the same series (src/wasm). */
export const FAST_MATH = {
  expTable: EXP_TABLE,
  /** 32/ln 2, the two parts of ln 2/32, then exp's and tanh's series coefficients as written below. */
  constants: Float64Array.of(STEPS_PER_LN2, STEP_HI, STEP_LO, 1 / 6, 1 / 24, 1 / 120, 1 / 3, 2 / 15, 17 / 315, 62 / 2835),
};

/** e^x; fast for 0 ≤ x ≤ 88, Math.exp elsewhere. */
export function fastExp(x: number): number {
  if (!(x >= 0 && x <= MAX_FAST_EXP)) return Math.exp(x);
  const k = (x * STEPS_PER_LN2 + 0.5) | 0;
  const r = x - k * STEP_HI - k * STEP_LO;
  // e^r to r^5/120 (|r| ≤ 0.011): the remainder is below 3e-15 relative.
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120)))));
  return p * EXP_TABLE[k]!;
}

/** tanh x; a series for |x| < 1/16 (the usual case for products of deltas), Math.tanh elsewhere. */
export function fastTanh(x: number): number {
  if (!(Math.abs(x) < 0.0625)) return Math.tanh(x);
  const x2 = x * x;
  // x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835: the next term is below 1e-13 relative.
  return x * (1 - x2 * (1 / 3 - x2 * (2 / 15 - x2 * (17 / 315 - x2 * (62 / 2835)))));
}
