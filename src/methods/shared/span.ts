/**
 * Methods whose result is a combination of their inputs with coefficients that depend only on the
 * inputs' dot products (Karcher mean, multi-SLERP): the statistics are the Gram matrix Gᵢⱼ = xᵢ·xⱼ
 * (summed in float64), the algorithm runs on coefficient vectors in that span, and the result is
 * Σ kᵢ·xᵢ. Exact, streaming, and independent of chunking.
 */
import type { ChunkInputs, SeriesSelection } from "../method.js";

/** The pairs (i, j), i ≤ j, in series order: row by row. */
export function gramPairs(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) out.push([i, j]);
  return out;
}

export function gramSelections(n: number): SeriesSelection[] {
  return gramPairs(n).map((): SeriesSelection => ({ mode: "sum" }));
}

/** The inputs of a chunk as the method sees them: models, or models − base (in float32) when it has a base. */
export function spanInputAt(chunk: ChunkInputs, i: number, j: number): number {
  const x = chunk.inputs[i]![j]!;
  return chunk.base ? Math.fround(x - chunk.base[j]!) : x;
}

/** out[p][k] = xᵢ·xⱼ for the pairs of `gramPairs`, elements [start, end). */
export function gramValues(chunk: ChunkInputs, start: number, end: number, out: Float32Array[]): void {
  gramPairs(chunk.inputs.length).forEach(([i, j], p) => {
    const o = out[p]!;
    for (let x = start, k = 0; x < end; x++, k++) o[k] = spanInputAt(chunk, i, x) * spanInputAt(chunk, j, x);
  });
}

/** The symmetric Gram matrix from the sums in `gramPairs` order. */
export function gramMatrix(n: number, sums: readonly number[]): number[][] {
  const g = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  gramPairs(n).forEach(([i, j], p) => {
    g[i]![j] = sums[p]!;
    g[j]![i] = sums[p]!;
  });
  return g;
}

/** aᵀ·G·b: the dot product of two vectors given by coefficients over the inputs. */
export function spanDot(g: readonly number[][], a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 0) continue;
    for (let j = 0; j < b.length; j++) s += a[i]! * g[i]![j]! * b[j]!;
  }
  return s;
}

export function spanNorm(g: readonly number[][], a: readonly number[]): number {
  return Math.sqrt(Math.max(0, spanDot(g, a, a)));
}

/** out = Σ kᵢ·xᵢ, plus the base when the inputs are taken against it, per element. */
export function applySpan(chunk: ChunkInputs, k: readonly number[], out: Float32Array): void {
  const n = chunk.inputs.length;
  const base = chunk.base;
  for (let j = 0; j < chunk.length; j++) {
    let s = 0;
    if (base) {
      const b = base[j]!;
      for (let i = 0; i < n; i++) s += k[i]! * Math.fround(chunk.inputs[i]![j]! - b);
      out[j] = b + s;
    } else {
      for (let i = 0; i < n; i++) s += k[i]! * chunk.inputs[i]![j]!;
      out[j] = s;
    }
  }
}
