/**
 * `arcee_fusion(m, base, seed: 0, precision: "f32")`: mergekit's Arcee Fusion (its DynamicThresholdFusion), per tensor:
 *
 * 1. importance = |m − base| · KL(p ‖ q) of the element's row, with p = softmax(m) + 1e-8 and
 *    q = softmax(base) + 1e-8 over the last dimension (a 1-D tensor is one row);
 * 2. threshold = median + 1.5·(q3 − q1) of the importance, the quantiles taken as mergekit does:
 *    the element at ⌊q·(n − 1)⌋ of the sorted values, over a uniform sample of 1,000,000 elements
 *    drawn with replacement when the tensor is larger (here from the seeded generator, not PyTorch's);
 * 3. result base + (m − base)·[importance ≥ threshold]: the base keeps its values except where the
 *    model differs most.
 *
 * Every step is rounded to float32, as PyTorch computes it on float32 tensors, or with precision
 * "bf16" / "f16" to that dtype, as PyTorch computes on such tensors (mergekit with `dtype: bfloat16`:
 * the softmax and sums accumulate in float32 and round their result). The whole tensor is one chunk
 * (the quantiles are over all of it).
 */
import type { ChunkInputs, MethodKernel } from "./method.js";
import { ParamError, ParamReader } from "./param-reader.js";
import { type Precision, scalarRounder } from "./shared/half-round.js";
import { streamKey, uniformAt } from "./shared/random.js";

export interface ArceeFusionParams {
  seed: number;
  precision: Precision;
}

type Round = (x: number) => number;

/** mergekit's sample size for the quantiles of larger tensors. */
export const QUANTILE_SAMPLE_SIZE = 1_000_000;
const f = Math.fround;

/** softmax(x) + 1e-8 of one row: float32 inside, the result and the sum rounded by `r`. */
function softmaxRow(x: Float32Array, start: number, end: number, out: Float64Array, r: Round): void {
  let max = -Infinity;
  for (let j = start; j < end; j++) max = Math.max(max, r(x[j]!));
  let sum = 0;
  for (let j = start; j < end; j++) sum += (out[j - start] = f(Math.exp(r(x[j]!) - max)));
  for (let j = start; j < end; j++) out[j - start] = r(r(out[j - start]! / f(sum)) + r(1e-8));
}

/** |m − base| · KL(softmax(m) ‖ softmax(base)) per element, rows of `row` elements, each step rounded by `r`. */
export function fusionImportance(m: Float32Array, base: Float32Array, row: number, r: Round = f): Float32Array {
  const out = new Float32Array(m.length);
  const p = new Float64Array(row);
  const q = new Float64Array(row);
  for (let s = 0; s < m.length; s += row) {
    softmaxRow(m, s, s + row, p, r);
    softmaxRow(base, s, s + row, q, r);
    let kl = 0;
    for (let k = 0; k < row; k++) kl += r(p[k]! * r(Math.log(r(p[k]! / q[k]!))));
    const klr = r(kl);
    for (let j = s; j < s + row; j++) out[j] = r(Math.abs(r(r(m[j]!) - r(base[j]!))) * klr);
  }
  return out;
}

/** A uniform index in [0, n) for draw i (48 bits from two 24-bit draws: enough for any tensor). */
function sampleIndex(key: number, i: number, n: number): number {
  const u = uniformAt(key, 2 * i) + uniformAt(key, 2 * i + 1) / 16777216;
  return Math.min(n - 1, Math.floor(u * n));
}

/** median + 1.5·(q3 − q1) of the values, with mergekit's quantile rule and sample, each step rounded by `r`. */
export function fusionThreshold(values: Float32Array, key: number, r: Round = f): number {
  let sample: Float32Array;
  if (values.length > QUANTILE_SAMPLE_SIZE) {
    sample = new Float32Array(QUANTILE_SAMPLE_SIZE);
    for (let i = 0; i < sample.length; i++) sample[i] = values[sampleIndex(key, i, values.length)]!;
  } else {
    sample = Float32Array.from(values);
  }
  sample.sort();
  // PyTorch: (q · (n − 1)).long() with q a float32 tensor: a float32 product, truncated.
  const at = (q: number): number => sample[Math.trunc(f(f(q) * (sample.length - 1)))]!;
  return r(at(0.5) + r(1.5 * r(at(0.75) - at(0.25))));
}

/** The last dimension's length: the rows softmax runs over. */
function lastDimension(chunk: ChunkInputs, shape: readonly number[] | undefined): number {
  const last = shape && shape.length > 0 ? shape[shape.length - 1]! : chunk.rowLength;
  return last > 0 ? last : Math.max(1, chunk.length);
}

export const arceeFusionKernel: MethodKernel<ArceeFusionParams, null> = {
  name: "arcee_fusion",
  backend: "cpu",
  inputKind: "models",
  base: "required",
  scopeParams: [],
  wholeTensor: true,
  parseParams(params, inputCount) {
    if (inputCount !== 1) throw new ParamError(`arcee_fusion fuses exactly 1 model into the base, got ${inputCount}`);
    const reader = new ParamReader(params, "arcee_fusion");
    const seed = reader.number("seed", 0);
    if (!Number.isInteger(seed) || seed < 0) throw new ParamError(`arcee_fusion: seed must be a whole number of at least 0, got ${seed}`);
    return { seed, precision: reader.string("precision", ["f32", "bf16", "f16"] as const, "f32") };
  },
  apply(params, _stats, chunk, out, ctx) {
    if (chunk.length === 0) return;
    const m = chunk.inputs[0]!;
    const base = chunk.base!;
    const r = scalarRounder(params.precision);
    const importance = fusionImportance(m, base, lastDimension(chunk, ctx.shape), r);
    const threshold = fusionThreshold(importance, streamKey(params.seed, ctx.tensor, 0), r);
    for (let j = 0; j < chunk.length; j++) {
      const b = r(base[j]!);
      out[j] = importance[j]! >= threshold ? r(b + r(r(m[j]!) - b)) : b;
    }
  },
};
