/**
 * `model_stock(m..., base)`: Model Stock, per tensor. cos θ is the mean cosine similarity of the
 * task vectors δᵢ = mᵢ − base over all pairs (0 for a zero vector); t = n·cos θ / (1 + (n−1)·cos θ);
 * the result is t·mean(mᵢ) + (1−t)·base.
 */
import type { MethodKernel, SeriesSelection } from "./method.js";

/** The pairs (i, j), i ≤ j, whose dot products the statistics sum: squares first, then i < j. */
function pairs(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) out.push([i, i]);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out.push([i, j]);
  return out;
}

/** t from the sums δᵢ·δⱼ in the order of `pairs`. */
export function modelStockRatio(n: number, sums: readonly number[]): number {
  const ps = pairs(n);
  let total = 0;
  let count = 0;
  ps.forEach(([i, j], p) => {
    if (i === j) return;
    const norms = Math.sqrt(sums[i]!) * Math.sqrt(sums[j]!);
    total += norms > 0 ? sums[p]! / norms : 0;
    count++;
  });
  const cos = count > 0 ? total / count : 0;
  const den = 1 + (n - 1) * cos;
  return den === 0 ? 0 : (n * cos) / den;
}

export const modelStockKernel: MethodKernel<Record<string, never>, number> = {
  name: "model_stock",
  backend: "cpu",
  inputKind: "models",
  base: "required",
  scopeParams: [],
  parseParams(_params, inputCount) {
    if (inputCount < 2) throw new Error(`model_stock needs at least 2 models, got ${inputCount}`);
    return {};
  },
  stats: {
    stage: (_params, stage, _d, n) => (stage === 0 ? pairs(n).map((): SeriesSelection => ({ mode: "sum" })) : null),
    values(_params, _stage, _earlier, chunk, start, end, out) {
      const base = chunk.base!;
      pairs(chunk.inputs.length).forEach(([i, j], p) => {
        const a = chunk.inputs[i]!;
        const b = chunk.inputs[j]!;
        const o = out[p]!;
        for (let x = start, k = 0; x < end; x++, k++) o[k] = Math.fround(a[x]! - base[x]!) * Math.fround(b[x]! - base[x]!);
      });
    },
    result: (_params, _d, n, stages) => modelStockRatio(n, stages[0]!.map((s) => s[0]!)),
  },
  apply(_params, stats, chunk, out) {
    const t = stats ?? 0;
    const n = chunk.inputs.length;
    const base = chunk.base!;
    for (let j = 0; j < chunk.length; j++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += chunk.inputs[i]![j]!;
      out[j] = (t * sum) / n + (1 - t) * base[j]!;
    }
  },
};
