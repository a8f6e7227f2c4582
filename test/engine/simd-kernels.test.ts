/**
 * Every WebAssembly SIMD kernel against its JavaScript reference, bit for bit, on random inputs with
 * NaN, ±0, ±Inf, subnormals, and values tied with the threshold. The only freedom allowed is a NaN's
 * payload (JavaScript leaves it unspecified): a NaN must meet a NaN.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bf16ToF32, f16ToF32, f32ToBF16 } from "../../src/io/dtype.js";
import { countNonFinite, wordsCarry } from "../../src/io/non-finite.js";
import { Scratch } from "../../src/engine/kernels/scratch.js";
import { float32AtLeast, simdKernels, SIMD_PCB_MAX_TASKS, TIES_FLAGS, type PcbMergeTask, type SimdKernels } from "../../src/wasm/simd-kernels.js";
import { type TiesParams, tiesMerge } from "../../src/methods/ties.js";
import { sparseMergeBlock } from "../../src/methods/shared/sparse-merge.js";
import { dropBlock } from "../../src/methods/dare.js";
import { type DellaParams, type DropFinish, dropRow, rowRanks } from "../../src/methods/della.js";
import { mergeBlock, taskBetas } from "../../src/methods/pcb.js";
import { streamKey } from "../../src/methods/shared/random.js";
import { type HistogramPass, KeyList, histogramDeltasInto, histogramIntoWith } from "../../src/engine/kernels/order-statistics.js";
import { deltaSeries } from "../../src/methods/shared/series.js";
import type { ChunkInputs } from "../../src/methods/method.js";
import { awkward, normals, rng } from "./random.js";

function kernels(): SimdKernels {
  const k = simdKernels();
  assert.ok(k, "the WASM module loads (npm run build assembles src/wasm/kernels.wat)");
  return k;
}

/** Index of the first element whose bits differ (NaN matching NaN), or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) if (x[i] !== y[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

function assertSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  const i = firstDifference(actual, expected);
  assert.equal(i, -1, i < 0 ? "" : `${what}: element ${i} is ${actual[i]} (WASM) against ${expected[i]} (JavaScript)`);
}

/** Random float32 bit patterns (every class: NaNs with payloads, Inf, subnormals, ±0). */
function randomBits(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) bits[i] = (r() * 2 ** 32) >>> 0;
  return out;
}

/** Values that stress the rounding to bf16: ties at the half step, odd and even, near overflow. */
function roundingCases(): Float32Array {
  const bits = [0, 0x80000000, 0x00008000, 0x00018000, 0x3f808000, 0x3f818000, 0x3f807fff, 0x3f808001, 0x7f7fffff, 0xff7fffff,
    0x7f7f8000, 0x7f800000, 0xff800000, 0x7f800001, 0x7fc00000, 0xffffffff, 0x00000001, 0x807fffff, 0x00800000];
  return new Float32Array(new Uint32Array(bits).buffer);
}

test("WASM bf16 and f16 widening equal the JavaScript conversions on all 65536 bit patterns, at odd lengths", () => {
  const k = kernels();
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
  for (const length of [65536, 65531, 7, 1, 0]) {
    const src = all.subarray(65536 - length);
    const want = new Float32Array(length);
    const got = new Float32Array(length);
    bf16ToF32(src, want);
    k.widen("BF16", src, got);
    assertSameBits(got, want, `bf16 (length ${length})`);
    f16ToF32(src, want);
    k.widen("F16", src, got);
    assertSameBits(got, want, `f16 (length ${length})`);
  }
});

test("WASM widening reports NaN or ±Inf exactly when the stored bits hold one, wherever it lies (tails by copy too)", () => {
  const k = kernels();
  const r = rng(11);
  for (const dtype of ["BF16", "F16"] as const) {
    const exponent = dtype === "BF16" ? 0x7f80 : 0x7c00;
    for (const n of [1, 7, 8, 9, 4096, 40_003]) {
      const finite = Uint16Array.from({ length: n }, () => ((r() * 65536) >>> 0) & ~exponent | (exponent & 0x3f00));
      const dst = new Float32Array(n);
      assert.equal(k.widen(dtype, finite, dst), false, `${dtype}, ${n} finite values`);
      for (const at of new Set([0, n - 1, n >> 1, n & ~7])) {
        if (at >= n) continue;
        for (const bits of dtype === "BF16" ? [0x7f80, 0xff80, 0x7fc1] : [0x7c00, 0xfc00, 0x7e01]) {
          const src = finite.slice();
          src[at] = bits;
          assert.equal(k.widen(dtype, src, dst), true, `${dtype}, ${n} values, ${bits.toString(16)} at ${at}`);
          const want = new Float32Array(n);
          (dtype === "BF16" ? bf16ToF32 : f16ToF32)(src, want);
          assertSameBits(dst, want, `${dtype} widened with a non-finite value`);
        }
      }
    }
  }
});

test("WASM bf16 widening in place (stored bits in the upper half of the float32 bytes) equals the copy", () => {
  const k = kernels();
  const n = 40_003;
  const buf = new Float32Array(n);
  const stored = new Uint16Array(buf.buffer, 2 * n, n);
  const r = rng(3);
  for (let i = 0; i < n; i++) stored[i] = (r() * 65536) >>> 0;
  const want = new Float32Array(n);
  bf16ToF32(stored.slice(), want);
  k.widen("BF16", stored, buf);
  assertSameBits(buf, want, "in place");
});

test("WASM bf16 rounding equals the JavaScript rounding (ties to even, NaN, Inf, overflow), also in place", () => {
  const k = kernels();
  for (const src of [roundingCases(), randomBits(100_001, 1), awkward(30_000, 2), normals(16_389, 4, 1e-3)]) {
    const want = new Uint16Array(src.length);
    const got = new Uint16Array(src.length);
    f32ToBF16(src, want);
    k.roundBF16(src, got);
    assert.deepEqual(got, want);
    const inPlace = src.slice();
    const view = new Uint16Array(inPlace.buffer, 0, src.length);
    k.roundBF16(inPlace, view);
    assert.deepEqual(view, want);
  }
});

test("float32AtLeast is the least float32 at or above a float64 threshold", () => {
  for (const t of [0, -0, 1, 1e-3, -1e-3, 1 + 2 ** -30, -(1 + 2 ** -30), 1e-46, -1e-46, 3.5e38, -3.5e38, Infinity]) {
    const f = float32AtLeast(t);
    assert.equal(Math.fround(f), f);
    assert.ok(f >= t, `${f} ≥ ${t}`);
    const below = new Float32Array([f]);
    const bits = new Int32Array(below.buffer);
    bits[0] = f > 0 ? bits[0]! - 1 : f < 0 ? bits[0]! + 1 : 0x80000001; // the float32 just below f
    assert.ok(!(below[0]! >= t) || below[0] === f, `nothing between ${below[0]} and ${f} is ≥ ${t}`);
  }
  assert.ok(Number.isNaN(float32AtLeast(NaN)));
});

/** n models around a base, with specials, and some deltas exactly at the threshold's magnitude. */
function tiesCase(n: number, length: number, seed: number): { models: Float32Array[]; base: Float32Array; thresholds: number[] } {
  const r = rng(seed);
  const base = normals(length, seed, 0.02);
  for (let i = 0; i < length; i += 97) base[i] = [-0, 0, NaN, 1e-40, Infinity][(i / 97) % 5]!;
  const thresholds = Array.from({ length: n }, (_, i) => (i === 0 ? Math.fround(1e-3) : i === 1 ? 0 : i === 2 ? NaN : 2e-3 * r()));
  const models = Array.from({ length: n }, (_, i) => {
    const d = awkward(length, seed * 31 + i);
    const m = new Float32Array(length);
    for (let j = 0; j < length; j++) {
      const u = r();
      const delta = u < 0.05 ? (r() < 0.5 ? -1 : 1) * thresholds[0]! : u < 0.06 ? NaN : u < 0.065 ? -Infinity : d[j]!;
      m[j] = base[j]! + delta;
    }
    return m;
  });
  return { models, base, thresholds };
}

test("WASM TIES elect-and-merge equals the JavaScript loops for 1 to 12 models, every option", () => {
  const k = kernels();
  const scratch = new Scratch();
  const length = 16_384 + 4_099; // two blocks, a ragged tail
  for (let n = 1; n <= 12; n++) {
    const { models, base, thresholds } = tiesCase(n, length, 100 + n);
    for (const consensus of ["sum", "count"] as const) {
      for (const normalize of [true, false]) {
        for (const [weights, lambda] of [[new Array<number>(n).fill(1), 1], [Array.from({ length: n }, (_, i) => (i % 3 === 2 ? -0.5 : 0.3 + i)), 0.7]] as const) {
          const params: TiesParams = { density: [], lambda, weights: [...weights], consensus, normalize, agreement: "delta" };
          const want = new Float32Array(length);
          const got = new Float32Array(length);
          tiesMerge(models, base, thresholds, params, want, length, scratch, null);
          const flags = (consensus === "count" ? TIES_FLAGS.count : 0) | (normalize ? TIES_FLAGS.normalize : 0) | (n > 8 ? TIES_FLAGS.zeroStart : 0);
          for (const looped of [false, true]) {
            k.ties(models, base, thresholds, weights, lambda, flags, got, length, looped);
            assertSameBits(got, want, `${n} models, ${consensus}, normalize ${normalize}, λ ${lambda}${looped ? ", looped" : ""}`);
          }
        }
      }
    }
  }
});

test("WASM merge of given deltas equals the sparse methods' JavaScript sign election", () => {
  const k = kernels();
  const scratch = new Scratch();
  const length = 5_003;
  for (const n of [1, 2, 3, 5]) {
    const kept = Array.from({ length: n }, (_, i) => awkward(length, 7 * n + i));
    kept[0]![3] = NaN;
    const base = normals(length, n, 0.02);
    base[5] = -0;
    for (const consensus of ["sum", "count"] as const) {
      for (const normalize of [true, false]) {
        const weights = Float64Array.from({ length: n }, (_, i) => 0.5 + i);
        const want = new Float32Array(length);
        const got = new Float32Array(length);
        sparseMergeBlock(kept, { weights, signs: new Float64Array(n).fill(1), consensus, normalize, lambda: 0.9 }, base, want, 0, length, scratch, null);
        const flags = TIES_FLAGS.deltas | TIES_FLAGS.zeroStart | (consensus === "count" ? TIES_FLAGS.count : 0) | (normalize ? TIES_FLAGS.normalize : 0);
        for (const looped of [false, true]) {
          k.ties(kept, base, new Array<number>(n).fill(0), weights, 0.9, flags, got, length, looped);
          assertSameBits(got, want, `${n} deltas, ${consensus}, normalize ${normalize}${looped ? ", looped" : ""}`);
        }
      }
    }
  }
});

test("WASM histogram passes (magnitude and signed keys, with kept buckets) equal the JavaScript counts", () => {
  const k = kernels();
  for (const values of [randomBits(70_001, 9), awkward(40_000, 10), normals(33_333, 11, 1e-3)]) {
    for (const mode of ["magnitude", "signed"] as const) {
      for (const keep of [undefined, { lo: 0x3a00, span: 0x300 }, { lo: 0, span: 0xffff }]) {
        const pass: HistogramPass = keep ? { kind: "high", mode, keep } : { kind: "high", mode };
        const want = new Float64Array(65536).fill(3);
        const got = new Float64Array(65536).fill(3);
        const wantKeys = new KeyList();
        const gotKeys = new KeyList();
        histogramIntoWith(null, pass, values, 5, values.length - 2, want, wantKeys);
        histogramIntoWith(k, pass, values, 5, values.length - 2, got, gotKeys);
        histogramIntoWith(k, pass, values, 0, 5, got, gotKeys); // a second call on the same bins
        histogramIntoWith(null, pass, values, 0, 5, want, wantKeys);
        assert.deepEqual(got, want, `${mode} bins, keep ${JSON.stringify(keep)}`);
        assert.deepEqual(gotKeys.view(), wantKeys.view(), `${mode} kept keys`);
      }
    }
  }
});

/** Keys in and around the range [lo, lo + span] (both edges, first and last key of each bucket), NaN, ±0, subnormals. */
function rangeEdges(lo: number, span: number, signed: boolean): Float32Array {
  const keys: number[] = [];
  for (const b of [lo - 1, lo, lo + 1, lo + span - 1, lo + span, lo + span + 1]) {
    if (b >= 0 && b <= 0xffff) keys.push(b * 65536, b * 65536 + 1, b * 65536 + 0xffff);
  }
  // the float32 bits of each key: magnitude keys are the bits themselves (either sign), signed keys invert the map
  const bits = keys.flatMap((k) => (signed ? [k >= 0x80000000 ? k - 0x80000000 : ~k >>> 0] : [k, (k | 0x80000000) >>> 0]));
  bits.push(0, 0x80000000, 1, 0x807fffff, 0x7fc00000, 0xffc00001, 0x7f800000, 0xff800000);
  const out = new Float32Array(bits.length * 7);
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < u.length; i++) u[i] = bits[(i * 5) % bits.length]! >>> 0;
  return out;
}

test("WASM ranged first pass (range_high) equals its JavaScript reference and the full histogram, at the range's edges", () => {
  const k = kernels();
  const ranges = [{ lo: 0x3a00, span: 0x300 }, { lo: 0x3f80, span: 0 }, { lo: 0, span: 5 }, { lo: 0xfff0, span: 0xf }, { lo: 0x8000, span: 2 }, { lo: 0, span: 0xffff }];
  for (const mode of ["magnitude", "signed"] as const) {
    for (const keep of ranges) {
      for (const values of [rangeEdges(keep.lo, keep.span, mode === "signed"), randomBits(20_003, 31), awkward(9_999, 32)]) {
        const pass: HistogramPass = { kind: "high", mode, keep };
        const full = new Float64Array(65536);
        histogramIntoWith(null, { kind: "high", mode }, values, 0, values.length, full);
        const want = new Float64Array(65536);
        const got = new Float64Array(65536);
        const wantKeys = new KeyList();
        const gotKeys = new KeyList();
        for (const [s, e] of [[0, 3], [3, values.length]] as const) {
          histogramIntoWith(null, pass, values, s, e, want, wantKeys);
          histogramIntoWith(k, pass, values, s, e, got, gotKeys);
        }
        const what = `${mode}, keep ${JSON.stringify(keep)}`;
        assert.deepEqual(got, want, `${what}: bins`);
        assert.deepEqual(gotKeys.view(), wantKeys.view(), `${what}: kept keys`);
        // independently of the reference: exact inside, lumped on each side, the keys those of the range
        const hi = keep.lo + keep.span;
        const expected = new Float64Array(65536);
        for (let b = 0; b < 65536; b++) {
          if (b < keep.lo) expected[keep.lo - 1] += full[b]!;
          else if (b > hi) expected[hi + 1] += full[b]!;
          else expected[b] = full[b]!;
        }
        assert.deepEqual(got, expected, `${what}: against the full histogram`);
        let inside = 0;
        for (let b = keep.lo; b <= hi; b++) inside += full[b]!;
        assert.equal(gotKeys.length, inside, `${what}: one key per element in the range`);
        assert.ok(gotKeys.view().every((key) => key >>> 16 >= keep.lo && key >>> 16 <= hi), `${what}: keys in the range`);
      }
    }
  }
});

test("WASM histogram passes over deltas taken from the inputs equal the JavaScript counts of deltaSeries", () => {
  const k = kernels();
  const length = 50_003;
  const base = awkward(length, 12);
  for (const model of [randomBits(length, 13), awkward(length, 14), base.map((b, i) => b + normals(1, i, 1e-3)[0]!)]) {
    const deltas = new Float32Array(length);
    deltaSeries({ inputs: [model], base, length } as unknown as ChunkInputs, 0, length, [deltas]);
    for (const mode of ["magnitude", "signed"] as const) {
      for (const keep of [undefined, { lo: 0x3a00, span: 0x300 }]) {
        const pass: HistogramPass = keep ? { kind: "high", mode, keep } : { kind: "high", mode };
        const want = new Float64Array(65536).fill(1);
        const got = new Float64Array(65536).fill(1);
        const wantKeys = new KeyList();
        const gotKeys = new KeyList();
        histogramIntoWith(null, pass, deltas, 7, length, want, wantKeys);
        histogramDeltasInto(k, pass, model, base, 7, length, got, gotKeys);
        assert.deepEqual(got, want, `${mode} bins, keep ${JSON.stringify(keep)}`);
        assert.deepEqual(gotKeys.view(), wantKeys.view(), `${mode} kept keys`);
      }
    }
  }
});

test("WASM DARE drop equals the JavaScript draws and rescaling, also across a 2^32 element index", () => {
  const k = kernels();
  const length = 20_011;
  const base = normals(length, 5, 0.02);
  const model = base.map((b, i) => b + (i % 101 === 0 ? NaN : awkward(1, i)[0]!));
  for (const [first, density, scale] of [[0, 0.5, 2], [3, 0.1, 10], [2 ** 32 - 7_000, 0.9, 1 / 0.9], [2 ** 40 + 5, 1, 1], [17, 0.3, -0.5]] as const) {
    const key = streamKey(3, "model.layers.0.mlp.up_proj.weight", 1);
    const want = new Float32Array(length - 9);
    const got = new Float32Array(length - 9);
    dropBlock(model, base, 9, length - 9, key, first, density, scale, want, null);
    k.dareDrop(model, base, 9, length - 9, key, first, density, scale, got);
    assertSameBits(got, want, `first ${first}, density ${density}`);
  }
});

test("WASM PCB betas equal the JavaScript float32 steps (clamps, zero range, tied bounds), or defer to them", () => {
  const k = kernels();
  const length = 16_381;
  for (const n of [2, 3, 7]) {
    const d = awkward(length, 20 + n);
    const sum = normals(length, 30 + n, 5e-3);
    const cases: [number, number, number, number, number][] = [
      [Math.fround(1e-5), Math.fround(1e-3), Math.fround(1e-5), Math.fround(1e-3 - 1e-5), 1],
      [Math.fround(2e-4), Math.fround(2e-4), Math.fround(2e-4), 1, 0], // lo = hi: a zero range
      [0, Math.fround(0.25), 0, Math.fround(0.25), 1],
    ];
    for (const [lo, hi, min, div, scale] of cases) {
      const want = new Float32Array(length);
      const got = new Float32Array(length);
      taskBetas(d, sum, length, lo, hi, min, div, scale, n, want);
      assert.ok(k.pcbBetas(d, sum, length, lo, hi, min, div, scale, n, got), "the fast ranges cover these inputs");
      assertSameBits(got, want, `${n} tasks, clip [${lo}, ${hi}]`);
    }
  }
  // δ·Σδ past 1/16 or NaN needs Math.tanh: the kernel declines and writes nothing.
  const big = Float32Array.of(0.5, 0.1, NaN, 0);
  const untouched = new Float32Array(4).fill(7);
  assert.equal(k.pcbBetas(big, Float32Array.of(1, 1, 1, 1), 4, 0, 1, 0, 1, 1, 3, untouched), false);
  assert.deepEqual(untouched, new Float32Array(4).fill(7));
});

test("WASM non-finite word scan equals the JavaScript carries, and finds one NaN or Inf anywhere in a large tensor", () => {
  const k = kernels();
  const words = new Uint32Array(randomBits(300_001, 71).buffer);
  // The zero padding may add `add`'s own bits, never a carry: the carry bits are what must agree.
  for (const [mask, add, carry] of [[0x7f807f80, 0x00800080, 0x80008000], [0x7c007c00, 0x04000400, 0x80008000], [0x7f800000, 0x00800000, 0x80000000]] as const) {
    for (const n of [1, 5, 16_384 * 16 + 3, words.length]) {
      for (const at of [0, n - 1]) {
        const some = words.slice(0, n).map((w) => w & ~mask); // finite everywhere but `at`
        some[at] = words[at]! | mask;
        const want = wordsCarry(some, mask, add) & carry;
        assert.notEqual(want, 0);
        assert.equal(k.nonFiniteWords(some, mask, add) & carry, want, `${n} words, non-finite at ${at}`);
        some[at] = 0;
        assert.equal(k.nonFiniteWords(some, mask, add) & carry, 0, `${n} finite words`);
      }
      assert.equal(k.nonFiniteWords(words.subarray(0, n), mask, add) & carry, wordsCarry(words.subarray(0, n), mask, add) & carry, `${n} random words`);
    }
  }
  const bf16 = new Uint16Array(600_003).fill(0x3f80); // 1.0
  assert.equal(countNonFinite(new Uint8Array(bf16.buffer), "BF16"), 0);
  for (const [at, bits] of [[599_999, 0x7fc0], [262_144 * 2 + 1, 0xff80], [7, 0x7f80]] as const) {
    bf16[at] = bits;
    assert.equal(countNonFinite(new Uint8Array(bf16.buffer), "BF16"), 1, `bits ${bits.toString(16)} at ${at}`);
    bf16[at] = 0x3f80;
  }
});

test("WASM PCB merge equals the JavaScript float64 sums (β ties and NaN at the threshold, clipped δ, no tasks), or declines", () => {
  const k = kernels();
  const length = 16_379;
  const f = Math.fround;
  for (const n of [0, 1, 3, SIMD_PCB_MAX_TASKS]) {
    const base = awkward(length, 40 + n);
    const tasks: PcbMergeTask[] = Array.from({ length: n }, (_, i) => {
      const beta = normals(length, 50 + i, 0.5);
      const lo = f(0.1 * i);
      for (let j = 0; j < length; j += 97) beta[j] = j % 2 ? lo : NaN; // ties with the threshold, NaN
      return { delta: awkward(length, 60 + i), beta, lo, range: f(1.5 + i), clipLo: f(1e-6), clipHi: f(0.02 * (i + 1)), weight: i === 1 ? -0.75 : 1 + i / 3 };
    });
    for (const lambda of [1, 0.3]) {
      const want = new Float32Array(length);
      const got = new Float32Array(length);
      mergeBlock(tasks, base, lambda, want, length, new Float64Array(length), new Float64Array(length));
      assert.ok(k.pcbMerge(tasks, base, lambda, got, length));
      assertSameBits(got, want, `${n} tasks, λ ${lambda}`);
    }
  }
  const one = { delta: new Float32Array(4), beta: new Float32Array(4), lo: 0.1, range: 1, clipLo: 0, clipHi: 1, weight: 1 };
  const untouched = new Float32Array(4).fill(7);
  assert.equal(k.pcbMerge([one], new Float32Array(4), 1, untouched, 4), false, "0.1 is not a float32 value");
  assert.equal(k.pcbMerge(Array.from({ length: SIMD_PCB_MAX_TASKS + 1 }, () => ({ ...one, lo: 0 })), new Float32Array(4), 1, untouched, 4), false);
  assert.deepEqual(untouched, new Float32Array(4).fill(7));
});

test("mergekit's weighted agreement with a negative weight gives the JavaScript result whether the SIMD kernels load or not", () => {
  const scratch = new Scratch();
  const length = 4_099;
  const { models, base, thresholds } = tiesCase(3, length, 7);
  const params: TiesParams = { density: [], lambda: 1, weights: [0.5, -0.7, 1.2], consensus: "sum", normalize: true, agreement: "weighted" };
  const want = new Float32Array(length);
  const got = new Float32Array(length);
  tiesMerge(models, base, thresholds, params, want, length, scratch, null);
  tiesMerge(models, base, thresholds, params, got, length, scratch, kernels());
  assertSameBits(got, want, "weighted agreement");
  const signs = Float64Array.from([1, -1, 1]);
  const weights = Float64Array.from(params.weights);
  sparseMergeBlock(models, { weights, signs, consensus: "sum", normalize: true, lambda: 1 }, base, want, 0, length, scratch, null);
  sparseMergeBlock(models, { weights, signs, consensus: "sum", normalize: true, lambda: 1 }, base, got, 0, length, scratch, kernels());
  assertSameBits(got, want, "weighted agreement, given deltas");
});

test("WASM DELLA row ranks (row_ranks) equal the JavaScript radix sort, up to the block, and decline longer rows", () => {
  const k = kernels();
  for (const n of [0, 1, 2, 5, 1024, 2816, 16384]) {
    for (const row of [awkward(n, 70 + n), normals(n, 71, 0.01), new Float32Array(n).fill(0.5)]) {
      const expected = new Float64Array(n);
      rowRanks(row, expected, new Float64Array(2 * n));
      const got = new Float64Array(n);
      assert.ok(k.rowRanks(row, got));
      assert.deepEqual(got, expected, `${n} elements`);
    }
  }
  assert.equal(k.rowRanks(new Float32Array(16385), new Float64Array(16385)), false);
});

test("WASM DELLA row drop (row_ranks + della_drop) equals dropRow's JavaScript in every finish mode, at high element offsets", () => {
  const k = kernels();
  const params = { density: [0.5, 1], epsilon: [0.15, 0.3], lambda: 1, weights: [1, 1], rescale: true, consensus: "sum", agreement: "sign", normalize: true, seed: 0 } as unknown as DellaParams;
  for (const row of [1, 3, 1024, 2816]) {
    for (const offset of [0, 7 * row, 3 * 4294967296 + 2 * row]) {
      const rows = 2;
      const chunk: ChunkInputs = { inputs: [awkward(rows * row, row), normals(rows * row, 5, 0.01)], base: awkward(rows * row, 3), length: rows * row, offset, rowLength: row };
      for (const finish of [{ mode: 0 }, { mode: 1 }, { mode: 2, scale: 1.37 }] as DropFinish[]) {
        for (let i = 0; i < 2; i++) {
          for (let r = 0; r < rows; r++) {
            const scratch = (): [Float32Array, Float64Array, Float64Array, Float64Array] => [new Float32Array(row), new Float64Array(row), new Float64Array(row), new Float64Array(2 * row)];
            const js = scratch();
            const wasm = scratch();
            dropRow(params, chunk, i, 0x9e3779b9 + i, r * row, ...js, finish, null);
            dropRow(params, chunk, i, 0x9e3779b9 + i, r * row, ...wasm, finish, k);
            assertSameBits(wasm[0], js[0], `row ${row}, offset ${offset}, mode ${finish.mode}, model ${i}`);
          }
        }
      }
    }
  }
  assert.equal(k.dellaRow(new Float32Array(4), 1, 4294967294, 0.5, 0.1, 0, 1), false, "a row across 2³² elements is declined");
});
