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
    // A whole tensor is one block of up to hundreds of millions of elements: it is walked in
    // cache-sized chunks, every loop below on one chunk before the next, so each delta comes from
    // memory once; two accumulators per sum halve the floating-point dependency chains.
    for (let c = start; c < end; c += CHUNK) {
      const stop = Math.min(end, c + CHUNK);
      taskTotals(layout, deltas, c, stop, thresholds, rows, row, below, b);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) rows[row + layout.dot(i, j)]! += dot(deltas[i]!, deltas[j]!, c, stop);
      electionTotals(layout, deltas, c, stop, thresholds, rows, row);
    }
  }
}

/** Elements per chunk: the task vectors' chunks stay in the L2 cache between the loops. */
const CHUNK = 8192;

/** Each task's L1 mass, trimmed mass, squared norm (and trimmed count) over [start, end). */
function taskTotals(
  layout: VariableLayout,
  deltas: readonly Float32Array[],
  start: number,
  end: number,
  thresholds: readonly number[],
  rows: Float64Array,
  row: number,
  below: Float64Array | null,
  block: number,
): void {
  const n = deltas.length;
  for (let i = 0; i < n; i++) {
    const d = deltas[i]!;
    const q = thresholds[i]!;
    let l1a = 0;
    let l1b = 0;
    let sqa = 0;
    let sqb = 0;
    let removed = 0;
    let trimmed = 0;
    let e = start;
    for (; e + 1 < end; e += 2) {
      const x = d[e]!;
      const y = d[e + 1]!;
      const a = Math.abs(x);
      const c = Math.abs(y);
      l1a += a;
      l1b += c;
      sqa += x * x;
      sqb += y * y;
      if (!(a >= q)) {
        removed += a;
        trimmed++;
      }
      if (!(c >= q)) {
        removed += c;
        trimmed++;
      }
    }
    if (e < end) {
      const x = d[e]!;
      const a = Math.abs(x);
      l1a += a;
      sqa += x * x;
      if (!(a >= q)) {
        removed += a;
        trimmed++;
      }
    }
    rows[row + layout.l1(i)]! += l1a + l1b;
    rows[row + layout.removed(i)]! += removed;
    rows[row + layout.sumsq(i)]! += sqa + sqb;
    if (below) below[block * n + i]! += trimmed;
  }
}

/** Σ x·y over [start, end). */
function dot(x: Float32Array, y: Float32Array, start: number, end: number): number {
  let a = 0;
  let b = 0;
  let e = start;
  for (; e + 1 < end; e += 2) {
    a += x[e]! * y[e]!;
    b += x[e + 1]! * y[e + 1]!;
  }
  if (e < end) a += x[e]! * y[e]!;
  return a + b;
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
  if (n === 3) {
    electionTotals3(layout, deltas, start, end, thresholds, rows, row);
    return;
  }
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
 * electionTotals for three task vectors (the usual report), with the vectors and thresholds in
 * locals and an early exit for elements that keep fewer than two values (no conflict possible): at
 * density 0.2 that is nine elements in ten. Same totals as the general loop.
 */
function electionTotals3(
  layout: VariableLayout,
  deltas: readonly Float32Array[],
  start: number,
  end: number,
  thresholds: readonly number[],
  rows: Float64Array,
  row: number,
): void {
  const d0 = deltas[0]!;
  const d1 = deltas[1]!;
  const d2 = deltas[2]!;
  const q0 = thresholds[0]!;
  const q1 = thresholds[1]!;
  const q2 = thresholds[2]!;
  let conflicts = 0;
  let lost0 = 0;
  let lost1 = 0;
  let lost2 = 0;
  for (let e = start; e < end; e++) {
    const x0 = d0[e]!;
    const x1 = d1[e]!;
    const x2 = d2[e]!;
    const k0 = Math.abs(x0) >= q0;
    const k1 = Math.abs(x1) >= q1;
    const k2 = Math.abs(x2) >= q2;
    if ((k0 ? 1 : 0) + (k1 ? 1 : 0) + (k2 ? 1 : 0) < 2) continue;
    const v0 = k0 ? x0 : 0;
    const v1 = k1 ? x1 : 0;
    const v2 = k2 ? x2 : 0;
    if (!((v0 > 0 || v1 > 0 || v2 > 0) && (v0 < 0 || v1 < 0 || v2 < 0))) continue;
    conflicts++;
    // The same order of additions as the general loop: the same elected sign on ties.
    let sum = 0;
    if (k0) sum += x0;
    if (k1) sum += x1;
    if (k2) sum += x2;
    const elected = sum >= 0;
    if (v0 !== 0 && v0 > 0 !== elected) lost0 += Math.abs(v0);
    if (v1 !== 0 && v1 > 0 !== elected) lost1 += Math.abs(v1);
    if (v2 !== 0 && v2 > 0 !== elected) lost2 += Math.abs(v2);
  }
  rows[row + layout.lost(0)]! += lost0;
  rows[row + layout.lost(1)]! += lost1;
  rows[row + layout.lost(2)]! += lost2;
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
