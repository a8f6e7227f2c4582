/**
 * The WebAssembly SIMD kernels (kernels.wat, assembled by `npm run build`), one instance per thread,
 * all on one shared memory (heap.ts). Each has a JavaScript reference that it equals bit for bit
 * (test/engine/simd-kernels.test.ts); the engine uses the WASM kernel when the module loads and
 * falls back to the reference otherwise (`MERGELANG_WASM=0` forces the fallback, for comparisons).
 * Arrays that lie in the shared memory (the engine's buffers) are worked on where they are, whole
 * groups of 8 elements at once; others, and the last few elements, are copied block by block
 * through this thread's scratch (TypedArray.set, a memcpy).
 */
import { readFileSync } from "node:fs";
import { UNROLLED_TIES_MAX } from "./ties-wat.js";
import { FAST_MATH } from "../engine/kernels/fast-math.js";
import { type WasmHeap, adoptedScratch, threadHeap } from "./heap.js";

/** The part of the WebAssembly API used here (the project's lib setting, ES2022, does not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

interface Exports {
  nonfinite_words(src: number, n: number, mask: number, add: number): number;
  sub_f32(a: number, b: number, out: number, n: number): void;
  widen_bf16(src: number, dst: number, n: number, mask: number, add: number): number;
  widen_f16(src: number, dst: number, n: number, mask: number, add: number): number;
  round_bf16(src: number, dst: number, n: number): void;
  ties(n: number, models: number, base: number, out: number, len: number, params: number, keep: number, flags: number): void;
  hist_high(vals: number, n: number, signed: number, hist: number, touched: number, keep: number, lo: number, span: number, keys: number): number;
  kept: { value: number };
  range_high(vals: number, n: number, signed: number, lo: number, span: number, keys: number, table: number): number;
  below: { value: number };
  pcb_betas(d: number, sum: number, out: number, n: number, lo: number, hi: number, min: number, div: number, scale: number, nt: number, c: number, table: number, last: number): number;
  pcb_merge(n: number, deltas: number, betas: number, params: number, base: number, out: number, len: number, lambda: number): void;
  row_ranks(src: number, n: number, work: number, counts: number, ranks: number): void;
  della_drop(k: number, ranks: number, n: number, key: number, firstLo: number, hiMix: number, first: number, step: number, mode: number, scale: number): void;
  dare_drop(m: number, b: number, out: number, n: number, key: number, firstLo: number, hiMix: number, density: number, scale: number): void;
  /** ties_<n>_<flags> (ties-wat.ts), for 1 ≤ n ≤ UNROLLED_TIES_MAX. */
  [unrolled: `ties_${number}_${number}`]: (models: number, base: number, out: number, len: number, params: number) => void;
}

/** Elements per block copied through the module's memory. */
const BLOCK = 16384;
const BLOCK_BYTES = 4 * BLOCK;
/** Inputs the TIES kernel takes at most (its buffers then fill the module's initial memory). */
export const SIMD_TIES_MAX_INPUTS = 16;

/** Byte offsets of the buffers in a thread's scratch (SCRATCH_BYTES from its start). */
const IN = 0; // SIMD_TIES_MAX_INPUTS input blocks
const BASE = IN + SIMD_TIES_MAX_INPUTS * BLOCK_BYTES;
const OUT = BASE + BLOCK_BYTES;
const PARAMS = OUT + BLOCK_BYTES; // thresholds, weights, lambda: under 1 KiB
const POINTERS = PARAMS + 1024;
const KEEP = POINTERS + 256;
const HIST = KEEP + 16 * SIMD_TIES_MAX_INPUTS; // 65536 u32 bins, zero between calls
const TOUCHED = HIST + 4 * 65536; // bins a block touched
const KEYS = TOUCHED + BLOCK_BYTES; // keys a block kept (range_high writes up to 3 past them)
const COMPACT = KEYS + BLOCK_BYTES + 64; // range_high's 16 swizzle patterns (see compactPatterns)
const FAST_CONSTANTS = COMPACT + 256; // fast-math.ts's constants (float64), then its exp table
const EXP_TABLE = FAST_CONSTANTS + 8 * 16;
/** The bytes of one thread's scratch. */
export const SCRATCH_BYTES = EXP_TABLE + 8 * FAST_MATH.expTable.length;

/** Tasks pcbMerge takes at most (a delta and a β block each in the input blocks). */
export const SIMD_PCB_MAX_TASKS = SIMD_TIES_MAX_INPUTS / 2;

/** One task's block and constants for PCB's final merge (float32 values, as order statistics are). */
export interface PcbMergeTask {
  delta: Float32Array;
  beta: Float32Array;
  /** The β threshold and max β − threshold (> 0). */
  lo: number;
  range: number;
  clipLo: number;
  clipHi: number;
  weight: number;
}

export const TIES_FLAGS = { count: 1, normalize: 2, deltas: 4, zeroStart: 8, unit: 16 } as const;

/** Rounds up to the 8-element groups the kernels work in. */
const lanes = (n: number): number => (n + 7) & ~7;
/**
 * Two 16-bit floats' exponent masks and lowest exponent bits in a 32-bit word: (word & mask) + add
 * carries into a sign bit (HALF_CARRY) exactly when a value is NaN or ±Inf (io/non-finite.ts).
 */
const HALF_CHECK = { BF16: [0x7f807f80, 0x00800080], F16: [0x7c007c00, 0x04000400] } as const;
const HALF_CARRY = 0x80008000;
/** The whole 8-element groups of n elements: what runs in place. */
const wholeGroups = (n: number): number => n & ~7;

export class SimdKernels {
  private readonly f32: Float32Array;
  private readonly f64: Float64Array;
  private readonly u16: Uint16Array;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;

  /** `scratch`: the byte address of this thread's SCRATCH_BYTES in the heap's memory. */
  constructor(
    private readonly x: Exports,
    private readonly heap: WasmHeap,
    scratch: number,
  ) {
    // The views start at the scratch: every offset below (IN, BASE, …) is relative to it, and
    // scratch + offset is the address the kernels are given.
    const buf = heap.buffer;
    this.f32 = new Float32Array(buf, scratch, SCRATCH_BYTES / 4);
    this.f64 = new Float64Array(buf, scratch, SCRATCH_BYTES / 8);
    this.u16 = new Uint16Array(buf, scratch, SCRATCH_BYTES / 2);
    this.i32 = new Int32Array(buf, scratch, SCRATCH_BYTES / 4);
    this.u32 = new Uint32Array(buf, scratch, SCRATCH_BYTES / 4);
    this.s = scratch;
    // The kernels count into HIST expecting zeros (each call leaves it zero again): a block that
    // held a tensor before (a worker's scratch after an earlier run's buffers) is not.
    new Uint8Array(buf, scratch, SCRATCH_BYTES).fill(0);
    new Uint8Array(buf, scratch + COMPACT, 256).set(compactPatterns());
    this.f64.set(FAST_MATH.constants, FAST_CONSTANTS / 8);
    this.f64.set(FAST_MATH.expTable, EXP_TABLE / 8);
  }

  /** The scratch's address. */
  private readonly s: number;

  /** The byte address of an array in the shared memory, or -1 when it lies elsewhere (then it is copied). */
  private addr(a: ArrayBufferView): number {
    return this.heap.owns(a) ? a.byteOffset : -1;
  }

  /**
   * PCB's β of one task for `length` elements (methods/pcb.ts's taskBetas, equal bits), or false
   * (nothing written) when some element needs Math.exp or Math.tanh: the caller computes it then.
   */
  pcbBetas(deltas: Float32Array, sum: Float32Array, length: number, lo: number, hi: number, min: number, div: number, scale: number, tasks: number, out: Float32Array): boolean {
    const { f32, s } = this;
    const exact = [lo, hi, min, div, scale, tasks].every((x) => Math.fround(x) === x || Number.isNaN(x));
    if (!exact || length > BLOCK) return false;
    f32.set(deltas.subarray(0, length), IN / 4);
    f32.set(sum.subarray(0, length), BASE / 4);
    // Zeros in the padding lanes, which must not ask for the fallback.
    f32.fill(0, IN / 4 + length, IN / 4 + lanes(length));
    f32.fill(0, BASE / 4 + length, BASE / 4 + lanes(length));
    const last = FAST_MATH.expTable.length - 1;
    if (this.x.pcb_betas(s + IN, s + BASE, s + OUT, lanes(length), lo, hi, min, div, scale, tasks, s + FAST_CONSTANTS, s + EXP_TABLE, last) !== 0) return false;
    out.set(f32.subarray(OUT / 4, OUT / 4 + length));
    return true;
  }

  /**
   * PCB's final merge of one block (methods/pcb.ts's mergeBlock, equal bits) over the tasks in
   * `tasks`; returns false (nothing written) for more than SIMD_PCB_MAX_TASKS or constants that
   * are not float32 values (the kernel compares in float32 lanes).
   */
  pcbMerge(tasks: readonly PcbMergeTask[], base: Float32Array, lambda: number, out: Float32Array, length: number): boolean {
    const { f32, f64, i32, s } = this;
    if (tasks.length > SIMD_PCB_MAX_TASKS || length > BLOCK) return false;
    const exact = (x: number): boolean => Math.fround(x) === x || Number.isNaN(x);
    if (!tasks.every((t) => exact(t.lo) && exact(t.range) && exact(t.clipLo) && exact(t.clipHi))) return false;
    const n = tasks.length;
    const at = (slot: number): number => IN + slot * BLOCK_BYTES;
    tasks.forEach((t, i) => {
      f32.set(t.delta.subarray(0, length), at(i) / 4);
      f32.set(t.beta.subarray(0, length), at(n + i) / 4);
      i32[POINTERS / 4 + i] = s + at(i);
      i32[POINTERS / 4 + n + i] = s + at(n + i);
      const p = PARAMS + 32 * i;
      f32.set([t.lo, t.range, t.clipLo, t.clipHi], p / 4);
      f64[(p + 16) / 8] = t.weight;
    });
    f32.set(base.subarray(0, length), BASE / 4);
    this.x.pcb_merge(n, s + POINTERS, s + POINTERS + 4 * n, s + PARAMS, s + BASE, s + OUT, lanes(length), lambda);
    out.set(f32.subarray(OUT / 4, OUT / 4 + length));
    return true;
  }

  /**
   * DARE's drop for elements [s, s + len) of one model: kept[k] = δ·([u < density]·scale), u the
   * draw of element first + k of the stream `key` (methods/dare.ts's dropBlock, equal bits).
   */
  dareDrop(model: Float32Array, base: Float32Array, s: number, len: number, key: number, first: number, density: number, scale: number, kept: Float32Array): void {
    const { f32 } = this;
    const at0 = this.s;
    const t = float32AtLeast(density);
    for (let at = 0; at < len; ) {
      // A block stays inside one high word of the element index.
      const index = first + at;
      const hi = Math.floor(index / 4294967296);
      const n = Math.min(BLOCK, len - at, (hi + 1) * 4294967296 - index);
      f32.set(model.subarray(s + at, s + at + n), IN / 4);
      f32.set(base.subarray(s + at, s + at + n), BASE / 4);
      this.x.dare_drop(at0 + IN, at0 + BASE, at0 + OUT, lanes(n), key | 0, index >>> 0 | 0, Math.imul(hi, 0x27d4eb2f), t, scale);
      kept.set(f32.subarray(OUT / 4, OUT / 4 + n), at);
      at += n;
    }
  }

  /**
   * DELLA's ranks of one row of up to BLOCK elements (methods/della.ts's rowRanks, equal values; dellaRow runs it before the drop), or
   * false (nothing written) for a longer row.
   */
  rowRanks(row: Float32Array, ranks: Float64Array): boolean {
    const n = row.length;
    if (n > BLOCK) return false;
    // src, then the four u32 work arrays, then the float64 ranks: 7 of the 16 input blocks.
    this.f32.set(row, IN / 4);
    const work = IN + BLOCK_BYTES;
    const out = work + 4 * BLOCK_BYTES;
    this.x.row_ranks(this.s + IN, n, this.s + work, this.s + TOUCHED, this.s + out);
    ranks.set(this.f64.subarray(out / 8, out / 8 + n));
    return true;
  }

  /**
   * DELLA's ranks and drop of one row in place (methods/della.ts's dropRow from the deltas on, equal
   * bits): `k` holds the row's deltas, element `at` of the stream `key` comes first; `mode` 0 keeps
   * the kept deltas, 1 divides them by their probability, 2 multiplies them by `scale`. False
   * (nothing written) for a row over BLOCK or one that crosses a multiple of 2³² elements.
   */
  dellaRow(k: Float32Array, key: number, at: number, first: number, step: number, mode: 0 | 1 | 2, scale: number): boolean {
    const { s } = this;
    const n = k.length;
    const hi = Math.floor(at / 4294967296);
    if (n > BLOCK || Math.floor((at + Math.max(0, n - 1)) / 4294967296) !== hi) return false;
    this.f32.set(k, IN / 4);
    const work = IN + BLOCK_BYTES;
    const ranks = work + 4 * BLOCK_BYTES;
    this.x.row_ranks(s + IN, n, s + work, s + TOUCHED, s + ranks);
    this.x.della_drop(s + IN, s + ranks, (n + 3) & ~3, key | 0, at >>> 0 | 0, Math.imul(hi, 0x27d4eb2f), first, step, mode, scale);
    k.set(this.f32.subarray(IN / 4, IN / 4 + n));
    return true;
  }

  /**
   * A histogram pass over the high 16 bits of the keys of `bits` (float32 bit patterns): adds to
   * `hist`'s 65536 bins and, with `keep`, appends the keys whose bucket is in [lo, lo + span] to
   * `keys` from `at` on (room for all of them); returns the new key count. Equals
   * order-statistics.ts's highMagnitude / highSigned (and their *Keep forms).
   */
  histogramHigh(bits: Uint32Array, signed: boolean, hist: Float64Array, keep: { lo: number; span: number } | null, keys: Uint32Array | null, at: number): number {
    const direct = this.addr(bits);
    for (let s = 0; s < bits.length; s += BLOCK) {
      const n = Math.min(BLOCK, bits.length - s);
      let src = direct + 4 * s;
      if (direct < 0) {
        this.u32.set(bits.subarray(s, s + n), IN / 4);
        src = this.s + IN;
      }
      at = this.histogramBlock(src, n, signed, hist, keep, keys, at);
    }
    return at;
  }

  /** histogramHigh of the float32 deltas f32(model[k] − base[k]), computed in the scratch. */
  histogramHighDeltas(model: Float32Array, base: Float32Array, signed: boolean, hist: Float64Array, keep: { lo: number; span: number } | null, keys: Uint32Array | null, at: number): number {
    const { f32 } = this;
    const pm = this.addr(model);
    const pb = this.addr(base);
    const deltas = this.s + IN;
    for (let s = 0; s < model.length; s += BLOCK) {
      const n = Math.min(BLOCK, model.length - s);
      if (pm >= 0 && pb >= 0) {
        // The lanes past n read the next few floats of the memory (never written): their keys are not counted.
        this.x.sub_f32(pm + 4 * s, pb + 4 * s, deltas, lanes(n));
      } else {
        f32.set(model.subarray(s, s + n), IN / 4);
        f32.set(base.subarray(s, s + n), BASE / 4);
        this.x.sub_f32(deltas, this.s + BASE, deltas, lanes(n));
      }
      at = this.histogramBlock(deltas, n, signed, hist, keep, keys, at);
    }
    return at;
  }

  /** One block of a histogram pass over the n keys at address `src` (see histogramHigh). */
  private histogramBlock(src: number, n: number, signed: boolean, hist: Float64Array, keep: { lo: number; span: number } | null, keys: Uint32Array | null, at: number): number {
    const { u32, s } = this;
    if (keep && keys) return this.rangedBlock(src, n, signed, hist, keep, keys, at);
    const touched = this.x.hist_high(src, n, signed ? 1 : 0, s + HIST, s + TOUCHED, keep ? 1 : 0, keep?.lo ?? 0, keep?.span ?? 0, s + KEYS);
    for (let t = TOUCHED / 4, end = t + touched; t < end; t++) {
      const bin = u32[t]!;
      hist[bin] += u32[HIST / 4 + bin]!;
      u32[HIST / 4 + bin] = 0;
    }
    if (keep && keys) {
      const kept = this.x.kept.value;
      keys.set(u32.subarray(KEYS / 4, KEYS / 4 + kept), at);
      at += kept;
    }
    return at;
  }

  /**
   * A ranged block (order-statistics.ts's rangedHigh): exact bins for the
   * buckets in [lo, lo + span], the keys below the range in bin lo − 1, those above in bin
   * lo + span + 1, and the keys in the range appended to `keys`.
   */
  private rangedBlock(src: number, n: number, signed: boolean, hist: Float64Array, keep: { lo: number; span: number }, keys: Uint32Array, at: number): number {
    const { u32, s } = this;
    const { lo, span } = keep;
    const kept = this.x.range_high(src, n, signed ? 1 : 0, lo, span, s + KEYS, s + COMPACT);
    const below = this.x.below.value;
    // The range's bins, from its keys (a few percent of the block): the kernel stays branch-free.
    for (let j = KEYS / 4, end = j + kept; j < end; j++) hist[u32[j]! >>> 16]++;
    if (below > 0) hist[lo - 1] += below;
    if (n - below - kept > 0) hist[lo + span + 1] += n - below - kept;
    keys.set(u32.subarray(KEYS / 4, KEYS / 4 + kept), at);
    return at + kept;
  }

  /**
   * The OR over `words` of (word & mask) + add (io/non-finite.ts's wordsCarry), as an unsigned
   * 32-bit value, equal in the carry bits the caller tests (the zero padding may add `add`'s bits).
   */
  nonFiniteWords(words: Uint32Array, mask: number, add: number): number {
    const { u32 } = this;
    let acc = 0;
    let done = 0;
    const direct = this.addr(words);
    if (direct >= 0) {
      done = words.length & ~3;
      if (done > 0) acc = this.x.nonfinite_words(direct, done, mask | 0, add | 0);
      for (let i = done; i < words.length; i++) acc |= (words[i]! & mask) + add;
      return acc >>> 0;
    }
    const size = SIMD_TIES_MAX_INPUTS * BLOCK; // the input blocks, taken as one
    for (let s = 0; s < words.length; s += size) {
      const n = Math.min(size, words.length - s);
      u32.set(words.subarray(s, s + n), IN / 4);
      u32.fill(0, IN / 4 + n, IN / 4 + ((n + 3) & ~3));
      acc |= this.x.nonfinite_words(this.s + IN, (n + 3) & ~3, mask | 0, add | 0);
    }
    return acc >>> 0;
  }

  /**
   * 16-bit float bits → float32, as io/dtype.ts's halfToF32 (also in place, with the same overlap
   * rule); returns whether any of the values is NaN or ±Inf, tested as they pass.
   */
  widen(dtype: "BF16" | "F16", src: Uint16Array, dst: Float32Array): boolean {
    const widen = dtype === "BF16" ? this.x.widen_bf16 : this.x.widen_f16;
    const [mask, add] = HALF_CHECK[dtype];
    const ps = this.addr(src);
    const pd = this.addr(dst);
    let acc = 0;
    // In place, group by group from the start: each group of 8 is read before its bytes are written.
    const done = ps >= 0 && pd >= 0 ? wholeGroups(src.length) : 0;
    if (done > 0) acc |= widen(ps, pd, done, mask | 0, add | 0);
    for (let s = done; s < src.length; s += BLOCK) {
      const n = Math.min(BLOCK, src.length - s);
      this.u16.set(src.subarray(s, s + n), IN / 2);
      this.u16.fill(0, IN / 2 + n, IN / 2 + lanes(n)); // zeros: finite
      acc |= widen(this.s + IN, this.s + OUT, lanes(n), mask | 0, add | 0);
      dst.set(this.f32.subarray(OUT / 4, OUT / 4 + n), s);
    }
    return (acc & HALF_CARRY) !== 0;
  }

  /** float32 → bf16 bits, round to nearest even, as io/dtype.ts's f32ToBF16 (also in place). */
  roundBF16(src: Float32Array, dst: Uint16Array): void {
    const ps = this.addr(src);
    const pd = this.addr(dst);
    const done = ps >= 0 && pd >= 0 ? wholeGroups(src.length) : 0;
    if (done > 0) this.x.round_bf16(ps, pd, done);
    for (let s = done; s < src.length; s += BLOCK) {
      const n = Math.min(BLOCK, src.length - s);
      this.f32.set(src.subarray(s, s + n), IN / 4);
      this.x.round_bf16(this.s + IN, this.s + OUT, lanes(n));
      dst.set(this.u16.subarray(OUT / 2, OUT / 2 + n), s);
    }
  }

  /**
   * TIES's elect and merge over `length` elements (see kernels.wat for the formula and `flags`):
   * `thresholds` keep |δᵢ| ≥ tᵢ (NaN keeps nothing), `weights` per input, then lambda. Up to
   * UNROLLED_TIES_MAX inputs the unrolled function runs, unless `looped` (for tests of the other).
   */
  ties(
    inputs: readonly Float32Array[],
    base: Float32Array,
    thresholds: ArrayLike<number>,
    weights: ArrayLike<number>,
    lambda: number,
    flags: number,
    out: Float32Array,
    length: number,
    looped = false,
  ): void {
    const n = inputs.length;
    const { s } = this;
    let unit = lambda === 1;
    for (let i = 0; i < n; i++) unit &&= weights[i] === 1;
    const unrolled = !looped && n >= 1 && n <= UNROLLED_TIES_MAX ? this.x[`ties_${n}_${flags | (unit ? TIES_FLAGS.unit : 0)}`] : undefined;
    if (n > SIMD_TIES_MAX_INPUTS) throw new RangeError(`simd ties: at most ${SIMD_TIES_MAX_INPUTS} inputs, got ${n}`);
    for (let i = 0; i < n; i++) this.f32[PARAMS / 4 + i] = float32AtLeast(thresholds[i]!);
    const weightsAt = (PARAMS + 4 * ((n + 1) & ~1)) / 8; // the 8-byte boundary after the thresholds
    for (let i = 0; i < n; i++) this.f64[weightsAt + i] = weights[i]!;
    this.f64[weightsAt + n] = lambda;
    const run = (models: number, b: number, o: number, len: number): void => {
      if (unrolled) unrolled(s + POINTERS, b, o, len, s + PARAMS);
      else this.x.ties(models, s + POINTERS, b, o, len, s + PARAMS, s + KEEP, flags);
    };
    let done = 0;
    const pb = this.addr(base);
    const po = this.addr(out);
    if (pb >= 0 && po >= 0 && inputs.every((x) => this.heap.owns(x))) {
      done = wholeGroups(length);
      for (let i = 0; i < n; i++) this.i32[POINTERS / 4 + i] = inputs[i]!.byteOffset;
      if (done > 0) run(n, pb, po, done);
    }
    for (let i = 0; i < n; i++) this.i32[POINTERS / 4 + i] = s + IN + i * BLOCK_BYTES;
    for (let at = done; at < length; at += BLOCK) {
      const len = Math.min(BLOCK, length - at);
      for (let i = 0; i < n; i++) this.f32.set(inputs[i]!.subarray(at, at + len), (IN + i * BLOCK_BYTES) / 4);
      this.f32.set(base.subarray(at, at + len), BASE / 4);
      run(n, s + BASE, s + OUT, lanes(len));
      out.set(this.f32.subarray(OUT / 4, OUT / 4 + len), at);
    }
  }
}

/**
 * range_high's swizzles: for each 4-bit mask of in-range lanes, the byte pattern that moves those
 * lanes' 32-bit keys to the front in lane order (the other bytes read as 0).
 */
function compactPatterns(): Uint8Array {
  const out = new Uint8Array(256).fill(0x80);
  for (let m = 0; m < 16; m++) {
    let at = 0;
    for (let lane = 0; lane < 4; lane++) {
      if ((m & (1 << lane)) === 0) continue;
      for (let b = 0; b < 4; b++) out[16 * m + 4 * at + b] = 4 * lane + b;
      at++;
    }
  }
  return out;
}

const one = new Float32Array(1);
const oneBits = new Int32Array(one.buffer);

/**
 * The least float32 ≥ t (NaN stays NaN): for a float32 x, x ≥ t ⇔ x ≥ that float32, so a float64
 * threshold can be compared in float32 lanes.
 */
export function float32AtLeast(t: number): number {
  one[0] = t;
  if (!(one[0]! < t)) return one[0]!;
  oneBits[0] = one[0]! >= 0 ? oneBits[0]! + 1 : oneBits[0]! - 1; // one float32 step up
  if (Object.is(one[0], -0)) one[0] = 0;
  return one[0]!;
}

let loaded: SimdKernels | null | undefined;

/** This thread's kernels, or null when the module is missing, WASM SIMD is unsupported, or MERGELANG_WASM=0. */
export function simdKernels(): SimdKernels | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.env["MERGELANG_WASM"] === "0") return null;
  const heap = threadHeap();
  const scratch = adoptedScratch() ?? heap.alloc(SCRATCH_BYTES);
  if (scratch !== null) loaded = kernelsOn(heap, scratch);
  return loaded;
}

/** A new instance of the kernels on `heap`'s memory, with its scratch at `scratch` (SCRATCH_BYTES there); null when the module cannot load. */
export function kernelsOn(heap: WasmHeap, scratch: number): SimdKernels | null {
  try {
    const bytes = readFileSync(new URL("./kernels.wasm", import.meta.url));
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(bytes), { env: { memory: heap.memory } });
    return new SimdKernels(instance.exports as unknown as Exports, heap, scratch);
  } catch {
    return null; // e.g. a bundle without the .wasm file beside it: the JavaScript kernels run
  }
}
