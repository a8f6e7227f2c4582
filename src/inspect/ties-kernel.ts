/**
 * The TIES view of one tensor's task vectors, summed per block: L1 mass, mass trimming removes,
 * squared norms, pairwise dot products, sign conflicts after trimming, and the trimmed mass whose
 * sign loses the election (γ = sign Σ trimmed δ, a zero sum counting as +1).
 */
import type { VariableLayout } from "./layout.js";

/**
 * Adds each block's totals to `rows` (blocks × layout.size). Block b spans elements
 * [bounds[b], bounds[b+1]). `below` (blocks × tasks), when given, counts per block the elements
 * each task trims (|δ| < threshold), which sampled mode needs to linearise its thresholds.
 */
export function tiesBlockTotals(
  layout: VariableLayout,
  deltas: readonly Float32Array[],
  bounds: readonly number[],
  thresholds: readonly number[],
  rows: Float64Array,
  below: Float64Array | null = null,
): void {
  const n = layout.tasks;
  const K = layout.size;
  if (deltas.length !== n || thresholds.length !== n) throw new Error(`expected ${n} task vectors and thresholds`);
  const blocks = bounds.length - 1;
  if (rows.length < blocks * K) throw new Error("rows too short for the blocks");
  for (let b = 0; b < blocks; b++) {
    const row = b * K;
    const start = bounds[b]!;
    const end = bounds[b + 1]!;
    rows[row + layout.count]! += end - start;
    // One tight loop per task for its own sums, one per pair for dot products, then the election.
    for (let i = 0; i < n; i++) {
      const d = deltas[i]!;
      const q = thresholds[i]!;
      let l1 = 0;
      let removed = 0;
      let sumsq = 0;
      let trimmed = 0;
      for (let e = start; e < end; e++) {
        const x = d[e]!;
        const a = Math.abs(x);
        l1 += a;
        sumsq += x * x;
        if (!(a >= q)) {
          removed += a;
          trimmed++;
        }
      }
      rows[row + layout.l1(i)]! += l1;
      rows[row + layout.removed(i)]! += removed;
      rows[row + layout.sumsq(i)]! += sumsq;
      if (below) below[b * n + i]! += trimmed;
    }
    for (let i = 0; i < n; i++) {
      const di = deltas[i]!;
      for (let j = i + 1; j < n; j++) {
        const dj = deltas[j]!;
        let dot = 0;
        for (let e = start; e < end; e++) dot += di[e]! * dj[e]!;
        rows[row + layout.dot(i, j)]! += dot;
      }
    }
    electionTotals(layout, deltas, start, end, thresholds, rows, row);
  }
}

/** Sign conflicts and election losses of elements [start, end) into rows[row..]. */
function electionTotals(
  layout: VariableLayout,
  deltas: readonly Float32Array[],
  start: number,
  end: number,
  thresholds: readonly number[],
  rows: Float64Array,
  row: number,
): void {
  const n = deltas.length;
  let conflicts = 0;
  for (let e = start; e < end; e++) {
    let positive = false;
    let negative = false;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = deltas[i]![e]!;
      if (Math.abs(x) >= thresholds[i]!) {
        sum += x;
        if (x > 0) positive = true;
        else if (x < 0) negative = true;
      }
    }
    if (!(positive && negative)) continue;
    // Only a mixed-sign element can lose mass to the election.
    conflicts++;
    const elected = sum >= 0;
    for (let i = 0; i < n; i++) {
      const x = deltas[i]![e]!;
      if (x !== 0 && Math.abs(x) >= thresholds[i]! && x > 0 !== elected) rows[row + layout.lost(i)]! += Math.abs(x);
    }
  }
  rows[row + layout.conflict]! += conflicts;
}

/**
 * One element's threshold-dependent outcome for a given set of kept flags: the mass each task loses
 * to the election (into `lostOut`) and whether the kept values conflict in sign (returned as 0/1).
 */
export function electionOutcome(
  deltas: readonly Float32Array[],
  element: number,
  keep: readonly boolean[],
  lostOut: Float64Array,
): number {
  const n = deltas.length;
  let sum = 0;
  let positive = false;
  let negative = false;
  for (let i = 0; i < n; i++) {
    lostOut[i] = 0;
    if (!keep[i]) continue;
    const d = deltas[i]![element]!;
    sum += d;
    if (d > 0) positive = true;
    else if (d < 0) negative = true;
  }
  if (!(positive && negative)) return 0;
  const elected = sum >= 0;
  for (let i = 0; i < n; i++) {
    if (!keep[i]) continue;
    const d = deltas[i]![element]!;
    if (d !== 0 && d > 0 !== elected) lostOut[i] = Math.abs(d);
  }
  return 1;
}
