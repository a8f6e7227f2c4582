/**
 * In sampled mode each task's trimming threshold is itself estimated (the sample's k-th magnitude),
 * and its error moves every threshold-dependent total (mass removed, sign conflicts, election loss).
 *
 * Continuous magnitudes: the delta method through the quantile's influence function. A total h
 * behaves like   h + Σᵢ gᵢ · (1[|δᵢ| < qᵢ] − pᵢ)   where pᵢ is the share task i trims and
 * gᵢ = E[h(i kept) − h(i trimmed) | |δᵢ| = qᵢ], the jump in h when one element at the threshold
 * changes side. For the removed mass gᵢ = −qᵢ exactly; for the conflicts and the election loss gᵢ
 * is averaged over the sample's elements nearest the threshold. The block spread of these
 * linearised totals is what the covariance is taken from.
 *
 * Tied magnitudes (bf16 deltas sit on a coarse grid, so the threshold is an atom holding many
 * elements): the sample's threshold stays on the true atom unless the keep share falls near the
 * atom's edge, so the plain block variance applies, plus the chance that the true threshold is the
 * next magnitude up or down: for each, the totals' change Δ times π(1 − π), π being how likely the
 * sample's keep shares make that neighbour.
 */
import { bitsOf, keyOf, orderStatistics, valueOfKey } from "./select.js";
import type { VariableLayout } from "./layout.js";
import { electionOutcome } from "./ties-kernel.js";

/** Φ, the standard normal CDF (Abramowitz–Stegun 7.1.26 through erf; error below 1e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** One task's threshold as estimated from a sample. */
export interface TaskThreshold {
  /** Keep |δ| ≥ q; Infinity keeps nothing. */
  q: number;
  /** Continuous case: magnitudes of the √n sample elements nearest q. */
  band: [number, number] | null;
  /** Tied case: how the sample splits around q, and the neighbouring magnitudes. */
  atom: { atQ: number; aboveQ: number; up: number | null; down: number | null } | null;
  /** Share of the whole tensor trimming keeps (k/N). */
  target: number;
}

export interface SampleThresholds {
  thresholds: number[];
  tasks: (TaskThreshold | null)[];
}

/** Each task's threshold (the k-th largest |δ| of its sample) with what its error analysis needs. */
export function sampleThresholds(deltas: readonly Float32Array[], keepCounts: readonly number[], target: number): SampleThresholds {
  const thresholds: number[] = [];
  const tasks: (TaskThreshold | null)[] = [];
  for (let i = 0; i < deltas.length; i++) {
    const d = deltas[i]!;
    const n = d.length;
    const k = keepCounts[i]!;
    // A threshold at either end (keep nothing, keep everything) has no sampling error to carry.
    if (k <= 0 || n === 0) {
      thresholds.push(Infinity);
      tasks.push(null);
      continue;
    }
    if (k >= n) {
      thresholds.push(orderStatistics(d, [0], "magnitude")[0]!);
      tasks.push(null);
      continue;
    }
    const rank = n - k; // ascending rank of the k-th largest
    const width = Math.max(4, Math.ceil(Math.sqrt(n)));
    const [lo, q, hi] = orderStatistics(d, [Math.max(0, rank - width), rank, Math.min(n - 1, rank + width - 1)], "magnitude") as [
      number,
      number,
      number,
    ];
    // How the sample splits around q, on the magnitude bits (integer compares, one pass).
    const bits = bitsOf(d);
    const qKey = keyOf(bitsOf(Float32Array.of(q))[0]!, false);
    let atQ = 0;
    let aboveQ = 0;
    let upKey = 0xffffffff;
    let downKey = -1;
    for (let e = 0; e < n; e++) {
      const key = bits[e]! & 0x7fffffff;
      if (key === qKey) atQ++;
      else if (key > qKey) {
        aboveQ++;
        if (key < upKey) upKey = key;
      } else if (key > downKey) downKey = key;
    }
    const up = upKey === 0xffffffff ? Infinity : valueOfKey(upKey, false);
    const down = downKey < 0 ? -Infinity : valueOfKey(downKey, false);
    thresholds.push(q);
    tasks.push({
      q,
      band: atQ >= 2 ? null : [lo, hi],
      atom: atQ >= 2 ? { atQ, aboveQ, up: Number.isFinite(up) ? up : null, down: Number.isFinite(down) ? down : null } : null,
      target,
    });
  }
  return { thresholds, tasks };
}

/** A possible discrete error: the totals would change by `delta` (sample units) with probability p. */
export interface ThresholdFlip {
  delta: Float64Array;
  probability: number;
}

export interface ThresholdError {
  /** tasks × layout.size: row i is the jump of every total when task i's threshold moves. */
  slopes: Float64Array;
  flips: ThresholdFlip[];
}

export function thresholdError(layout: VariableLayout, deltas: readonly Float32Array[], sample: SampleThresholds): ThresholdError {
  const n = layout.tasks;
  const K = layout.size;
  const { thresholds } = sample;
  const slopes = new Float64Array(n * K);
  const flips: ThresholdFlip[] = [];
  const length = deltas[0]?.length ?? 0;
  const keep = new Array<boolean>(n).fill(false);
  const lostKept = new Float64Array(n);
  const lostTrimmed = new Float64Array(n);
  let members = new Int32Array(64);

  /** Σ over the members of h(i kept) − h(i trimmed), into out (removed, lost, conflict entries). */
  const jumps = (i: number, count: number, out: Float64Array): void => {
    for (let m = 0; m < count; m++) {
      const e = members[m]!;
      for (let j = 0; j < n; j++) keep[j] = Math.abs(deltas[j]![e]!) >= thresholds[j]!;
      keep[i] = true;
      const withI = electionOutcome(deltas, e, keep, lostKept);
      keep[i] = false;
      const withoutI = electionOutcome(deltas, e, keep, lostTrimmed);
      out[layout.conflict]! += withI - withoutI;
      for (let j = 0; j < n; j++) out[layout.lost(j)]! += lostKept[j]! - lostTrimmed[j]!;
      out[layout.removed(i)]! -= Math.abs(deltas[i]![e]!);
    }
  };
  /** Indices of the sample elements of task i whose magnitude is in [lo, hi]. */
  const collect = (i: number, lo: number, hi: number): number => {
    const di = deltas[i]!;
    let found = 0;
    for (let e = 0; e < length; e++) {
      const a = Math.abs(di[e]!);
      if (a >= lo && a <= hi) {
        if (found === members.length) members = grow(members);
        members[found++] = e;
      }
    }
    return found;
  };

  for (let i = 0; i < n; i++) {
    const t = sample.tasks[i];
    if (!t) continue;
    if (t.band) {
      const count = collect(i, t.band[0], t.band[1]);
      if (count === 0) continue;
      const sum = new Float64Array(K);
      jumps(i, count, sum);
      for (let k = 0; k < K; k++) slopes[i * K + k] = sum[k]! / count;
      slopes[i * K + layout.removed(i)] = -t.q; // exact for the removed mass
      continue;
    }
    const atom = t.atom!;
    const se = (share: number): number => Math.sqrt(Math.max(share * (1 - share), 1 / length) / length);
    if (atom.up !== null) {
      // The true threshold is `up` or above when at least the target share lies above q.
      const share = atom.aboveQ / length;
      const probability = normalCdf((share - t.target) / se(share));
      const delta = new Float64Array(K);
      jumps(i, collect(i, t.q, t.q), delta);
      for (let k = 0; k < K; k++) delta[k] = -delta[k]!; // the atom at q would be trimmed
      flips.push({ delta, probability });
    }
    if (atom.down !== null) {
      // The true threshold is `down` or below when less than the target share reaches q.
      const share = (atom.atQ + atom.aboveQ) / length;
      const probability = normalCdf((t.target - share) / se(share));
      const delta = new Float64Array(K);
      jumps(i, collect(i, atom.down, atom.down), delta); // the atom below would be kept
      flips.push({ delta, probability });
    }
  }
  return { slopes, flips };
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
export function linearisedRows(layout: VariableLayout, rows: Float64Array, below: Float64Array, slopes: Float64Array): Float64Array {
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
