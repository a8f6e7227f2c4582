/**
 * `dare(m..., base, density: 0.5, lambda: 1.0, weights?, rescale: true, consensus: "none",
 * normalize: false, seed: 0)`: DARE drops each delta entry with probability 1 − density and
 * rescales the kept ones by 1/density (`rescale: "l1"`, "l2" or "linf" instead scales each task
 * vector back to the norm it had before dropping, as mergekit does); with a consensus it is
 * DARE-TIES (sign election and disjoint merge). The draws are a pure function of (seed, tensor,
 * model, element), so a merge is reproducible.
 */
import { BLOCK } from "../engine/kernels/elementwise.js";
import { type SimdKernels, simdKernels } from "../wasm/simd-kernels.js";
import type { ChunkInputs, KernelContext, MethodKernel, SeriesSelection } from "./method.js";
import { ParamError, ParamReader } from "./param-reader.js";
import { isNorm, normOf, normSelection, normTerm, readRescale, rescaleFactor, type Rescale } from "./shared/norm-rescale.js";
import { streamKey, uniformAt } from "./shared/random.js";
import { type Agreement, type Consensus, readAgreement, sparseMergeBlock, sparseMergeParams } from "./shared/sparse-merge.js";

export interface DareParams {
  density: number[];
  lambda: number;
  weights: number[];
  rescale: Rescale;
  consensus: Consensus;
  agreement: Agreement;
  normalize: boolean;
  seed: number;
}

/**
 * kept[k] = δ·[u < density]·scale for elements [s, s + len) of one model: on the SIMD kernels when
 * they load, else (`simd` null) in JavaScript, the reference they equal bit for bit.
 */
export function dropBlock(
  model: Float32Array,
  base: Float32Array,
  s: number,
  len: number,
  key: number,
  first: number,
  density: number,
  scale: number,
  kept: Float32Array,
  simd: SimdKernels | null = simdKernels(),
): void {
  if (simd) return simd.dareDrop(model, base, s, len, key, first, density, scale, kept);
  for (let k = 0; k < len; k++) {
    const d = Math.fround(model[s + k]! - base[s + k]!);
    kept[k] = d * (+(uniformAt(key, first + k) < density) * scale);
  }
}

/** Per model, the scale of the kept entries: 1/density, the norm ratio, or 1. */
export type DareScales = number[];

/** out[2i] = the norm term of δᵢ, out[2i + 1] that of the kept δᵢ, for elements [start, end). */
function dareNormValues(params: DareParams, chunk: ChunkInputs, start: number, end: number, out: Float32Array[], ctx: KernelContext): void {
  const norm = params.rescale as "l1" | "l2" | "linf";
  const base = chunk.base!;
  chunk.inputs.forEach((m, i) => {
    const key = streamKey(params.seed, ctx.tensor, i);
    const density = params.density[i]!;
    const before = out[2 * i]!;
    const after = out[2 * i + 1]!;
    for (let j = start, k = 0; j < end; j++, k++) {
      const d = Math.fround(m[j]! - base[j]!);
      const kept = d * +(uniformAt(key, chunk.offset + j) < density);
      before[k] = normTerm(norm, d);
      after[k] = normTerm(norm, kept);
    }
  });
}

export const dareKernel: MethodKernel<DareParams, DareScales> = {
  name: "dare",
  backend: "cpu",
  inputKind: "models",
  base: "required",
  scopeParams: [],
  parseParams(params, inputCount) {
    const r = new ParamReader(params, "dare");
    const density = r.perModel("density", inputCount, 0.5);
    for (const d of density) if (!(d > 0 && d <= 1)) throw new ParamError(`dare: density must be more than 0 and at most 1, got ${d}`);
    const seed = r.number("seed", 0);
    if (!Number.isInteger(seed) || seed < 0) throw new ParamError(`dare: seed must be a whole number ≥ 0, got ${seed}`);
    return {
      density,
      lambda: r.number("lambda", 1),
      weights: r.perModel("weights", inputCount, 1),
      rescale: readRescale(params, "dare", true),
      consensus: r.string("consensus", ["none", "sum", "count"] as const, "none"),
      agreement: readAgreement(r),
      normalize: r.bool("normalize", false),
      seed,
    };
  },
  stats: {
    stage(params, stage, d) {
      if (stage > 0 || !isNorm(params.rescale)) return null;
      const norm = params.rescale;
      return params.density.flatMap((): SeriesSelection[] => [normSelection(norm, d), normSelection(norm, d)]);
    },
    values: (params, _stage, _earlier, chunk, start, end, out, ctx) => dareNormValues(params, chunk, start, end, out, ctx),
    result(params, _d, _n, stages) {
      const norm = params.rescale;
      if (!isNorm(norm)) return params.density.map((density) => (norm ? 1 / density : 1));
      return params.density.map((_, i) => rescaleFactor(normOf(norm, stages[0]![2 * i]!), normOf(norm, stages[0]![2 * i + 1]!)));
    },
  },
  apply(params, stats, chunk, out, ctx) {
    const n = chunk.inputs.length;
    const base = chunk.base!;
    const keys = chunk.inputs.map((_, i) => streamKey(params.seed, ctx.tensor, i));
    const merge = sparseMergeParams(params);
    for (let s = 0; s < chunk.length; s += BLOCK) {
      const len = Math.min(chunk.length, s + BLOCK) - s;
      const kept: Float32Array[] = [];
      for (let i = 0; i < n; i++) {
        const density = params.density[i]!;
        const k = ctx.scratch.f32(i, len);
        dropBlock(chunk.inputs[i]!, base, s, len, keys[i]!, chunk.offset + s, density, stats![i]!, k);
        kept.push(k);
      }
      sparseMergeBlock(kept, merge, base, out, s, len, ctx.scratch);
    }
  },
};
