/**
 * `pcb(m..., base, ratio: 0.1, lambda: 1.0, clip: 0.0001, scope)`: PCB-Merging, exactly as the
 * authors' pcb-merging.py (spec §6), in float32 like the reference:
 *
 * 1. a = |δ| clamped per task between its ascending order statistics at floor(d·clip) and
 *    floor(d·(1−clip) − 1); δ̃ = sign(δ)·a.
 * 2. intra = exp(n · norm(a)²), norm by the task's min and max of a over the scope.
 * 3. inter = tanh(δ · Σⱼ δⱼ).
 * 4. β = intra·inter; per task clamp β from below at its order statistic floor(d·(1−ratio)) and
 *    normalise by min/max to the scale s.
 * 5. τ = Σ wᵢ·δ̃ᵢ·sᵢ / max(Σ sᵢ, 1e-12); result base + lambda·τ. The weights wᵢ (default 1, the
 *    authors' code) are per-task coefficients, as PCB-Merging's evolutionary search tunes them.
 *
 * A min/max normalisation that would divide by zero gives 0 (the reference gives NaN).
 * Statistics take two stages of selections: the clip bounds of |δ|, then the β thresholds.
 */
import { BLOCK } from "../engine/kernels/elementwise.js";
import { fastExp, fastTanh } from "../engine/kernels/fast-math.js";
import { simdKernels, type PcbMergeTask } from "../wasm/simd-kernels.js";
import type { ChunkInputs, KernelContext, MethodKernel } from "./method.js";
import { ParamReader } from "./param-reader.js";
import { deltaSeries } from "./shared/series.js";

export interface PcbParams {
  ratio: number;
  lambda: number;
  clip: number;
  weights: number[];
}

/** One task's clip bounds and min/max normalisation of the clipped magnitudes. */
export interface PcbClip {
  lo: number;
  hi: number;
  /** min of the clipped magnitudes, and max − min (0: the normalisation gives 0). */
  min: number;
  range: number;
}

export interface PcbStats {
  clip: PcbClip[];
  /** Per task: the β threshold (the clamp's lower bound) and max β − threshold. */
  dropLo: number[];
  dropRange: number[];
}

/** A Python index into a sorted array of d elements: int() truncates toward zero, negatives wrap. */
function pythonIndex(x: number, d: number): number {
  let i = Math.trunc(x);
  if (i < 0) i += d;
  return Math.min(d - 1, Math.max(0, i));
}

/** The clip ranks of `clamp(|δ|, min_ratio=clip, max_ratio=clip)`. */
export function clipRanks(d: number, clip: number): [number, number] {
  return [pythonIndex(d * clip, d), pythonIndex(d * (1 - clip) - 1, d)];
}

/** The rank of `clamp(β, min_ratio=1-ratio, max_ratio=0)`'s lower bound. */
export function dropRank(d: number, ratio: number): number {
  return pythonIndex(d * (1 - ratio), d);
}

function clipOf(lo: number, hi: number): PcbClip {
  // torch.clamp(x, lo, hi) with lo > hi gives hi everywhere.
  const min = lo <= hi ? lo : hi;
  return { lo, hi, min, range: Math.fround(hi - min) };
}

const SUM_SLOT = 0; // scratch slot of Σⱼ δⱼ for one block
const DELTA_SLOT = 1; // scratch slots [1, n + 1): the deltas of one block; β after them

/** δᵢ of elements [s, e) of the chunk into scratch, one array per task. */
function blockDeltas(chunk: ChunkInputs, s: number, e: number, ctx: KernelContext): Float32Array[] {
  const out: Float32Array[] = [];
  for (let i = 0; i < chunk.inputs.length; i++) out.push(ctx.scratch.f32(DELTA_SLOT + i, e - s));
  deltaSeries(chunk, s, e, out);
  return out;
}

/**
 * β = exp(n·norm(a)²) · tanh(δ·Σⱼδⱼ) per task, in float32 steps like the reference, into `betas`.
 * Task by task with the task's constants in locals: simple loops that V8 compiles well.
 */
function blockBetas(
  deltas: readonly Float32Array[],
  clip: readonly PcbClip[],
  length: number,
  betas: Float32Array[],
  sum: Float32Array,
): void {
  const n = deltas.length;
  sum.fill(0, 0, length);
  // Σⱼ δⱼ in float32, model by model, as torch.sum over the task dimension does.
  for (let j = 0; j < n; j++) {
    const d = deltas[j]!;
    for (let k = 0; k < length; k++) sum[k] += d[k]!;
  }
  const simd = simdKernels();
  for (let i = 0; i < n; i++) {
    const { lo, hi, min, range } = clip[i]!;
    const scale = range > 0 ? 1 : 0; // a zero range normalises to 0
    const div = range > 0 ? range : 1;
    if (!simd?.pcbBetas(deltas[i]!, sum, length, lo, hi, min, div, scale, n, betas[i]!)) taskBetas(deltas[i]!, sum, length, lo, hi, min, div, scale, n, betas[i]!);
  }
}

/** One task's β (see blockBetas) in JavaScript: the reference the SIMD kernel equals bit for bit. */
export function taskBetas(d: Float32Array, sum: Float32Array, length: number, lo: number, hi: number, min: number, div: number, scale: number, n: number, out: Float32Array): void {
  const f = Math.fround;
  for (let k = 0; k < length; k++) {
    const x = d[k]!;
    let a = Math.abs(x);
    a = a < lo ? lo : a; // clamp(|δ|, lo, hi); with lo > hi the second step gives hi
    a = a > hi ? hi : a;
    const norm = f(f(a - min) / div) * scale;
    const intra = f(fastExp(f(n * f(norm * norm))));
    const inter = f(fastTanh(f(x * sum[k]!)));
    out[k] = intra * inter;
  }
}

/**
 * τ = Σ wᵢ·sign(δᵢ)·clip(|δᵢ|)·sᵢ / max(Σ sᵢ, 1e-12), sᵢ = (max(βᵢ, lo) − lo) / range, and
 * out = base + λ·τ, over one block (num and den: float64 scratch): the reference of the SIMD kernel.
 */
export function mergeBlock(tasks: readonly PcbMergeTask[], base: Float32Array, lambda: number, out: Float32Array, len: number, num: Float64Array, den: Float64Array): void {
  const f = Math.fround;
  num.fill(0, 0, len);
  den.fill(0, 0, len);
  for (const { delta: d, beta, lo, range, clipLo, clipHi, weight: w } of tasks) {
    for (let k = 0; k < len; k++) {
      const b = beta[k]!;
      const scale = f(f((b > lo ? b : lo) - lo) / range);
      const x = d[k]!;
      let a = Math.abs(x);
      a = a < clipLo ? clipLo : a;
      a = a > clipHi ? clipHi : a;
      num[k] += w * a * (+(x > 0) - +(x < 0)) * scale; // wᵢ·sign(δ)·clipped |δ|, times the scale
      den[k] += scale;
    }
  }
  for (let k = 0; k < len; k++) {
    const dk = den[k]!;
    out[k] = base[k]! + lambda * (num[k]! / (dk > 1e-12 ? dk : 1e-12));
  }
}

function clipsOf(stage: number[][]): PcbClip[] {
  return stage.map(([lo, hi]) => clipOf(lo!, hi!));
}

export const pcbKernel: MethodKernel<PcbParams, PcbStats> = {
  name: "pcb",
  backend: "cpu",
  inputKind: "models",
  base: "required",
  scopeParams: ["ratio", "clip"],
  parseParams(params, inputCount) {
    const r = new ParamReader(params, "pcb");
    const ratio = r.number("ratio", 0.1);
    const clip = r.number("clip", 0.0001);
    r.inRange("ratio", ratio, 0, 1);
    r.inRange("clip", clip, 0, 0.5);
    return { ratio, clip, lambda: r.number("lambda", 1), weights: r.perModel("weights", inputCount, 1) };
  },
  stats: {
    stage(params, stage, d, n) {
      if (stage === 0) return Array.from({ length: n }, () => ({ mode: "magnitude" as const, ranks: clipRanks(d, params.clip) }));
      if (stage === 1) return Array.from({ length: n }, () => ({ mode: "signed" as const, ranks: [dropRank(d, params.ratio), d - 1] }));
      return null;
    },
    values(_params, stage, earlier, chunk, start, end, out, ctx) {
      if (stage === 0) deltaSeries(chunk, start, end, out);
      else blockBetas(blockDeltas(chunk, start, end, ctx), clipsOf(earlier[0]!), end - start, out, ctx.scratch.f32(SUM_SLOT, end - start));
    },
    deltaStage: (_params, stage) => stage === 0,
    result(_params, _d, n, stages) {
      if (stages.length < 2) return { clip: [], dropLo: new Array<number>(n).fill(0), dropRange: new Array<number>(n).fill(0) };
      return {
        clip: clipsOf(stages[0]!),
        dropLo: stages[1]!.map(([lo]) => lo!),
        dropRange: stages[1]!.map(([lo, max]) => Math.fround(max! - lo!)),
      };
    },
  },
  apply(params, stats, chunk, out, ctx) {
    const st = stats!;
    const n = chunk.inputs.length;
    const base = chunk.base!;
    for (let s = 0; s < chunk.length; s += BLOCK) {
      const len = Math.min(chunk.length, s + BLOCK) - s;
      const deltas = blockDeltas(chunk, s, s + len, ctx);
      const betas: Float32Array[] = [];
      for (let i = 0; i < n; i++) betas.push(ctx.scratch.f32(DELTA_SLOT + n + i, len));
      blockBetas(deltas, st.clip, len, betas, ctx.scratch.f32(SUM_SLOT, len));
      const tasks: PcbMergeTask[] = [];
      for (let i = 0; i < n; i++) {
        const range = st.dropRange[i]!;
        if (!(range > 0)) continue; // the scale normalisation divides by zero: scale 0
        const { lo: clipLo, hi: clipHi } = st.clip[i]!;
        tasks.push({ delta: deltas[i]!, beta: betas[i]!, lo: st.dropLo[i]!, range, clipLo, clipHi, weight: params.weights[i]! });
      }
      const b = base.subarray(s, s + len);
      const o = out.subarray(s, s + len);
      if (!simdKernels()?.pcbMerge(tasks, b, params.lambda, o, len)) mergeBlock(tasks, b, params.lambda, o, len, ctx.scratch.f64(0, len), ctx.scratch.f64(1, len));
    }
  },
};
