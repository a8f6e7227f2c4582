/**
 * Metrics from totals. Each metric is a smooth function of the summed variables; in sampled mode its
 * standard error comes from the delta method, gᵀ·Cov·g with g the metric's gradient in the totals.
 */
import type { Totals } from "./totals.js";
import type { Estimate, GroupMetrics, PcbMetrics } from "./report.js";

/** A metric's value and its gradient as sparse (variable, coefficient) terms. */
interface Linearised {
  value: number;
  gradient: Map<number, number>;
}

type Terms = [index: number, coef: number][];

function addTo(g: Map<number, number>, index: number, coef: number): void {
  g.set(index, (g.get(index) ?? 0) + coef);
}

function sumTerms(values: Float64Array, terms: Terms): number {
  let s = 0;
  for (const [i, c] of terms) s += c * values[i]!;
  return s;
}

/** Σnum / Σden, or null when the denominator is 0. */
function ratio(values: Float64Array, num: Terms, den: Terms): Linearised | null {
  const y = sumTerms(values, num);
  const x = sumTerms(values, den);
  if (!(x > 0) && !(x < 0)) return null;
  const r = y / x;
  const gradient = new Map<number, number>();
  for (const [i, c] of num) addTo(gradient, i, c / x);
  for (const [i, c] of den) addTo(gradient, i, (-r * c) / x);
  return { value: r, gradient };
}

/** z of a two-sided normal interval at `confidence` (Acklam's rational approximation of Φ⁻¹). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`quantile of ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  if (p < lowTail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lowTail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * Student's t quantile by the Cornish–Fisher expansion around z (accurate to about 1% from 3 degrees
 * of freedom): block-level variances of a few tensors have few degrees of freedom.
 */
export function studentQuantile(p: number, df: number): number {
  const z = normalQuantile(p);
  if (!(df > 0) || !Number.isFinite(df)) return z;
  const z3 = z * z * z;
  const z5 = z3 * z * z;
  const z7 = z5 * z * z;
  return (
    z +
    (z3 + z) / (4 * df) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * df * df) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df * df * df)
  );
}

export class MetricBuilder {
  private readonly totals: Totals;
  private readonly z: number;

  /** `confidence` is used only when the totals carry a covariance (sampled mode). */
  constructor(totals: Totals, confidence: number) {
    this.totals = totals;
    this.z = studentQuantile(0.5 + confidence / 2, totals.degreesOfFreedom);
  }

  private variance(g: Map<number, number>): number {
    const cov = this.totals.covariance!;
    const K = this.totals.layout.size;
    let v = 0;
    for (const [p, gp] of g) for (const [q, gq] of g) v += gp * gq * cov[p * K + q]!;
    return Math.max(0, v);
  }

  /** An estimate clipped to the metric's natural range. */
  estimate(m: Linearised | null, range: [number, number]): Estimate {
    if (m === null || !Number.isFinite(m.value)) return { value: null };
    const value = Math.min(range[1], Math.max(range[0], m.value));
    if (!this.totals.covariance) return { value };
    const half = this.z * Math.sqrt(this.variance(m.gradient));
    return { value, ci: [Math.max(range[0], m.value - half), Math.min(range[1], m.value + half)] };
  }

  ratio(num: Terms, den: Terms, range: [number, number] = [0, 1]): Estimate {
    return this.estimate(ratio(this.totals.values, num, den), range);
  }

  /**
   * A share of elements (or one driven by rare element events, like the election loss): a Wilson
   * score interval on the effective sample size p(1−p)/Var, never more than the elements read. Rare
   * events seen a few times or not at all in a sample have a block variance near 0; the binomial
   * floor keeps their interval honest (for p̂ = 0 its upper end is about z²/n).
   */
  proportion(num: Terms, den: Terms): Estimate {
    const m = ratio(this.totals.values, num, den);
    if (m === null || !Number.isFinite(m.value)) return { value: null };
    const p = Math.min(1, Math.max(0, m.value));
    if (!this.totals.covariance) return { value: p };
    if (this.totals.sampled >= this.totals.elements) return { value: p, ci: [p, p] }; // read whole
    const variance = this.variance(m.gradient);
    const read = Math.max(1, this.totals.sampled);
    const n = variance > 0 && p > 0 && p < 1 ? Math.min(read, (p * (1 - p)) / variance) : read;
    const z2 = this.z * this.z;
    const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
    const half = (this.z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
    return { value: p, ci: [Math.max(0, Math.min(p, centre - half)), Math.min(1, Math.max(p, centre + half))] };
  }

  /**
   * A task's L2 norm, √Σδ². The sum is estimated as N · (Σδ² / elements) over what was read: a ratio
   * to the exactly known element count N, steadier than the plain expanded total. Its interval is
   * mapped through √.
   */
  norm(index: number): Estimate {
    const L = this.totals.layout;
    const elements = this.totals.elements;
    const r = ratio(this.totals.values, [[index, 1]], [[L.count, 1]]);
    if (r === null) return { value: 0 };
    const value = Math.sqrt(Math.max(0, elements * r.value));
    if (!this.totals.covariance) return { value };
    const half = this.z * Math.sqrt(this.variance(r.gradient));
    return {
      value,
      ci: [Math.sqrt(Math.max(0, elements * (r.value - half))), Math.sqrt(Math.max(0, elements * (r.value + half)))],
    };
  }

  /** Cosine of tasks i and j: dot / √(‖δi‖²‖δj‖²). */
  cosine(i: number, j: number): Linearised | null {
    const L = this.totals.layout;
    const v = this.totals.values;
    const dot = v[L.dot(i, j)]!;
    const a = v[L.sumsq(i)]!;
    const b = v[L.sumsq(j)]!;
    if (!(a > 0 && b > 0)) return null;
    const value = dot / Math.sqrt(a * b);
    const gradient = new Map<number, number>([
      [L.dot(i, j), 1 / Math.sqrt(a * b)],
      [L.sumsq(i), -value / (2 * a)],
      [L.sumsq(j), -value / (2 * b)],
    ]);
    return { value, gradient };
  }

  /** Mean of the defined pairwise cosines. */
  meanCosine(): Estimate {
    const n = this.totals.layout.tasks;
    const parts: Linearised[] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
      const c = this.cosine(i, j);
      if (c) parts.push(c);
    }
    if (parts.length === 0) return { value: null };
    const gradient = new Map<number, number>();
    let value = 0;
    for (const p of parts) {
      value += p.value / parts.length;
      for (const [k, c] of p.gradient) addTo(gradient, k, c / parts.length);
    }
    return this.estimate({ value, gradient }, [-1, 1]);
  }

  /** Pooled standard deviation of β over all tasks' elements. */
  betaSpread(): Estimate {
    const L = this.totals.layout;
    const v = this.totals.values;
    const n = L.tasks;
    const count = v[L.count]! * n;
    if (!(count > 0)) return { value: null };
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      s1 += v[L.pcbBetaSum(i)]!;
      s2 += v[L.pcbBetaSq(i)]!;
    }
    const mean = s1 / count;
    const variance = Math.max(0, s2 / count - mean * mean);
    const sd = Math.sqrt(variance);
    if (sd === 0) return this.estimate({ value: 0, gradient: new Map() }, [0, Infinity]);
    // d sd = d variance / (2 sd); variance = s2/(nC) − (s1/(nC))².
    const gradient = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      addTo(gradient, L.pcbBetaSq(i), 1 / count / (2 * sd));
      addTo(gradient, L.pcbBetaSum(i), (-2 * mean) / count / (2 * sd));
    }
    addTo(gradient, L.count, ((n * (-s2 + 2 * mean * s1)) / (count * count)) / (2 * sd));
    return this.estimate({ value: sd, gradient }, [0, Infinity]);
  }
}

/** All metrics of one group (or of the whole model) from its totals. */
export function groupMetrics(totals: Totals, confidence: number): GroupMetrics {
  const L = totals.layout;
  const n = L.tasks;
  const m = new MetricBuilder(totals, confidence);
  const tasks = Array.from({ length: n }, (_, i) => i);
  const l1 = (i: number): Terms => [[L.l1(i), 1]];
  const kept = (i: number): Terms => [[L.l1(i), 1], [L.removed(i), -1]];
  const matrix = tasks.map((i) =>
    tasks.map((j) => {
      if (i === j) return totals.values[L.sumsq(i)]! > 0 ? 1 : null;
      const c = m.cosine(i, j);
      return c === null ? null : Math.min(1, Math.max(-1, c.value));
    }),
  );
  const metrics: GroupMetrics = {
    elements: totals.elements,
    sampled: totals.sampled,
    tensors: totals.tensors,
    redundancy: m.ratio(tasks.map((i) => [L.removed(i), 1]), tasks.flatMap(l1)),
    redundancy_by_task: tasks.map((i) => m.ratio([[L.removed(i), 1]], l1(i))),
    sign_conflict: m.proportion([[L.conflict, 1]], [[L.count, 1]]),
    lost_to_election: m.proportion(tasks.map((i) => [L.lost(i), 1]), tasks.flatMap(kept)),
    lost_by_task: tasks.map((i) => m.proportion([[L.lost(i), 1]], kept(i))),
    cosine: m.meanCosine(),
    cosine_matrix: matrix,
    norm: tasks.map((i) => m.norm(L.sumsq(i))),
  };
  if (L.pcb) metrics.pcb = pcbMetrics(totals, m);
  return metrics;
}

function pcbMetrics(totals: Totals, m: MetricBuilder): PcbMetrics {
  const L = totals.layout;
  const tasks = Array.from({ length: L.tasks }, (_, i) => i);
  return {
    dropped: m.proportion(tasks.map((i) => [L.pcbDropped(i), 1]), [[L.count, L.tasks]]),
    dropped_by_task: tasks.map((i) => m.proportion([[L.pcbDropped(i), 1]], [[L.count, 1]])),
    beta_mean: tasks.map((i) => m.ratio([[L.pcbBetaSum(i), 1]], [[L.count, 1]], [-Infinity, Infinity])),
    // β's spread hangs on PCB's min/max normalisations, i.e. on the tensor's extremes, which a sample
    // only extrapolates: in sampled mode it is a point estimate without an interval.
    beta_spread: totals.covariance ? { value: m.betaSpread().value } : m.betaSpread(),
    scale_share: tasks.map((i) => m.ratio([[L.pcbScale(i), 1]], tasks.map((j) => [L.pcbScale(j), 1]))),
  };
}
