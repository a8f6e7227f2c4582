/**
 * `della(m..., base, density, epsilon: 0.15, lambda: 1.0, weights?, rescale: true,
 * consensus: "sum", normalize: true, seed: 0)`: DELLA-Merging's MAGPRUNE. Within each row (as
 * mergekit ranks, so a row is the unit of work), entries are ranked by magnitude (ties by
 * position); the keep probability rises linearly from density − ε/2 for the smallest to
 * density + ε/2 for the largest (clamped to [0, 1]); a kept entry is divided by its probability
 * (`rescale: "l1"`, "l2" or "linf" instead scales each task vector back to its norm before
 * dropping, as mergekit does; false keeps the entries as they are). Then TIES's sign election and
 * disjoint merge ("none": the weighted sum, della_linear). Draws are reproducible, as in DARE.
 */
import type { ChunkInputs, KernelContext, MethodKernel, SeriesSelection } from "./method.js";
import { ParamError, ParamReader } from "./param-reader.js";
import { isNorm, normOf, normSelection, normTerm, readRescale, rescaleFactor, type Rescale } from "./shared/norm-rescale.js";
import { fmix32, streamKey, uniformAt } from "./shared/random.js";
import { type SimdKernels, simdKernels } from "../wasm/simd-kernels.js";
import { type Agreement, type Consensus, readAgreement, sparseMergeBlock, sparseMergeParams } from "./shared/sparse-merge.js";

export interface DellaParams {
  density: number[];
  epsilon: number[];
  lambda: number;
  weights: number[];
  rescale: Rescale;
  consensus: Consensus;
  agreement: Agreement;
  normalize: boolean;
  seed: number;
}

/** Per model, the scale of the kept entries (norm rescaling), or null for 1/p or none. */
export type DellaScales = number[] | null;

/** Digit counts of rowRanks' passes (one per thread: a module's state). */
const digitCounts = new Uint32Array(256);

/**
 * rank[j] = position of |row[j]| in ascending order, ties by position: a stable LSD radix sort of
 * the 31 magnitude bits, 8 bits a pass (a pass whose digit is the same for the whole row is
 * skipped), starting from position order, so equal magnitudes stay in position order. O(n) per
 * row where a comparison sort took 30–55 ns per element (more for longer rows). `work`: scratch
 * of at least 2 × row.length float64s (four uint32 arrays of the row's length). The reference of
 * the WASM kernel row_ranks, which dropRow uses where it loads.
 */
export function rowRanks(row: Float32Array, ranks: Float64Array, work: Float64Array): void {
  const len = row.length;
  if (work.length < 2 * len) throw new RangeError(`rowRanks: scratch of ${work.length} float64s for a row of ${len}`);
  const bits = new Uint32Array(row.buffer, row.byteOffset, len);
  const w = new Uint32Array(work.buffer, work.byteOffset, 4 * len);
  let keys = w.subarray(0, len);
  let order = w.subarray(len, 2 * len);
  let keysOut = w.subarray(2 * len, 3 * len);
  let orderOut = w.subarray(3 * len, 4 * len);
  for (let j = 0; j < len; j++) {
    keys[j] = bits[j]! & 0x7fffffff;
    order[j] = j;
  }
  const counts = digitCounts;
  for (let shift = 0; shift < 32 && len > 1; shift += 8) {
    counts.fill(0);
    for (let j = 0; j < len; j++) counts[(keys[j]! >>> shift) & 255]++;
    if (counts[(keys[0]! >>> shift) & 255] === len) continue;
    let sum = 0;
    for (let d = 0; d < 256; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let j = 0; j < len; j++) {
      const k = keys[j]!;
      const at = counts[(k >>> shift) & 255]++;
      keysOut[at] = k;
      orderOut[at] = order[j]!;
    }
    [keys, keysOut] = [keysOut, keys];
    [order, orderOut] = [orderOut, order];
  }
  for (let r = 0; r < len; r++) ranks[order[r]!] = r;
}

/** What dropRow does to the kept entries after the draw: nothing, ÷ their probability, × a scale. */
export type DropFinish = { mode: 0 } | { mode: 1 } | { mode: 2; scale: number };
const KEEP: DropFinish = { mode: 0 };

/**
 * Row `rowStart` of model i: k[j] = the kept δ (0 where dropped), finished as `finish` says, for
 * the row's elements; `p` and `ranks` are scratch of the row's length, `packed` of twice it
 * (rowRanks). The WASM kernels (row_ranks, della_drop) take the row when they load; the
 * JavaScript below is their reference.
 */
export function dropRow(
  params: DellaParams,
  chunk: ChunkInputs,
  i: number,
  key: number,
  rowStart: number,
  k: Float32Array,
  p: Float64Array,
  ranks: Float64Array,
  packed: Float64Array,
  finish: DropFinish = KEEP,
  simd: SimdKernels | null = simdKernels(),
): void {
  const row = chunk.rowLength;
  const model = chunk.inputs[i]!;
  const base = chunk.base!;
  for (let j = 0; j < row; j++) k[j] = model[rowStart + j]! - base[rowStart + j]!;
  // density 1 keeps everything, whatever epsilon (as mergekit).
  const full = params.density[i]! >= 1;
  const lowest = params.density[i]! - params.epsilon[i]! / 2;
  const step = row > 1 && !full ? params.epsilon[i]! / (row - 1) : 0;
  const first = row > 1 && !full ? lowest : params.density[i]!;
  const at = chunk.offset + rowStart;
  if (simd?.dellaRow(k, key, at, first, step, finish.mode, finish.mode === 2 ? finish.scale : 1)) return;
  rowRanks(k, ranks, packed);
  // uniformAt with its high word taken once per row (a row rarely crosses a multiple of 2³²).
  const hi = Math.floor(at / 4294967296);
  const sameHigh = Math.floor((at + row - 1) / 4294967296) === hi;
  const hiMix = Math.imul(hi, 0x27d4eb2f);
  for (let j = 0; j < row; j++) {
    const pj = Math.min(1, Math.max(0, first + ranks[j]! * step));
    p[j] = pj;
    const u = sameHigh ? (fmix32((key ^ fmix32((((at + j) >>> 0) + hiMix) >>> 0)) >>> 0) >>> 8) * (1 / 16777216) : uniformAt(key, at + j);
    k[j] = k[j]! * +(u < pj);
  }
  if (finish.mode === 2) {
    const scale = finish.scale;
    for (let j = 0; j < row; j++) k[j] = k[j]! * scale;
  } else if (finish.mode === 1) {
    for (let j = 0; j < row; j++) k[j] = k[j]! / (p[j]! + +(p[j] === 0));
  }
}

/**
 * Norm rescaling's statistics for elements [start, end): out[2i] the norm term of δᵢ, out[2i + 1]
 * that of the kept δᵢ. Each row the range touches is ranked whole.
 */
function dellaNormValues(params: DellaParams, chunk: ChunkInputs, start: number, end: number, out: Float32Array[], ctx: KernelContext): void {
  const norm = params.rescale as "l1" | "l2" | "linf";
  const row = chunk.rowLength;
  const k = ctx.scratch.f32(0, row);
  const p = ctx.scratch.f64(0, row);
  const ranks = ctx.scratch.f64(3, row);
  const packed = ctx.scratch.f64(4, 2 * row);
  const base = chunk.base!;
  chunk.inputs.forEach((model, i) => {
    const key = streamKey(params.seed, ctx.tensor, i);
    for (let rowStart = start - (start % row); rowStart < end; rowStart += row) {
      dropRow(params, chunk, i, key, rowStart, k, p, ranks, packed);
      const from = Math.max(start, rowStart);
      const to = Math.min(end, rowStart + row);
      for (let j = from; j < to; j++) {
        out[2 * i]![j - start] = normTerm(norm, Math.fround(model[j]! - base[j]!));
        out[2 * i + 1]![j - start] = normTerm(norm, k[j - rowStart]!);
      }
    }
  });
}

export const dellaKernel: MethodKernel<DellaParams, DellaScales> = {
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
      rescale: readRescale(params, "della", true),
      consensus: r.string("consensus", ["none", "sum", "count"] as const, "sum"),
      agreement: readAgreement(r),
      normalize: r.bool("normalize", true),
      seed,
    };
  },
  stats: {
    stage(params, stage, d) {
      if (stage > 0 || !isNorm(params.rescale)) return null;
      const norm = params.rescale;
      return params.density.flatMap((): SeriesSelection[] => [normSelection(norm, d), normSelection(norm, d)]);
    },
    values: (params, _stage, _earlier, chunk, start, end, out, ctx) => dellaNormValues(params, chunk, start, end, out, ctx),
    result(params, _d, _n, stages) {
      const norm = params.rescale;
      if (!isNorm(norm)) return null;
      return params.density.map((_, i) => rescaleFactor(normOf(norm, stages[0]![2 * i]!), normOf(norm, stages[0]![2 * i + 1]!)));
    },
  },
  apply(params, stats, chunk, out, ctx) {
    const n = chunk.inputs.length;
    const base = chunk.base!;
    const row = chunk.rowLength;
    if (chunk.length % row !== 0 || chunk.offset % row !== 0) {
      throw new Error(`della works on whole rows of ${row} elements; this tensor's rows do not fit in one chunk`);
    }
    const keys = chunk.inputs.map((_, i) => streamKey(params.seed, ctx.tensor, i));
    const merge = sparseMergeParams(params);
    const finishes = chunk.inputs.map((_, i): DropFinish => (stats ? { mode: 2, scale: stats[i]! } : params.rescale === true ? { mode: 1 } : KEEP));
    const p = ctx.scratch.f64(5, row);
    const ranks = ctx.scratch.f64(3, row);
    const packed = ctx.scratch.f64(4, 2 * row);
    for (let s = 0; s < chunk.length; s += row) {
      const kept: Float32Array[] = [];
      for (let i = 0; i < n; i++) {
        const k = ctx.scratch.f32(i, row);
        dropRow(params, chunk, i, keys[i]!, s, k, p, ranks, packed, finishes[i]!);
        kept.push(k);
      }
      sparseMergeBlock(kept, merge, base, out, s, row, ctx.scratch);
    }
  },
};
