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

/** Each task's threshold estimated from a sample, and the band of magnitudes around it. */
export interface SampleThresholds {
  thresholds: number[];
  /** [low, high] magnitudes of the √n sample elements nearest each threshold (null: no band). */
  bands: ([number, number] | null)[];
}

/** One selection per task gives the threshold (the k-th largest |δ|) and its band together. */
export function sampleThresholds(deltas: readonly Float32Array[], keepCounts: readonly number[]): SampleThresholds {
  const thresholds: number[] = [];
  const bands: ([number, number] | null)[] = [];
  deltas.forEach((d, i) => {
    const n = d.length;
    const k = keepCounts[i]!;
    if (k <= 0 || n === 0) {
      thresholds.push(Infinity);
      bands.push(null);
      return;
    }
    const rank = n - Math.min(k, n); // ascending rank of the k-th largest
    if (k >= n) {
      thresholds.push(orderStatistics(d, [0], "magnitude")[0]!);
      bands.push(null);
      return;
    }
    const width = Math.max(4, Math.ceil(Math.sqrt(n)));
    const [lo, q, hi] = orderStatistics(d, [Math.max(0, rank - width), rank, Math.min(n - 1, rank + width - 1)], "magnitude") as [
      number,
      number,
      number,
    ];
    thresholds.push(q);
    bands.push([lo, hi]);
  });
  return { thresholds, bands };
}

/** Slopes g (tasks × layout.size): row i is the jump of every total when task i's threshold moves. */
export function thresholdSlopes(layout: VariableLayout, deltas: readonly Float32Array[], sample: SampleThresholds): Float64Array {
  const n = layout.tasks;
  const K = layout.size;
  const { thresholds, bands } = sample;
  const slopes = new Float64Array(n * K);
  const length = deltas[0]?.length ?? 0;
  const keep = new Array<boolean>(n).fill(false);
  const lostKept = new Float64Array(n);
  const lostTrimmed = new Float64Array(n);
  const lostJump = new Float64Array(n);
  let members = new Int32Array(64);
  for (let i = 0; i < n; i++) {
    const band = bands[i];
    // A threshold at either end (keep nothing, keep everything) has no sampling error to carry.
    if (!band) continue;
    const [lo, hi] = band;
    slopes[i * K + layout.removed(i)] = -thresholds[i]!;
    let conflictJump = 0;
    lostJump.fill(0);
    // Collect the band first (a tight loop), then replay the election for its few elements.
    const di = deltas[i]!;
    let found = 0;
    for (let e = 0; e < length; e++) {
      const a = Math.abs(di[e]!);
      if (a >= lo && a <= hi) {
        if (found === members.length) members = grow(members);
        members[found++] = e;
      }
    }
    for (let m = 0; m < found; m++) {
      const e = members[m]!;
      for (let j = 0; j < n; j++) keep[j] = Math.abs(deltas[j]![e]!) >= thresholds[j]!;
      keep[i] = true;
      const withI = electionOutcome(deltas, e, keep, lostKept);
      keep[i] = false;
      const withoutI = electionOutcome(deltas, e, keep, lostTrimmed);
      conflictJump += withI - withoutI;
      for (let j = 0; j < n; j++) lostJump[j]! += lostKept[j]! - lostTrimmed[j]!;
    }
    const count = found;
    if (count === 0) continue;
    slopes[i * K + layout.conflict] = conflictJump / count;
    for (let j = 0; j < n; j++) slopes[i * K + layout.lost(j)] = lostJump[j]! / count;
  }
  return slopes;
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
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
