/**
 * In sampled mode each task's trimming threshold is itself estimated (the sample's k-th magnitude),
 * and its error moves every threshold-dependent total. The delta method handles it through the
 * quantile's influence function: a total h behaves like
 *     h + Σᵢ gᵢ · (1[|δᵢ| < qᵢ] − pᵢ)
 * where pᵢ is the share task i trims and gᵢ = E[h(i kept) − h(i trimmed) | |δᵢ| = qᵢ], the jump
 * in h when one element at the threshold changes side. For the removed mass gᵢ = −qᵢ exactly; for
 * the sign conflict and the election loss gᵢ is averaged over the sample's elements nearest the
 * threshold. The block spread of these linearised totals is what the covariance is taken from.
 */
import { orderStatistics } from "./select.js";
import type { VariableLayout } from "./layout.js";
import { electionOutcome } from "./ties-kernel.js";

/** Slopes g (tasks × layout.size): row i is the jump of every total when task i's threshold moves. */
export function thresholdSlopes(
  layout: VariableLayout,
  deltas: readonly Float32Array[],
  thresholds: readonly number[],
  keepCounts: readonly number[],
): Float64Array {
  const n = layout.tasks;
  const K = layout.size;
  const slopes = new Float64Array(n * K);
  const length = deltas[0]?.length ?? 0;
  const keep = new Array<boolean>(n).fill(false);
  const lostKept = new Float64Array(n);
  const lostTrimmed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = keepCounts[i]!;
    const q = thresholds[i]!;
    // A threshold at either end (keep nothing, keep everything) has no sampling error to carry.
    if (k <= 0 || k >= length || !Number.isFinite(q)) continue;
    slopes[i * K + layout.removed(i)] = -q;
    const rank = length - k; // ascending rank of the threshold
    const width = Math.max(4, Math.ceil(Math.sqrt(length)));
    const [lo, hi] = orderStatistics(
      deltas[i]!,
      [Math.max(0, rank - width), Math.min(length - 1, rank + width - 1)],
      "magnitude",
    ) as [number, number];
    let count = 0;
    let conflictJump = 0;
    const lostJump = new Float64Array(n);
    const di = deltas[i]!;
    for (let e = 0; e < length; e++) {
      const a = Math.abs(di[e]!);
      if (a < lo || a > hi) continue;
      for (let j = 0; j < n; j++) keep[j] = Math.abs(deltas[j]![e]!) >= thresholds[j]!;
      keep[i] = true;
      const withI = electionOutcome(deltas, e, keep, lostKept);
      keep[i] = false;
      const withoutI = electionOutcome(deltas, e, keep, lostTrimmed);
      conflictJump += withI - withoutI;
      for (let j = 0; j < n; j++) lostJump[j]! += lostKept[j]! - lostTrimmed[j]!;
      count++;
    }
    if (count === 0) continue;
    slopes[i * K + layout.conflict] = conflictJump / count;
    for (let j = 0; j < n; j++) slopes[i * K + layout.lost(j)] = lostJump[j]! / count;
  }
  return slopes;
}

/**
 * The linearised block totals: rows + Σᵢ gᵢ·(belowᵢ − pᵢ·count), with pᵢ the sample's trimmed share,
 * so the correction sums to zero over the sample and only changes the spread between blocks.
 */
export function linearisedRows(
  layout: VariableLayout,
  rows: Float64Array,
  below: Float64Array,
  slopes: Float64Array,
): Float64Array {
  const n = layout.tasks;
  const K = layout.size;
  const blocks = rows.length / K;
  const out = Float64Array.from(rows);
  let elements = 0;
  const trimmed = new Float64Array(n);
  for (let b = 0; b < blocks; b++) {
    elements += rows[b * K + layout.count]!;
    for (let i = 0; i < n; i++) trimmed[i]! += below[b * n + i]!;
  }
  if (elements === 0) return out;
  for (let i = 0; i < n; i++) {
    const share = trimmed[i]! / elements;
    const g = i * K;
    for (let b = 0; b < blocks; b++) {
      const shift = below[b * n + i]! - share * rows[b * K + layout.count]!;
      if (shift === 0) continue;
      for (let k = 0; k < K; k++) {
        const s = slopes[g + k]!;
        if (s !== 0) out[b * K + k]! += s * shift;
      }
    }
  }
  return out;
}
