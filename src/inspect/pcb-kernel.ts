/**
 * PCB's view of one tensor (spec §6, scope "tensor"): balancing scores β = intra · inter with
 * intra = exp(n·norm(clipped |δ|)²) and inter = tanh(δ·Σⱼδⱼ), and the scale each element gets after
 * the lowest (1 − ratio) scores of each task are dropped. Summed per block: dropped elements, Σβ,
 * Σβ², Σscale, so a report can show where a task loses its parameters and who wins the competition.
 */
import { orderStatistics, type SelectMode } from "./select.js";
import type { VariableLayout } from "./layout.js";

export interface PcbSettings {
  /** Share of each task's parameters kept (spec default 0.1). */
  ratio: number;
  /** Share clipped from each end of |δ| (spec default 0.0001). */
  clip: number;
}

/** Python's `sorted[int(x)]`: truncation, negative indices from the end, then kept in range. */
function pythonIndex(x: number, length: number): number {
  let i = Math.trunc(x);
  if (i < 0) i += length;
  return Math.min(length - 1, Math.max(0, i));
}

/**
 * The value at ascending `rank` among `population` elements (of |x| for "magnitude"), from `d`: all
 * of them, or a sample. PCB normalises by extremes (its upper clip bound, for a tensor of a few
 * thousand elements, is the second largest magnitude; its scales divide by the largest β), beyond
 * what a small sample resolves: there the upper tail is extrapolated as exponential, fitted to the
 * sample's largest √n values (a peaks-over-threshold estimate).
 */
export function valueAtRank(d: Float32Array, rank: number, population: number, mode: SelectMode): number {
  const n = d.length;
  if (population <= n) return orderStatistics(d, [Math.min(n - 1, rank)], mode)[0]!;
  const level = (rank + 0.5) / population;
  const position = level * n - 0.5;
  const tail = Math.min(n - 1, Math.max(10, Math.ceil(Math.sqrt(n))));
  if (position <= n - 1 - tail || tail < 2) {
    return orderStatistics(d, [Math.min(n - 1, Math.max(0, Math.round(position)))], mode)[0]!;
  }
  const u = orderStatistics(d, [n - 1 - tail], mode)[0]!;
  let excess = 0;
  let above = 0;
  for (let e = 0; e < n; e++) {
    const x = mode === "magnitude" ? Math.abs(d[e]!) : d[e]!;
    if (x > u) {
      excess += x - u;
      above++;
    }
  }
  if (above === 0) return u;
  const scale = excess / above;
  return u + scale * Math.log(above / n / Math.max(1 - level, 0.5 / population));
}

/**
 * β for every task and element of one tensor (or of its sampled elements, `population` being the
 * tensor's size: the clip bounds are then estimated for the whole tensor).
 */
export function balancingScores(deltas: readonly Float32Array[], clip: number, population?: number): Float32Array[] {
  const n = deltas.length;
  const length = deltas[0]?.length ?? 0;
  const size = population ?? length;
  const sum = new Float64Array(length);
  for (const d of deltas) for (let e = 0; e < length; e++) sum[e]! += d[e]!;
  return deltas.map((d) => {
    const beta = new Float32Array(length);
    if (length === 0) return beta;
    const lo = valueAtRank(d, pythonIndex(size * clip, size), size, "magnitude");
    const hi = valueAtRank(d, pythonIndex(size * (1 - clip) - 1, size), size, "magnitude");
    // The clipped magnitudes span exactly [lo, hi], so those are the min and max `norm` divides by.
    const range = hi - lo;
    for (let e = 0; e < length; e++) {
      const a = Math.min(hi, Math.max(lo, Math.abs(d[e]!)));
      const norm = range > 0 ? (a - lo) / range : 0;
      beta[e] = Math.exp(n * norm * norm) * Math.tanh(d[e]! * sum[e]!);
    }
    return beta;
  });
}

/** Adds each block's PCB totals to `rows` (blocks × layout.size), as `tiesBlockTotals` does. */
export function pcbBlockTotals(
  layout: VariableLayout,
  deltas: readonly Float32Array[],
  bounds: readonly number[],
  settings: PcbSettings,
  rows: Float64Array,
  population?: number,
): void {
  const n = layout.tasks;
  const K = layout.size;
  const length = deltas[0]?.length ?? 0;
  if (length === 0) return;
  const scores = balancingScores(deltas, settings.clip, population);
  const blocks = bounds.length - 1;
  for (let i = 0; i < n; i++) {
    const beta = scores[i]!;
    const size = population ?? length;
    const floor = valueAtRank(beta, pythonIndex(size * (1 - settings.ratio), size), size, "signed");
    const top = valueAtRank(beta, size - 1, size, "signed");
    const span = top - floor;
    const dropped = layout.pcbDropped(i);
    const betaSum = layout.pcbBetaSum(i);
    const betaSq = layout.pcbBetaSq(i);
    const scale = layout.pcbScale(i);
    for (let b = 0; b < blocks; b++) {
      const row = b * K;
      for (let e = bounds[b]!; e < bounds[b + 1]!; e++) {
        const x = beta[e]!;
        // Where min = max the normalisation divides by zero: the spec gives scale 0.
        const s = span > 0 ? (Math.max(x, floor) - floor) / span : 0;
        if (s === 0) rows[row + dropped]!++;
        rows[row + betaSum]! += x;
        rows[row + betaSq]! += x * x;
        rows[row + scale]! += s;
      }
    }
  }
}
