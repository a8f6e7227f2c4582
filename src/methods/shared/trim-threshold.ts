/**
 * TIES's trim threshold per input: keep every element whose magnitude is at least the k-th largest
 * magnitude in the scope, k = floor(d·density), so that every element tied with it is kept and the
 * result never depends on element order or chunking. k = 0 keeps nothing; k ≥ d keeps everything.
 */
import type { SeriesSelection, StageResults } from "../method.js";

/** Keep |δ| ≥ threshold. NaN keeps nothing (no comparison with NaN is true). */
export type TrimThresholds = number[];

/** The number of elements to keep: floor(d·density) in float64, as the reference code computes it. */
export function keepCount(scopeSize: number, density: number): number {
  return Math.floor(scopeSize * density);
}

/** Stage 0 of a trim: the ascending rank d − k of each series' magnitudes (none when k is 0 or ≥ d). */
export function trimSelections(scopeSize: number, densities: readonly number[]): SeriesSelection[] {
  return densities.map((density) => {
    const k = keepCount(scopeSize, density);
    return { mode: "magnitude", ranks: k <= 0 || k >= scopeSize ? [] : [scopeSize - k] };
  });
}

export function trimThresholds(scopeSize: number, densities: readonly number[], stages: StageResults): TrimThresholds {
  return densities.map((density, i) => {
    const k = keepCount(scopeSize, density);
    if (k <= 0) return NaN;
    if (k >= scopeSize) return 0;
    return stages[0]![i]![0]!;
  });
}
