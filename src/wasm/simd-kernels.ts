/**
 * The WebAssembly SIMD kernels (kernels.wat, assembled by `npm run build`), one instance per thread.
 * Each has a JavaScript reference that it equals bit for bit (test/engine/simd-kernels.test.ts); the
 * engine uses the WASM kernel when the module loads and falls back to the reference otherwise
 * (`MERGELANG_WASM=0` forces the fallback, for comparisons). Data is copied through the module's
 * memory block by block (TypedArray.set, a memcpy): blocks stay in cache, and the engine's buffers
 * stay ordinary (shared) ArrayBuffers.
 */
import { readFileSync } from "node:fs";
import { UNROLLED_TIES_MAX } from "./ties-wat.js";
import { FAST_MATH } from "../engine/kernels/fast-math.js";

/** The part of the WebAssembly API used here (the project's lib setting, ES2022, does not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

interface Exports {
  memory: { buffer: ArrayBuffer };
  nonfinite_words(src: number, n: number, mask: number, add: number): number;
  sub_f32(a: number, b: number, out: number, n: number): void;
  widen_bf16(src: number, dst: number, n: number): void;
  widen_f16(src: number, dst: number, n: number): void;
  round_bf16(src: number, dst: number, n: number): void;
  ties(n: number, models: number, base: number, out: number, len: number, params: number, keep: number, flags: number): void;
  hist_high(vals: number, n: number, signed: number, hist: number, touched: number, keep: number, lo: number, span: number, keys: number): number;
  kept: { value: number };
  range_high(vals: number, n: number, signed: number, hist: number, lo: number, span: number, keys: number): number;
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

/** Byte offsets of the buffers in the module's memory (4 MiB: 64 pages). */
const IN = 0; // SIMD_TIES_MAX_INPUTS input blocks
const BASE = IN + SIMD_TIES_MAX_INPUTS * BLOCK_BYTES;
const OUT = BASE + BLOCK_BYTES;
const PARAMS = OUT + BLOCK_BYTES; // thresholds, weights, lambda: under 1 KiB
const POINTERS = PARAMS + 1024;
const KEEP = POINTERS + 256;
const HIST = KEEP + 16 * SIMD_TIES_MAX_INPUTS; // 65536 u32 bins, zero between calls
const TOUCHED = HIST + 4 * 65536; // bins a block touched
const KEYS = TOUCHED + BLOCK_BYTES; // keys a block kept
const FAST_CONSTANTS = KEYS + BLOCK_BYTES; // fast-math.ts's constants (float64), then its exp table
const EXP_TABLE = FAST_CONSTANTS + 8 * 16;

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

export const TIES_FLAGS = { count: 1, normalize: 2, deltas: 4, zeroStart: 8 } as const;

/** Rounds up to the 8-element groups the kernels work in. */
const lanes = (n: number): number => (n + 7) & ~7;

export class SimdKernels {
  private readonly f32: Float32Array;
  private readonly f64: Float64Array;
  private readonly u16: Uint16Array;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;

  constructor(private readonly x: Exports) {
    const buf = x.memory.buffer;
    this.f32 = new Float32Array(buf);
    this.f64 = new Float64Array(buf);
    this.u16 = new Uint16Array(buf);
    this.i32 = new Int32Array(buf);
    this.u32 = new Uint32Array(buf);
    this.f64.set(FAST_MATH.constants, FAST_CONSTANTS / 8);
    this.f64.set(FAST_MATH.expTable, EXP_TABLE / 8);
  }

  /**
   * PCB's β of one task for `length` elements (methods/pcb.ts's taskBetas, equal bits), or false
   * (nothing written) when some element needs Math.exp or Math.tanh: the caller computes it then.
   */
  pcbBetas(deltas: Float32Array, sum: Float32Array, length: number, lo: number, hi: number, min: number, div: number, scale: number, tasks: number, out: Float32Array): boolean {
    const { f32 } = this;
    const exact = [lo, hi, min, div, scale, tasks].every((x) => Math.fround(x) === x || Number.isNaN(x));
    if (!exact || length > BLOCK) return false;
    f32.set(deltas.subarray(0, length), IN / 4);
    f32.set(sum.subarray(0, length), BASE / 4);
    // Zeros in the padding lanes, which must not ask for the fallback.
    f32.fill(0, IN / 4 + length, IN / 4 + lanes(length));
    f32.fill(0, BASE / 4 + length, BASE / 4 + lanes(length));
    const last = FAST_MATH.expTable.length - 1;
    if (this.x.pcb_betas(IN, BASE, OUT, lanes(length), lo, hi, min, div, scale, tasks, FAST_CONSTANTS, EXP_TABLE, last) !== 0) return false;
    out.set(f32.subarray(OUT / 4, OUT / 4 + length));
    return true;
  }

  /**
   * PCB's final merge of one block (methods/pcb.ts's mergeBlock, equal bits) over the tasks in
   * `tasks`; returns false (nothing written) for more than SIMD_PCB_MAX_TASKS or constants that
   * are not float32 values (the kernel compares in float32 lanes).
   */
  pcbMerge(tasks: readonly PcbMergeTask[], base: Float32Array, lambda: number, out: Float32Array, length: number): boolean {
    const { f32, f64, i32 } = this;
    if (tasks.length > SIMD_PCB_MAX_TASKS || length > BLOCK) return false;
    const exact = (x: number): boolean => Math.fround(x) === x || Number.isNaN(x);
    if (!tasks.every((t) => exact(t.lo) && exact(t.range) && exact(t.clipLo) && exact(t.clipHi))) return false;
    const n = tasks.length;
    const at = (slot: number): number => IN + slot * BLOCK_BYTES;
    tasks.forEach((t, i) => {
      f32.set(t.delta.subarray(0, length), at(i) / 4);
      f32.set(t.beta.subarray(0, length), at(n + i) / 4);
      i32[POINTERS / 4 + i] = at(i);
      i32[POINTERS / 4 + n + i] = at(n + i);
      const p = PARAMS + 32 * i;
      f32.set([t.lo, t.range, t.clipLo, t.clipHi], p / 4);
      f64[(p + 16) / 8] = t.weight;
    });
    f32.set(base.subarray(0, length), BASE / 4);
    this.x.pcb_merge(n, POINTERS, POINTERS + 4 * n, PARAMS, BASE, OUT, lanes(length), lambda);
    out.set(f32.subarray(OUT / 4, OUT / 4 + length));
    return true;
  }

  /**
   * DARE's drop for elements [s, s + len) of one model: kept[k] = δ·([u < density]·scale), u the
   * draw of element first + k of the stream `key` (methods/dare.ts's dropBlock, equal bits).
   */
  dareDrop(model: Float32Array, base: Float32Array, s: number, len: number, key: number, first: number, density: number, scale: number, kept: Float32Array): void {
    const { f32 } = this;
    const t = float32AtLeast(density);
    for (let at = 0; at < len; ) {
      // A block stays inside one high word of the element index.
      const index = first + at;
      const hi = Math.floor(index / 4294967296);
      const n = Math.min(BLOCK, len - at, (hi + 1) * 4294967296 - index);
      f32.set(model.subarray(s + at, s + at + n), IN / 4);
      f32.set(base.subarray(s + at, s + at + n), BASE / 4);
      this.x.dare_drop(IN, BASE, OUT, lanes(n), key | 0, index >>> 0 | 0, Math.imul(hi, 0x27d4eb2f), t, scale);
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
    this.x.row_ranks(IN, n, work, TOUCHED, out);
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
    const n = k.length;
    const hi = Math.floor(at / 4294967296);
    if (n > BLOCK || Math.floor((at + Math.max(0, n - 1)) / 4294967296) !== hi) return false;
    this.f32.set(k, IN / 4);
    const work = IN + BLOCK_BYTES;
    const ranks = work + 4 * BLOCK_BYTES;
    this.x.row_ranks(IN, n, work, TOUCHED, ranks);
    this.x.della_drop(IN, ranks, (n + 3) & ~3, key | 0, at >>> 0 | 0, Math.imul(hi, 0x27d4eb2f), first, step, mode, scale);
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
    for (let s = 0; s < bits.length; s += BLOCK) {
      const n = Math.min(BLOCK, bits.length - s);
      this.u32.set(bits.subarray(s, s + n), IN / 4);
      at = this.histogramBlock(n, signed, hist, keep, keys, at);
    }
    return at;
  }

  /** histogramHigh of the float32 deltas f32(model[k] − base[k]), computed in the module's memory. */
  histogramHighDeltas(model: Float32Array, base: Float32Array, signed: boolean, hist: Float64Array, keep: { lo: number; span: number } | null, keys: Uint32Array | null, at: number): number {
    const { f32 } = this;
    for (let s = 0; s < model.length; s += BLOCK) {
      const n = Math.min(BLOCK, model.length - s);
      f32.set(model.subarray(s, s + n), IN / 4);
      f32.set(base.subarray(s, s + n), BASE / 4);
      this.x.sub_f32(IN, BASE, IN, lanes(n));
      at = this.histogramBlock(n, signed, hist, keep, keys, at);
    }
    return at;
  }

  /** One block of a histogram pass over the n keys at IN (see histogramHigh). */
  private histogramBlock(n: number, signed: boolean, hist: Float64Array, keep: { lo: number; span: number } | null, keys: Uint32Array | null, at: number): number {
    const { u32 } = this;
    if (keep && keys) return this.rangedBlock(n, signed, hist, keep, keys, at);
    const touched = this.x.hist_high(IN, n, signed ? 1 : 0, HIST, TOUCHED, keep ? 1 : 0, keep?.lo ?? 0, keep?.span ?? 0, KEYS);
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
  private rangedBlock(n: number, signed: boolean, hist: Float64Array, keep: { lo: number; span: number }, keys: Uint32Array, at: number): number {
    const { u32 } = this;
    const { lo, span } = keep;
    const kept = this.x.range_high(IN, n, signed ? 1 : 0, HIST, lo, span, KEYS);
    const below = this.x.below.value;
    for (let d = 0, bins = HIST / 4; d <= span; d++) {
      hist[lo + d] += u32[bins + d]!;
      u32[bins + d] = 0;
    }
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
    const size = SIMD_TIES_MAX_INPUTS * BLOCK; // the input blocks, taken as one
    let acc = 0;
    for (let s = 0; s < words.length; s += size) {
      const n = Math.min(size, words.length - s);
      u32.set(words.subarray(s, s + n), IN / 4);
      u32.fill(0, IN / 4 + n, IN / 4 + ((n + 3) & ~3));
      acc |= this.x.nonfinite_words(IN, (n + 3) & ~3, mask | 0, add | 0);
    }
    return acc >>> 0;
  }

  /** 16-bit float bits → float32, as io/dtype.ts's halfToF32 (also in place, with the same overlap rule). */
  widen(dtype: "BF16" | "F16", src: Uint16Array, dst: Float32Array): void {
    const widen = dtype === "BF16" ? this.x.widen_bf16 : this.x.widen_f16;
    for (let s = 0; s < src.length; s += BLOCK) {
      const n = Math.min(BLOCK, src.length - s);
      this.u16.set(src.subarray(s, s + n), IN / 2);
      widen(IN, OUT, lanes(n));
      dst.set(this.f32.subarray(OUT / 4, OUT / 4 + n), s);
    }
  }

  /** float32 → bf16 bits, round to nearest even, as io/dtype.ts's f32ToBF16 (also in place). */
  roundBF16(src: Float32Array, dst: Uint16Array): void {
    for (let s = 0; s < src.length; s += BLOCK) {
      const n = Math.min(BLOCK, src.length - s);
      this.f32.set(src.subarray(s, s + n), IN / 4);
      this.x.round_bf16(IN, OUT, lanes(n));
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
    const unrolled = !looped && n >= 1 && n <= UNROLLED_TIES_MAX ? this.x[`ties_${n}_${flags}`] : undefined;
    if (n > SIMD_TIES_MAX_INPUTS) throw new RangeError(`simd ties: at most ${SIMD_TIES_MAX_INPUTS} inputs, got ${n}`);
    for (let i = 0; i < n; i++) {
      this.f32[PARAMS / 4 + i] = float32AtLeast(thresholds[i]!);
      this.i32[POINTERS / 4 + i] = IN + i * BLOCK_BYTES;
    }
    const weightsAt = (PARAMS + 4 * ((n + 1) & ~1)) / 8; // the 8-byte boundary after the thresholds
    for (let i = 0; i < n; i++) this.f64[weightsAt + i] = weights[i]!;
    this.f64[weightsAt + n] = lambda;
    for (let s = 0; s < length; s += BLOCK) {
      const len = Math.min(BLOCK, length - s);
      for (let i = 0; i < n; i++) this.f32.set(inputs[i]!.subarray(s, s + len), (IN + i * BLOCK_BYTES) / 4);
      this.f32.set(base.subarray(s, s + len), BASE / 4);
      if (unrolled) unrolled(POINTERS, BASE, OUT, lanes(len), PARAMS);
      else this.x.ties(n, POINTERS, BASE, OUT, lanes(len), PARAMS, KEEP, flags);
      out.set(this.f32.subarray(OUT / 4, OUT / 4 + len), s);
    }
  }
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
  try {
    const bytes = readFileSync(new URL("./kernels.wasm", import.meta.url));
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(bytes), {});
    loaded = new SimdKernels(instance.exports as unknown as Exports);
  } catch {
    loaded = null; // e.g. a bundle without the .wasm file beside it: the JavaScript kernels run
  }
  return loaded;
}
