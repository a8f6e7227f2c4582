/**
 * `linear(m..., weights?, normalize: true, precision: "f32")`: the weighted average of models,
 * Σ wᵢ·mᵢ / Σ wᵢ. With precision "bf16" or "f16" the arithmetic is PyTorch's on tensors of that
 * dtype, as mergekit computes with `dtype: bfloat16`: inputs and weights rounded to it, each product
 * wᵢ·mᵢ rounded, the products summed in float32 and the sum rounded, the weights' sum rounded, and
 * the quotient rounded. "f32" (the default) is float32 arithmetic with exact coefficients.
 */
import { weightedSumInto } from "../engine/kernels/elementwise.js";
import type { ChunkInputs, MethodKernel } from "./method.js";
import { ParamError, ParamReader } from "./param-reader.js";
import { type Precision, roundInPlace, roundScalar } from "./shared/half-round.js";

export interface LinearParams {
  /** The coefficient of each model after normalisation (f32 precision). */
  coefs: number[];
  weights: number[];
  normalize: boolean;
  precision: Precision;
}

export const linearKernel: MethodKernel<LinearParams, null> = {
  name: "linear",
  backend: "cpu",
  inputKind: "models",
  base: "unused",
  scopeParams: [],
  parseParams(params, inputCount) {
    const r = new ParamReader(params, "linear");
    const weights = r.perModel("weights", inputCount, 1);
    const normalize = r.bool("normalize", true);
    const precision = r.string("precision", ["f32", "bf16", "f16"] as const, "f32");
    if (!normalize) return { coefs: weights, weights, normalize, precision };
    const sum = weights.reduce((a, b) => a + b, 0);
    if (sum === 0) throw new ParamError("linear: the weights sum to 0, so normalize: true cannot divide by their sum");
    return { coefs: weights.map((w) => w / sum), weights, normalize, precision };
  },
  apply(params, _stats, chunk: ChunkInputs, out, ctx) {
    if (params.precision === "f32") weightedSumInto(chunk.inputs, params.coefs, out, chunk.length);
    else roundedLinear(params, chunk, out, ctx.scratch.f32(0, chunk.length), new Uint16Array(chunk.length));
  },
};

/** The weighted sum with PyTorch's 16-bit rounding steps (see the header). */
export function roundedLinear(params: LinearParams, chunk: ChunkInputs, out: Float32Array, product: Float32Array, bits: Uint16Array): void {
  const p = params.precision;
  const len = chunk.length;
  const weights = params.weights.map((w) => roundScalar(p, w));
  out.fill(0, 0, len);
  chunk.inputs.forEach((x, i) => {
    const w = weights[i]!;
    product.set(x.subarray(0, len));
    roundInPlace(p, product, len, bits);
    for (let j = 0; j < len; j++) product[j] = w * product[j]!;
    roundInPlace(p, product, len, bits);
    for (let j = 0; j < len; j++) out[j] = out[j]! + product[j]!;
  });
  roundInPlace(p, out, len, bits);
  if (!params.normalize) return;
  let total = 0;
  for (const w of weights) total = Math.fround(total + w);
  const divisor = roundScalar(p, total);
  for (let j = 0; j < len; j++) out[j] = out[j]! / divisor;
  roundInPlace(p, out, len, bits);
}
