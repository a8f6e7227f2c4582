/**
 * In sampled mode each task's trimming threshold is itself estimated (the sample's k-th magnitude),
 * and its error moves every threshold-dependent total (mass removed, sign conflicts, election loss).
 * The true cut, counted in sample elements kept, is modelled as κ* ~ N(k, sd²), sd from the spread
 * of the kept counts between blocks; two parts follow from it.
 *
 * Smooth part (distinct magnitudes): the delta method through the quantile's influence function.
 * A total h behaves like   h + g · (1[|δ| < q] − p)   where p is the share trimmed and
 * g = E[h(kept) − h(trimmed) | |δ| = q], the jump in h when one element at the threshold changes
 * side: exactly −q for the removed mass, averaged over the sample's elements near the threshold for
 * conflicts and election loss. The block spread of these linearised totals gives the covariance.
 *
 * Tied magnitudes (bf16 deltas sit on a grid of ulps, so many elements share one magnitude): the
 * truth keeps or trims a whole tie group at once, and a sample cannot tell on which side of a group
 * a knife-edge count falls. Each group near the cut flips with the probability that κ* crosses its
 * edge; the errors of these nested flips (their second moment, bias included) add to the covariance.
 * Where one tie group spans the cut's whole uncertainty the threshold is locked to it, and the smooth
 * part gives way to the plain block variance.
 */
import type { VariableLayout } from "./layout.js";
import { bitsOf, selectKeys, valueOfKey } from "./select.js";
import { electionOutcome } from "./ties-kernel.js";

/** Φ, the standard normal CDF (Abramowitz–Stegun 7.1.26 through erf; error below 1e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** A run of equal magnitudes in the sample: `count` elements, `above` of them strictly larger. */
interface Run {
  key: number;
  value: number;
  count: number;
  above: number;
}

/** One task's threshold as estimated from its sample, with the sorted magnitudes around it. */
export interface TaskThreshold {
  q: number;
  /** Elements the sample keeps by count (k of the sample). */
  keep: number;
  /** Distinct magnitudes around q, ascending, with exact counts. */
  runs: Run[];
}

export interface SampleThresholds {
  thresholds: number[];
  /** null where nothing or everything is kept (no sampling error to carry). */
  tasks: (TaskThreshold | null)[];
}

const Z95 = 1.959964;

/** Each task's threshold (the k-th largest |δ| of its sample) with the magnitudes around it. */
export function sampleThresholds(deltas: readonly Float32Array[], keepCounts: readonly number[]): SampleThresholds {
  const thresholds: number[] = [];
  const tasks: (TaskThreshold | null)[] = [];
  for (let i = 0; i < deltas.length; i++) {
    const d = deltas[i]!;
    const n = d.length;
    const k = keepCounts[i]!;
    if (k <= 0 || n === 0) {
      thresholds.push(Infinity);
      tasks.push(null);
      continue;
    }
    const rank = n - Math.min(k, n); // ascending rank of the k-th largest
    // Wide enough for the tie groups within 2.5 95%-half-widths of the cut, design effect up to 2.
    const spread = Math.sqrt((k * (n - k)) / n);
    const width = Math.ceil(2.5 * Z95 * Math.SQRT2 * spread) + 8;
    const low = Math.max(0, rank - width);
    const high = Math.min(n - 1, rank + width);
    const { keys } = selectKeys(d, low, high, false);
    const q = valueOfKey(keys[rank - low]!, false);
    thresholds.push(q);
    if (k >= n) {
      tasks.push(null);
      continue;
    }
    // Exact counts of the window's two end values, which may continue beyond it.
    const firstKey = keys[0]!;
    const lastKey = keys[keys.length - 1]!;
    const bits = bitsOf(d);
    let below = 0;
    let atFirst = 0;
    let atLast = 0;
    for (let e = 0; e < n; e++) {
      const key = bits[e]! & 0x7fffffff;
      if (key < firstKey) below++;
      else if (key <= lastKey) {
        if (key === firstKey) atFirst++;
        if (key === lastKey) atLast++;
      }
    }
    const runs: Run[] = [];
    let start = below;
    for (let j = 0; j < keys.length; ) {
      const key = keys[j]!;
      let end = j;
      while (end < keys.length && keys[end] === key) end++;
      const count = key === firstKey ? atFirst : key === lastKey ? atLast : end - j;
      runs.push({ key, value: valueOfKey(key, false), count, above: n - start - count });
      start += count;
      j = end;
    }
    tasks.push({ q, keep: k, runs });
  }
  return { thresholds, tasks };
}

export interface ThresholdError {
  /** tasks × layout.size: row i is the jump of every total when task i's threshold moves. */
  slopes: Float64Array;
  /** size × size second moment of the tie-group flips, in sample units. */
  moments: Float64Array;
}

/**
 * The threshold error of one sampled tensor. `rows`/`below` are the kernel's block totals and trimmed
 * counts; `fraction` is the share of the tensor's blocks that were drawn.
 */
export function thresholdError(
  layout: VariableLayout,
  deltas: readonly Float32Array[],
  sample: SampleThresholds,
  rows: Float64Array,
  below: Float64Array,
  fraction: number,
): ThresholdError {
  const n = layout.tasks;
  const K = layout.size;
  const blocks = rows.length / K;
  const slopes = new Float64Array(n * K);
  const moments = new Float64Array(K * K);
  const length = deltas[0]?.length ?? 0;
  const keep = new Array<boolean>(n).fill(false);
  const lostKept = new Float64Array(n);
  const lostTrimmed = new Float64Array(n);

  // Per tie group (run) of a task: the jumps of conflict, each task's loss, and the removed mass.
  const stride = n + 2;
  /** Adds h(i kept) − h(i trimmed) of one element into acc[at..at+stride). */
  const jump = (i: number, element: number, acc: Float64Array, at: number): void => {
    for (let j = 0; j < n; j++) keep[j] = Math.abs(deltas[j]![element]!) >= sample.thresholds[j]!;
    keep[i] = true;
    const withI = electionOutcome(deltas, element, keep, lostKept);
    keep[i] = false;
    const withoutI = electionOutcome(deltas, element, keep, lostTrimmed);
    acc[at]! += withI - withoutI;
    for (let j = 0; j < n; j++) acc[at + 1 + j]! += lostKept[j]! - lostTrimmed[j]!;
    acc[at + 1 + n]! -= Math.abs(deltas[i]![element]!);
  };
  /** A run's jumps as a full-size vector (for the slopes and flip moments). */
  const spread = (acc: Float64Array, at: number, i: number, scale: number, out: Float64Array): void => {
    out[layout.conflict]! += scale * acc[at]!;
    for (let j = 0; j < n; j++) out[layout.lost(j)]! += scale * acc[at + 1 + j]!;
    out[layout.removed(i)]! += scale * acc[at + 1 + n]!;
  };

  for (let i = 0; i < n; i++) {
    const t = sample.tasks[i];
    if (!t || t.runs.length === 0) continue;
    // sd of the true cut, in sample elements: the block spread of kept counts, at least binomial.
    let mean = 0;
    for (let b = 0; b < blocks; b++) mean += (rows[b * K + layout.count]! - below[b * n + i]!) / blocks;
    let ss = 0;
    for (let b = 0; b < blocks; b++) ss += (rows[b * K + layout.count]! - below[b * n + i]! - mean) ** 2;
    const finite = Math.max(0, 1 - fraction);
    const blockSd = blocks > 1 ? Math.sqrt((blocks * finite * ss) / (blocks - 1)) : 0;
    const binomialSd = Math.sqrt((finite * t.keep * (length - t.keep)) / length);
    const sd = Math.max(blockSd, binomialSd, 0.5);
    const w = Z95 * sd;
    const reach = 2.5 * w;
    // Only runs within reach of the cut matter (those within ±w also give the smooth slope).
    const runs = t.runs;
    const near = (r: Run, margin: number): boolean => r.above + r.count >= t.keep - margin && r.above <= t.keep + margin;
    let firstRun = 0;
    while (firstRun < runs.length - 1 && !near(runs[firstRun]!, reach)) firstRun++;
    let lastRun = runs.length - 1;
    while (lastRun > firstRun && !near(runs[lastRun]!, reach)) lastRun--;
    const runKeys = Uint32Array.from(runs.slice(firstRun, lastRun + 1), (r) => r.key);
    const acc = new Float64Array(runKeys.length * stride);
    const lowKey = runKeys[0]!;
    const highKey = runKeys[runKeys.length - 1]!;
    const bits = bitsOf(deltas[i]!);
    for (let e = 0; e < length; e++) {
      const key = bits[e]! & 0x7fffffff;
      if (key < lowKey || key > highKey) continue;
      // Binary search for the element's run (runs are sorted by key).
      let a = 0;
      let b = runKeys.length - 1;
      while (a < b) {
        const m = (a + b) >>> 1;
        if (runKeys[m]! < key) a = m + 1;
        else b = m;
      }
      jump(i, e, acc, a * stride);
    }

    // Smooth part: mean jump of the elements within the cut's 95% range.
    const slope = new Float64Array(K);
    let members = 0;
    let qRun: Run | null = null;
    for (let r = firstRun; r <= lastRun; r++) {
      const run = runs[r]!;
      if (run.value === t.q) qRun = run;
      if (!near(run, w)) continue;
      members += run.count;
      spread(acc, (r - firstRun) * stride, i, 1, slope);
    }
    // The share of the cut's range that q's own tie group spans: that much the threshold is locked.
    const locked = qRun
      ? Math.max(0, Math.min(qRun.above + qRun.count, t.keep + w) - Math.max(qRun.above, t.keep - w)) / (2 * w)
      : 0;
    if (members > 0) {
      for (let k = 0; k < K; k++) slopes[i * K + k] = ((1 - locked) * slope[k]!) / members;
      slopes[i * K + layout.removed(i)] = -(1 - locked) * t.q;
    }

    // Tie groups near the cut: nested flips on each side of it.
    const cdf = (edge: number): number => normalCdf((edge - t.keep) / sd);
    const keptSide: number[] = [];
    const trimmedSide: number[] = [];
    for (let r = firstRun; r <= lastRun; r++) {
      const run = runs[r]!;
      if (run.count < 2) continue;
      (run.above < t.keep ? keptSide : trimmedSide).push(r);
    }
    keptSide.sort((a, b) => runs[b]!.above - runs[a]!.above);
    trimmedSide.sort((a, b) => runs[a]!.above - runs[b]!.above);
    const cumulative = new Float64Array(K);
    // The truth trims the nearest kept groups when κ* ≤ their `above`.
    keptSide.forEach((r, m) => {
      spread(acc, (r - firstRun) * stride, i, -1, cumulative);
      const next = keptSide[m + 1];
      addOuter(moments, cumulative, cdf(runs[r]!.above) - (next === undefined ? 0 : cdf(runs[next]!.above)), K);
    });
    // The truth keeps the nearest trimmed groups when κ* > their `above`.
    cumulative.fill(0);
    trimmedSide.forEach((r, m) => {
      spread(acc, (r - firstRun) * stride, i, 1, cumulative);
      const next = trimmedSide[m + 1];
      addOuter(moments, cumulative, (next === undefined ? 1 : cdf(runs[next]!.above)) - cdf(runs[r]!.above), K);
    });
  }
  return { slopes, moments };
}

function addOuter(m: Float64Array, v: Float64Array, weight: number, K: number): void {
  if (!(weight > 0)) return;
  for (let p = 0; p < K; p++) {
    const vp = v[p]!;
    if (vp === 0) continue;
    for (let q = 0; q < K; q++) m[p * K + q]! += weight * vp * v[q]!;
  }
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
