/**
 * exp and tanh for the hot loops, several times faster than Math.exp / Math.tanh on the arguments
 * the merge methods use, with relative error below 1e-10 (results are rounded to float32, whose
 * step is 6e-8): PCB evaluates exp(n·x²) with x in [0, 1] and tanh of products of small deltas.
 */

const LOG2E = 1.4426950408889634;
const LN2_HI = 0.6931471803691238; // ln 2 split so that k·LN2_HI is exact for small k
const LN2_LO = 1.9082149292705877e-10;
const MAX_FAST_EXP = 88;
const POW2 = Float64Array.from({ length: 128 }, (_, k) => 2 ** k);

/** e^x; fast for 0 ≤ x ≤ 88, Math.exp elsewhere. */
export function fastExp(x: number): number {
  if (!(x >= 0 && x <= MAX_FAST_EXP)) return Math.exp(x);
  const k = Math.round(x * LOG2E);
  const r = x - k * LN2_HI - k * LN2_LO; // |r| ≤ ln2/2
  // Taylor series of e^r to r^10/10!: the remainder is below 2e-12 relative.
  const p =
    1 +
    r * (1 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040 + r * (1 / 40320 + r * (1 / 362880 + r / 3628800)))))))));
  return p * POW2[k]!;
}

/** tanh x; a series for |x| < 1/16 (the usual case for products of deltas), Math.tanh elsewhere. */
export function fastTanh(x: number): number {
  if (!(Math.abs(x) < 0.0625)) return Math.tanh(x);
  const x2 = x * x;
  // x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835: the next term is below 1e-13 relative.
  return x * (1 - x2 * (1 / 3 - x2 * (2 / 15 - x2 * (17 / 315 - x2 * (62 / 2835)))));
}
