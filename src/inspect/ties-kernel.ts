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
  const kept = new Float64Array(n);
  const l1 = Array.from({ length: n }, (_, i) => layout.l1(i));
  const removed = Array.from({ length: n }, (_, i) => layout.removed(i));
  const sumsq = Array.from({ length: n }, (_, i) => layout.sumsq(i));
  const lost = Array.from({ length: n }, (_, i) => layout.lost(i));
  const pairs: [number, number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j, layout.dot(i, j)]);

  for (let b = 0; b < blocks; b++) {
    const row = b * K;
    const start = bounds[b]!;
    const end = bounds[b + 1]!;
    rows[row + layout.count]! += end - start;
    for (let e = start; e < end; e++) {
      let sum = 0;
      let positive = false;
      let negative = false;
      for (let i = 0; i < n; i++) {
        const d = deltas[i]![e]!;
        const a = Math.abs(d);
        rows[row + l1[i]!]! += a;
        rows[row + sumsq[i]!]! += d * d;
        if (a >= thresholds[i]!) {
          kept[i] = d;
          sum += d;
          if (d > 0) positive = true;
          else if (d < 0) negative = true;
        } else {
          kept[i] = 0;
          rows[row + removed[i]!]! += a;
          if (below) below[b * n + i]!++;
        }
      }
      if (positive && negative) {
        rows[row + layout.conflict]!++;
        // Only a mixed-sign element can lose mass to the election.
        const elected = sum >= 0;
        for (let i = 0; i < n; i++) {
          const t = kept[i]!;
          if (t !== 0 && t > 0 !== elected) rows[row + lost[i]!]! += Math.abs(t);
        }
      }
      for (let p = 0; p < pairs.length; p++) {
        const [i, j, slot] = pairs[p]!;
        rows[row + slot]! += deltas[i]![e]! * deltas[j]![e]!;
      }
    }
  }
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
