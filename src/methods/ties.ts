/**
 * `ties(m..., base, density: 0.2, lambda: 1.0, weights?, scope, consensus: "sum", normalize: true)`:
 * TIES-Merging (spec §6). Trim each δᵢ = mᵢ − base to the elements whose magnitude is at least the
 * k-th largest of the scope; elect γ = sign(Σ wᵢ·δᵢ) (or of Σ sign δᵢ for "count"; 0 → +1); merge
 * τ = Σ wᵢ·δᵢ·[sign δᵢ = γ] / Σ wᵢ·[sign δᵢ = γ]; result base + lambda·τ. With `agreement:
 * "weighted"` (mergekit) the signs compared and counted are those of wᵢ·δᵢ (shared/sparse-merge.ts).
 */
import type { Scratch } from "../engine/kernels/scratch.js";
import type { MethodKernel } from "./method.js";
import { ParamReader } from "./param-reader.js";
import { type Agreement, agreementSigns, readAgreement } from "./shared/sparse-merge.js";
import { deltaSeries } from "./shared/series.js";
import { type TrimThresholds, trimSelections, trimThresholds } from "./shared/trim-threshold.js";
import { SIMD_TIES_MAX_INPUTS, type SimdKernels, TIES_FLAGS, simdKernels } from "../wasm/simd-kernels.js";

export interface TiesParams {
  density: number[];
  lambda: number;
  weights: number[];
  consensus: "sum" | "count";
  agreement: Agreement;
  normalize: boolean;
}

export const tiesKernel: MethodKernel<TiesParams, TrimThresholds> = {
  name: "ties",
  backend: "cpu",
  inputKind: "models",
  base: "required",
  scopeParams: ["density"],
  parseParams(params, inputCount) {
    const r = new ParamReader(params, "ties");
    const density = r.perModel("density", inputCount, 0.2);
    r.inRange("density", density, 0, 1);
    return {
      density,
      lambda: r.number("lambda", 1),
      weights: r.perModel("weights", inputCount, 1),
      consensus: r.string("consensus", ["sum", "count"] as const, "sum"),
      agreement: readAgreement(r),
      normalize: r.bool("normalize", true),
    };
  },
  stats: {
    stage: (params, stage, scopeSize) => (stage === 0 ? trimSelections(scopeSize, params.density) : null),
    values: (_params, _stage, _earlier, chunk, start, end, out) => deltaSeries(chunk, start, end, out),
    deltaStage: () => true,
    result: (params, scopeSize, _n, stages) => trimThresholds(scopeSize, params.density, stages),
  },
  apply(params, stats, chunk, out, ctx) {
    tiesMerge(chunk.inputs, chunk.base!, stats!, params, out, chunk.length, ctx.scratch);
  },
};

/**
 * The elect-and-merge loop over elements, with the loop over models unrolled for up to
 * `MAX_UNROLLED` models (generated once per model count and options, like a shader). Everything is
 * branch-free: comparisons become 0/1 factors, since branches on random signs mispredict half the
 * time and dominate the cost. Parameters come from Float64Arrays: integer-valued plain arrays make
 * V8 compile integer arithmetic that deoptimises on −0. Weights of 1 and a lambda of 1 (the usual
 * case) are left out of the source: multiplying by 1 changes no bits, and costs a fifth of the loop.
 */
type TiesLoop = (
  models: readonly Float32Array[],
  base: Float32Array,
  thresholds: Float64Array,
  weights: Float64Array,
  signs: Float64Array,
  lambda: number,
  out: Float32Array,
  length: number,
) => void;

const MAX_UNROLLED = 8;
const loops = new Map<string, TiesLoop>();

function unrolledLoop(n: number, byCount: boolean, normalize: boolean, unitWeights: boolean, unitLambda: boolean, unitSigns: boolean): TiesLoop {
  const key = `${n}:${byCount}:${normalize}:${unitWeights}:${unitLambda}:${unitSigns}`;
  let loop = loops.get(key);
  if (loop) return loop;
  const each = (f: (i: number) => string, sep = "\n"): string => Array.from({ length: n }, (_, i) => f(i)).join(sep);
  const w = (i: number): string => (unitWeights ? "" : `w${i} * `);
  const scaled = (x: string): string => (unitLambda ? x : `lambda * ${x}`);
  const sg = (i: number): string => (unitSigns ? "" : `s${i} * `);
  const source = `
    ${each((i) => `const m${i} = models[${i}], t${i} = thresholds[${i}], w${i} = weights[${i}], s${i} = signs[${i}];`)}
    for (let j = 0; j < length; j++) {
      const b = base[j];
      ${each((i) => `const d${i} = Math.fround(m${i}[j] - b); const k${i} = d${i} * +(Math.abs(d${i}) >= t${i});`)}
      let v = ${byCount ? each((i) => `${sg(i)}(+(k${i} > 0) - +(k${i} < 0))`, " + ") : each((i) => `${w(i)}k${i}`, " + ")};
      v += +(v === 0);
      ${each((i) => `const a${i} = ${w(i)}+(${sg(i)}k${i} * v > 0);`)}
      const num = ${each((i) => `a${i} * k${i}`, " + ")};
      ${normalize ? `const den = ${each((i) => `a${i}`, " + ")}; out[j] = b + ${scaled("(num / (den + +(den === 0)))")};` : `out[j] = b + ${scaled("num")};`}
    }`;
  loop = new Function("models", "base", "thresholds", "weights", "signs", "lambda", "out", "length", source) as TiesLoop;
  loops.set(key, loop);
  return loop;
}

/**
 * Elect and merge (spec §6 steps 2–3) for one chunk, from the trim thresholds of the scope: on the
 * SIMD kernels when they load, else (`simd` null) in JavaScript, the reference they equal bit for bit.
 */
export function tiesMerge(
  models: readonly Float32Array[],
  base: Float32Array,
  thresholds: TrimThresholds,
  params: TiesParams,
  out: Float32Array,
  length: number,
  scratch: Scratch,
  simd: SimdKernels | null = simdKernels(),
): void {
  // The SIMD kernel compares the deltas' own signs: weighted agreement with a negative weight stays in JavaScript.
  const weighted = params.agreement === "weighted" && params.weights.some((x) => x < 0);
  if (simd && models.length <= SIMD_TIES_MAX_INPUTS && !weighted) {
    // The loop's sums start from the first term up to MAX_UNROLLED models, from 0 past it.
    const flags = (params.consensus === "count" ? TIES_FLAGS.count : 0) | (params.normalize ? TIES_FLAGS.normalize : 0) | (models.length > MAX_UNROLLED ? TIES_FLAGS.zeroStart : 0);
    simd.ties(models, base, thresholds, params.weights, params.lambda, flags, out, length);
    return;
  }
  const w = Float64Array.from(params.weights);
  const signs = agreementSigns(params.weights, params.agreement);
  const t = Float64Array.from(thresholds);
  const byCount = params.consensus === "count";
  if (models.length <= MAX_UNROLLED) {
    const unitWeights = params.weights.every((x) => x === 1);
    const unitSigns = signs.every((x) => x === 1);
    unrolledLoop(models.length, byCount, params.normalize, unitWeights, params.lambda === 1, unitSigns)(models, base, t, w, signs, params.lambda, out, length);
  } else blockedMerge(models, base, t, w, signs, byCount, params.normalize, params.lambda, out, length, scratch);
}

/** Elements per block of the blocked loop: its scratch (n float32 + 3 float64 rows) stays in cache. */
const TIES_BLOCK = 2048;

/** The same computation for many models: block by block, trimmed deltas in scratch, task by task. */
function blockedMerge(
  models: readonly Float32Array[],
  base: Float32Array,
  t: Float64Array,
  w: Float64Array,
  signs: Float64Array,
  byCount: boolean,
  normalize: boolean,
  lambda: number,
  out: Float32Array,
  length: number,
  scratch: Scratch,
): void {
  const n = models.length;
  for (let s = 0; s < length; s += TIES_BLOCK) {
    const len = Math.min(length, s + TIES_BLOCK) - s;
    const vote = scratch.f64(0, len).fill(0);
    const num = scratch.f64(1, len).fill(0);
    const den = scratch.f64(2, len).fill(0);
    for (let i = 0; i < n; i++) {
      const kept = scratch.f32(i, len);
      trimBlock(models[i]!, base, s, len, t[i]!, kept);
      if (byCount) voteCount(kept, signs[i]!, vote, len);
      else voteSum(kept, w[i]!, vote, len);
    }
    // A zero vote elects +1: make it positive so that "agrees" is simply x·vote > 0.
    for (let k = 0; k < len; k++) {
      const v = vote[k]!;
      vote[k] = v + +(v === 0);
    }
    for (let i = 0; i < n; i++) mergeAgreeing(scratch.f32(i, len), w[i]!, signs[i]!, vote, num, den, len);
    for (let k = 0; k < len; k++) {
      const d = den[k]!;
      const tau = normalize ? num[k]! / (d + +(d === 0)) : num[k]!;
      out[s + k] = base[s + k]! + lambda * tau;
    }
  }
}
/** kept[k] = δ if |δ| ≥ threshold else 0, δ = f32(model − base) at s + k. */
function trimBlock(model: Float32Array, base: Float32Array, s: number, len: number, threshold: number, kept: Float32Array): void {
  for (let k = 0; k < len; k++) {
    const d = Math.fround(model[s + k]! - base[s + k]!);
    kept[k] = d * +(Math.abs(d) >= threshold);
  }
}

function voteSum(kept: Float32Array, w: number, vote: Float64Array, len: number): void {
  for (let k = 0; k < len; k++) vote[k] += w * kept[k]!;
}

function voteCount(kept: Float32Array, sign: number, vote: Float64Array, len: number): void {
  for (let k = 0; k < len; k++) {
    const x = kept[k]!;
    vote[k] += sign * (+(x > 0) - +(x < 0));
  }
}

function mergeAgreeing(kept: Float32Array, w: number, sign: number, vote: Float64Array, num: Float64Array, den: Float64Array, len: number): void {
  for (let k = 0; k < len; k++) {
    const x = kept[k]!;
    const a = w * +(sign * x * vote[k]! > 0);
    num[k] += a * x;
    den[k] += a;
  }
}
