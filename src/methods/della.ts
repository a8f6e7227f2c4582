/**
 * `della(m..., base, density, epsilon: 0.15, lambda: 1.0, weights?, consensus: "sum",
 * normalize: true, seed: 0)`: DELLA-Merging's MAGPRUNE. Within each row (as mergekit ranks, so a
 * row is the unit of work), entries are ranked by magnitude (ties by position); the keep probability
 * rises linearly from density − ε/2 for the smallest to density + ε/2 for the largest (clamped to
 * [0, 1]); a kept entry is divided by its probability. Then TIES's sign election and disjoint merge
 * ("none": the weighted sum, della_linear). Draws are reproducible, as in DARE.
 */
import type { MethodKernel } from "./method.js";
import { ParamError, ParamReader } from "./param-reader.js";
import { streamKey, uniformAt } from "./shared/random.js";
import { type Consensus, sparseMergeBlock } from "./shared/sparse-merge.js";

export interface DellaParams {
  density: number[];
  epsilon: number[];
  lambda: number;
  weights: number[];
  consensus: Consensus;
  normalize: boolean;
  seed: number;
}

/** Rows longer than this are ranked with a comparator (magnitude key and position must fit 2^53). */
const PACKED_ROW_LIMIT = 1 << 22;

/**
 * rank[j] = position of |row[j]| in ascending order, ties by position. Sorts magnitude bits and
 * positions packed into one float64 each, so the native numeric sort does the work.
 */
export function rowRanks(row: Float32Array, ranks: Float64Array, packed: Float64Array): void {
  const len = row.length;
  const bits = new Uint32Array(row.buffer, row.byteOffset, len);
  if (len <= PACKED_ROW_LIMIT) {
    for (let j = 0; j < len; j++) packed[j] = (bits[j]! & 0x7fffffff) * PACKED_ROW_LIMIT + j;
    packed.subarray(0, len).sort();
    for (let r = 0; r < len; r++) ranks[packed[r]! % PACKED_ROW_LIMIT] = r;
    return;
  }
  const order = Array.from({ length: len }, (_, j) => j);
  order.sort((a, b) => (bits[a]! & 0x7fffffff) - (bits[b]! & 0x7fffffff) || a - b);
  order.forEach((j, r) => (ranks[j] = r));
}

export const dellaKernel: MethodKernel<DellaParams, null> = {
  name: "della",
  backend: "cpu",
  inputKind: "models",
  base: "required",
  scopeParams: [],
  rowwise: true,
  parseParams(params, inputCount) {
    const r = new ParamReader(params, "della");
    if (!r.has("density")) throw new ParamError("della: density is required (the mean keep probability)");
    const density = r.perModel("density", inputCount, 0.5);
    for (const d of density) if (!(d > 0 && d <= 1)) throw new ParamError(`della: density must be more than 0 and at most 1, got ${d}`);
    const epsilon = r.perModel("epsilon", inputCount, 0.15);
    r.inRange("epsilon", epsilon, 0, 1);
    const seed = r.number("seed", 0);
    if (!Number.isInteger(seed) || seed < 0) throw new ParamError(`della: seed must be a whole number ≥ 0, got ${seed}`);
    return {
      density,
      epsilon,
      lambda: r.number("lambda", 1),
      weights: r.perModel("weights", inputCount, 1),
      consensus: r.string("consensus", ["none", "sum", "count"] as const, "sum"),
      normalize: r.bool("normalize", true),
      seed,
    };
  },
  apply(params, _stats, chunk, out, ctx) {
    const n = chunk.inputs.length;
    const base = chunk.base!;
    const row = chunk.rowLength;
    if (chunk.length % row !== 0 || chunk.offset % row !== 0) {
      throw new Error(`della works on whole rows of ${row} elements; this tensor's rows do not fit in one chunk`);
    }
    const keys = chunk.inputs.map((_, i) => streamKey(params.seed, ctx.tensor, i));
    const merge = { weights: Float64Array.from(params.weights), consensus: params.consensus, normalize: params.normalize, lambda: params.lambda };
    const ranks = ctx.scratch.f64(3, row);
    const packed = ctx.scratch.f64(4, row);
    for (let s = 0; s < chunk.length; s += row) {
      const kept: Float32Array[] = [];
      for (let i = 0; i < n; i++) {
        const model = chunk.inputs[i]!;
        const k = ctx.scratch.f32(i, row);
        for (let j = 0; j < row; j++) k[j] = model[s + j]! - base[s + j]!;
        rowRanks(k, ranks, packed);
        const lowest = params.density[i]! - params.epsilon[i]! / 2;
        const step = row > 1 ? params.epsilon[i]! / (row - 1) : 0;
        const first = row > 1 ? lowest : params.density[i]!;
        for (let j = 0; j < row; j++) {
          const p = Math.min(1, Math.max(0, first + ranks[j]! * step));
          const keep = +(uniformAt(keys[i]!, chunk.offset + s + j) < p);
          k[j] = keep * (k[j]! / (p + +(p === 0)));
        }
        kept.push(k);
      }
      sparseMergeBlock(kept, merge, base, out, s, row, ctx.scratch);
    }
  },
};
