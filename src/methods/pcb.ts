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
 * 5. τ = Σ δ̃ᵢ·sᵢ / max(Σ sᵢ, 1e-12); result base + lambda·τ.
 *
 * A min/max normalisation that would divide by zero gives 0 (the reference gives NaN).
 * Statistics take two stages of selections: the clip bounds of |δ|, then the β thresholds.
 */
import { BLOCK } from "../engine/kernels/elementwise.js";
import type { ChunkInputs, KernelContext, MethodKernel } from "./method.js";
import { ParamReader } from "./param-reader.js";
import { deltaSeries } from "./shared/series.js";

export interface PcbParams {
  ratio: number;
  lambda: number;
  clip: number;
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

const DELTA_SLOT = 0; // scratch slots [0, n): the deltas of one block

/** δᵢ of elements [s, e) of the chunk into scratch, one array per task. */
function blockDeltas(chunk: ChunkInputs, s: number, e: number, ctx: KernelContext): Float32Array[] {
  const out: Float32Array[] = [];
  for (let i = 0; i < chunk.inputs.length; i++) out.push(ctx.scratch.f32(DELTA_SLOT + i, e - s));
  deltaSeries(chunk, s, e, out);
  return out;
}

/** β = exp(n·norm(a)²) · tanh(δ·Σⱼδⱼ) per task, in float32 steps like the reference, into `betas`. */
function blockBetas(deltas: readonly Float32Array[], clip: readonly PcbClip[], length: number, betas: Float32Array[]): void {
  const n = deltas.length;
  const f = Math.fround;
  for (let k = 0; k < length; k++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum = f(sum + deltas[j]![k]!);
    for (let i = 0; i < n; i++) {
      const d = deltas[i]![k]!;
      const c = clip[i]!;
      const m = Math.abs(d);
      let clamped = m < c.lo ? c.lo : m; // clamp(|δ|, lo, hi); with lo > hi the second step gives hi
      if (clamped > c.hi) clamped = c.hi;
      const norm = c.range > 0 ? f(f(clamped - c.min) / c.range) : 0;
      const intra = f(Math.exp(f(n * f(norm * norm))));
      const inter = f(Math.tanh(f(d * sum)));
      betas[i]![k] = intra * inter;
    }
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
  parseParams(params) {
    const r = new ParamReader(params, "pcb");
    const ratio = r.number("ratio", 0.1);
    const clip = r.number("clip", 0.0001);
    r.inRange("ratio", ratio, 0, 1);
    r.inRange("clip", clip, 0, 0.5);
    return { ratio, clip, lambda: r.number("lambda", 1) };
  },
  stats: {
    stage(params, stage, d, n) {
      if (stage === 0) return Array.from({ length: n }, () => ({ mode: "magnitude" as const, ranks: clipRanks(d, params.clip) }));
      if (stage === 1) return Array.from({ length: n }, () => ({ mode: "signed" as const, ranks: [dropRank(d, params.ratio), d - 1] }));
      return null;
    },
    values(_params, stage, earlier, chunk, start, end, out, ctx) {
      if (stage === 0) deltaSeries(chunk, start, end, out);
      else blockBetas(blockDeltas(chunk, start, end, ctx), clipsOf(earlier[0]!), end - start, out);
    },
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
    const f = Math.fround;
    for (let s = 0; s < chunk.length; s += BLOCK) {
      const e = Math.min(chunk.length, s + BLOCK);
      const deltas = blockDeltas(chunk, s, e, ctx);
      const betas: Float32Array[] = [];
      for (let i = 0; i < n; i++) betas.push(ctx.scratch.f32(n + i, e - s));
      blockBetas(deltas, st.clip, e - s, betas);
      for (let k = 0; k < e - s; k++) {
        let num = 0;
        let den = 0;
        for (let i = 0; i < n; i++) {
          const range = st.dropRange[i]!;
          if (!(range > 0)) continue;
          const lo = st.dropLo[i]!;
          const beta = betas[i]![k]!;
          const scale = f(f((beta > lo ? beta : lo) - lo) / range);
          if (scale === 0) continue;
          const d = deltas[i]![k]!;
          const c = st.clip[i]!;
          const m = Math.abs(d);
          let a = m < c.lo ? c.lo : m;
          if (a > c.hi) a = c.hi;
          num += (d > 0 ? a : d < 0 ? -a : 0) * scale;
          den += scale;
        }
        out[s + k] = base[s + k]! + params.lambda * (num / (den > 1e-12 ? den : 1e-12));
      }
    }
  },
};
