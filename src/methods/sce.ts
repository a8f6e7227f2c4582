/**
 * `sce(m..., base, select_topk: 1.0)`: mergekit's SCE (Select, Calculate, Erase; FuseChat), per
 * tensor, on the task vectors δᵢ = mᵢ − base:
 * 1. Select: with select_topk < 1, keep only the positions whose variance across the δᵢ is among
 *    the top k = floor(select_topk · #positions of non-zero variance) (every position tied with
 *    the k-th largest is kept); zero the others in every δᵢ.
 * 2. Calculate: wᵢ = Σ δᵢ² / Σⱼ Σ δⱼ² (1/n each when all are zero).
 * 3. Erase: the majority sign is that of Σ δᵢ (0 counts as +); only agreeing entries are merged.
 * Result base + Σ wᵢ·δᵢ·[agrees] / Σ wᵢ·[agrees] (no division where nothing agrees).
 */
import type { ChunkInputs, MethodKernel, SeriesSelection, StageResults } from "./method.js";
import { ParamError, ParamReader } from "./param-reader.js";

export interface SceParams {
  topk: number;
}

export interface SceStats {
  /** Keep positions whose variance is ≥ this (0 keeps every position; NaN keeps none). */
  threshold: number;
  weights: number[];
}

/** The population variance of the δᵢ at element j, rounded to float32. */
function varianceAt(chunk: ChunkInputs, j: number): number {
  const n = chunk.inputs.length;
  const b = chunk.base![j]!;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += Math.fround(chunk.inputs[i]![j]! - b);
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.fround(chunk.inputs[i]![j]! - b) - mean;
    v += d * d;
  }
  return Math.fround(v / n);
}

/** Positions selected: k = floor(topk · nonZero). */
function keepCount(topk: number, nonZero: number): number {
  return Math.floor(Math.abs(topk) * nonZero);
}

function threshold(params: SceParams, earlier: StageResults): number {
  if (params.topk >= 1) return 0;
  const k = keepCount(params.topk, earlier[0]?.[0]?.[0] ?? 0);
  if (k <= 0) return NaN;
  return earlier[1]![0]![0]!;
}

export const sceKernel: MethodKernel<SceParams, SceStats> = {
  name: "sce",
  backend: "cpu",
  inputKind: "models",
  base: "required",
  scopeParams: [],
  parseParams(params) {
    const r = new ParamReader(params, "sce");
    const topk = r.number("select_topk", 1);
    if (!(topk > 0 && topk <= 1)) throw new ParamError(`sce: select_topk must be more than 0 and at most 1, got ${topk}`);
    return { topk };
  },
  stats: {
    stage(params, stage, d, n, earlier): SeriesSelection[] | null {
      const selecting = params.topk < 1;
      if (stage === 0) return [selecting ? { mode: "sum" } : { mode: "signed", ranks: [] }];
      if (stage === 1) {
        const k = selecting ? keepCount(params.topk, earlier[0]![0]![0] ?? 0) : 0;
        return [{ mode: "signed", ranks: k > 0 ? [d - k] : [] }];
      }
      if (stage === 2) return Array.from({ length: n }, (): SeriesSelection => ({ mode: "sum" }));
      return null;
    },
    values(params, stage, earlier, chunk, start, end, out) {
      if (stage === 0) {
        const o = out[0]!;
        for (let j = start, k = 0; j < end; j++, k++) o[k] = +(varianceAt(chunk, j) > 0);
        return;
      }
      if (stage === 1) {
        const o = out[0]!;
        for (let j = start, k = 0; j < end; j++, k++) o[k] = varianceAt(chunk, j);
        return;
      }
      const t = threshold(params, earlier);
      const b = chunk.base!;
      chunk.inputs.forEach((m, i) => {
        const o = out[i]!;
        for (let j = start, k = 0; j < end; j++, k++) {
          const keep = t === 0 || varianceAt(chunk, j) >= t;
          const d = keep ? Math.fround(m[j]! - b[j]!) : 0;
          o[k] = d * d;
        }
      });
    },
    result(params, _d, n, stages) {
      const sums = stages[2]!.map((s) => s[0]!);
      const total = sums.reduce((a, b) => a + b, 0);
      const weights = total === 0 ? new Array<number>(n).fill(1 / n) : sums.map((s) => s / total);
      return { threshold: threshold(params, stages), weights };
    },
  },
  apply(_params, stats, chunk, out) {
    const { threshold: t, weights } = stats!;
    const n = chunk.inputs.length;
    const b = chunk.base!;
    const deltas = new Float64Array(n);
    for (let j = 0; j < chunk.length; j++) {
      const keep = t === 0 || varianceAt(chunk, j) >= t;
      let vote = 0;
      for (let i = 0; i < n; i++) {
        const d = keep ? Math.fround(chunk.inputs[i]![j]! - b[j]!) : 0;
        deltas[i] = d;
        vote += d;
      }
      const sign = vote >= 0 ? 1 : -1;
      let num = 0;
      let den = 0;
      for (let i = 0; i < n; i++) {
        const a = weights[i]! * +(deltas[i]! * sign > 0);
        num += a * deltas[i]!;
        den += a;
      }
      out[j] = b[j]! + num / (den === 0 ? 1 : den);
    }
  },
};
