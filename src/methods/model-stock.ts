/**
 * `model_stock(m..., base, filter_wise: false)`: Model Stock (mergekit's model_stock). cos θ is the
 * mean cosine similarity of the task vectors δᵢ = mᵢ − base over all pairs, each δᵢ·δⱼ divided by
 * max(|δᵢ|·|δⱼ|, 1e-6) and clamped to [−1, 1]; t = n·cos θ / (1 + (n−1)·cos θ); the result is
 * t·mean(mᵢ) + (1−t)·base. Per tensor, or with `filter_wise: true` per row (one t for each output
 * filter, as mergekit's filter_wise; a 1-D tensor is one row).
 */
import type { ChunkInputs, MethodKernel, SeriesSelection } from "./method.js";
import { ParamError, ParamReader } from "./param-reader.js";

export interface ModelStockParams {
  filterWise: boolean;
}

/** The pairs (i, j), i ≤ j, whose dot products the statistics sum: squares first, then i < j. */
function pairs(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) out.push([i, i]);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out.push([i, j]);
  return out;
}

const NORM_FLOOR = 1e-6;

/** t from the sums δᵢ·δⱼ in the order of `pairs`. */
export function modelStockRatio(n: number, sums: ArrayLike<number>): number {
  const ps = pairs(n);
  let total = 0;
  let count = 0;
  ps.forEach(([i, j], p) => {
    if (i === j) return;
    const norms = Math.sqrt(sums[i]!) * Math.sqrt(sums[j]!);
    total += Math.min(1, Math.max(-1, sums[p]! / Math.max(norms, NORM_FLOOR)));
    count++;
  });
  const cos = count > 0 ? total / count : 0;
  const den = 1 + (n - 1) * cos;
  return den === 0 ? 0 : (n * cos) / den;
}

/** The pair sums δᵢ·δⱼ over elements [start, end), into out[p][k] per element (or summed when `sums`). */
function pairTerms(chunk: ChunkInputs, start: number, end: number, out: Float32Array[] | null, sums: Float64Array | null): void {
  const base = chunk.base!;
  pairs(chunk.inputs.length).forEach(([i, j], p) => {
    const a = chunk.inputs[i]!;
    const b = chunk.inputs[j]!;
    const o = out?.[p];
    let s = 0;
    for (let x = start, k = 0; x < end; x++, k++) {
      const v = Math.fround(a[x]! - base[x]!) * Math.fround(b[x]! - base[x]!);
      if (o) o[k] = v;
      s += v;
    }
    if (sums) sums[p] = s;
  });
}

/** out = t·mean(mᵢ) + (1−t)·base over elements [start, end). */
function blend(chunk: ChunkInputs, t: number, start: number, end: number, out: Float32Array): void {
  const n = chunk.inputs.length;
  const base = chunk.base!;
  for (let j = start; j < end; j++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += chunk.inputs[i]![j]!;
    out[j] = (t * sum) / n + (1 - t) * base[j]!;
  }
}

export const modelStockKernel: MethodKernel<ModelStockParams, number> = {
  name: "model_stock",
  backend: "cpu",
  inputKind: "models",
  base: "required",
  scopeParams: [],
  // filter_wise works row by row; per tensor, whole rows cost nothing.
  rowwise: true,
  parseParams(params, inputCount) {
    if (inputCount < 2) throw new ParamError(`model_stock needs at least 2 models, got ${inputCount}`);
    return { filterWise: new ParamReader(params, "model_stock").bool("filter_wise", false) };
  },
  stats: {
    stage: (params, stage, _d, n) => (stage === 0 && !params.filterWise ? pairs(n).map((): SeriesSelection => ({ mode: "sum" })) : null),
    values(_params, _stage, _earlier, chunk, start, end, out) {
      pairTerms(chunk, start, end, out, null);
    },
    result: (params, _d, n, stages) => (params.filterWise ? 0 : modelStockRatio(n, stages[0]!.map((s) => s[0]!))),
  },
  apply(params, stats, chunk, out) {
    if (!params.filterWise) {
      blend(chunk, stats ?? 0, 0, chunk.length, out);
      return;
    }
    const row = chunk.rowLength;
    if (chunk.length % row !== 0) throw new Error(`model_stock with filter_wise: true works on whole rows of ${row} elements`);
    const sums = new Float64Array(pairs(chunk.inputs.length).length);
    for (let s = 0; s < chunk.length; s += row) {
      pairTerms(chunk, s, s + row, null, sums);
      blend(chunk, modelStockRatio(chunk.inputs.length, sums), s, s + row, out);
    }
  },
};
