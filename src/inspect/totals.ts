/**
 * An accumulator of report variables over some tensors: point totals, plus (when sampled) the
 * estimated covariance of those totals. Both simply add, so a layer is the sum of its tensors and
 * the model the sum of everything: totals are ratios of sums, never means of ratios.
 */
import type { VariableLayout } from "./layout.js";

export class Totals {
  readonly layout: VariableLayout;
  /** Point totals (estimated, in sampled mode). */
  readonly values: Float64Array;
  /** Covariance of `values` (size × size, row-major); null in exact mode. */
  readonly covariance: Float64Array | null;
  /** Exact number of elements per task, and how many of them were read. */
  elements = 0;
  sampled = 0;
  tensors = 0;
  /** Σ (blocks − 1) over sampled tensors: the degrees of freedom of the variance estimate. */
  degreesOfFreedom = 0;

  constructor(layout: VariableLayout, withCovariance: boolean) {
    this.layout = layout;
    this.values = new Float64Array(layout.size);
    this.covariance = withCovariance ? new Float64Array(layout.size * layout.size) : null;
  }

  add(other: Totals): void {
    if (other.layout.size !== this.layout.size) throw new Error("adding totals of different layouts");
    for (let k = 0; k < this.values.length; k++) this.values[k]! += other.values[k]!;
    if (this.covariance && other.covariance) {
      for (let k = 0; k < this.covariance.length; k++) this.covariance[k]! += other.covariance[k]!;
    }
    this.elements += other.elements;
    this.sampled += other.sampled;
    this.tensors += other.tensors;
    this.degreesOfFreedom += other.degreesOfFreedom;
  }

  /**
   * Adds one tensor from per-block totals (`blocks` rows of `size`). The tensor was cut into
   * `population` blocks of which `blocks` were drawn at random without replacement; the
   * Horvitz–Thompson total is population/blocks · Σ rows. `varianceRows` (same shape) are the
   * linearised variables whose spread gives the covariance (the point rows when omitted); a tensor
   * read whole (blocks = population) adds no variance.
   */
  addTensor(
    rows: Float64Array,
    blocks: number,
    population: number,
    elements: number,
    sampled: number,
    varianceRows: Float64Array = rows,
  ): void {
    const K = this.layout.size;
    if (rows.length !== blocks * K || varianceRows.length !== blocks * K) throw new Error("block rows do not match the layout");
    if (blocks < 1 || population < blocks) throw new Error(`cannot draw ${blocks} of ${population} blocks`);
    const expand = population / blocks;
    for (let b = 0; b < blocks; b++) {
      for (let k = 0; k < K; k++) this.values[k]! += expand * rows[b * K + k]!;
    }
    this.elements += elements;
    this.sampled += sampled;
    this.tensors += 1;
    if (!this.covariance || blocks === population) return;
    if (blocks < 2) throw new Error("a sampled tensor needs at least two blocks to estimate its variance");
    this.degreesOfFreedom += blocks - 1;
    // Var(HT total) = M²(1 − m/M)/m · s², s² the sample covariance of block totals.
    const factor = (population * population * (1 - blocks / population)) / blocks / (blocks - 1);
    const mean = new Float64Array(K);
    for (let b = 0; b < blocks; b++) for (let k = 0; k < K; k++) mean[k]! += varianceRows[b * K + k]! / blocks;
    const centred = new Float64Array(K);
    const cov = this.covariance;
    for (let b = 0; b < blocks; b++) {
      for (let k = 0; k < K; k++) centred[k] = varianceRows[b * K + k]! - mean[k]!;
      for (let p = 0; p < K; p++) {
        const cp = centred[p]!;
        if (cp === 0) continue;
        const row = p * K;
        for (let q = 0; q < K; q++) cov[row + q]! += factor * cp * centred[q]!;
      }
    }
  }

  /** Adds weight·m (size × size) to the covariance: a variance source outside the block spread. */
  addCovariance(m: Float64Array, weight: number): void {
    if (!this.covariance || !(weight > 0)) return;
    for (let k = 0; k < m.length; k++) this.covariance[k]! += weight * m[k]!;
  }
}
