/**
 * The shared kernel memory (src/wasm/heap.ts): its allocator, the buffer pool on it, and the SIMD
 * kernels working on arrays that lie in it, which must give exactly the bits of the same kernels
 * fed by copies (ordinary arrays), at every length (the last elements of a group of 8 go by copy).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { MAX_PAGES, PAGE_BYTES, WasmHeap, threadHeap } from "../../src/wasm/heap.js";
import { SCRATCH_BYTES, type SimdKernels, TIES_FLAGS, kernelsOn, simdKernels } from "../../src/wasm/simd-kernels.js";
import { BufferPool } from "../../src/engine/buffer-pool.js";
import { type HistogramPass, KeyList, histogramDeltasInto, histogramIntoWith } from "../../src/engine/kernels/order-statistics.js";
import { awkward, normals, rng } from "../engine/random.js";

function kernels(): SimdKernels {
  const k = simdKernels();
  assert.ok(k, "the WASM module loads (npm run build assembles src/wasm/kernels.wat)");
  return k;
}

/** A copy of `a` in the main thread's heap. */
function inHeap<T extends Float32Array | Uint16Array | Uint32Array>(a: T): T {
  const heap = threadHeap();
  const at = heap.alloc(a.byteLength);
  assert.notEqual(at, null);
  const Ctor = a.constructor as new (buffer: ArrayBufferLike, offset: number, length: number) => T;
  const copy = new Ctor(heap.buffer, at!, a.length);
  copy.set(a as never);
  return copy;
}

function release(...arrays: ArrayBufferView[]): void {
  for (const a of arrays) threadHeap().release(a.byteOffset);
}

function bitsOf(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

test("the heap allocates aligned, disjoint blocks, coalesces what is released and grows its memory on demand", () => {
  const heap = WasmHeap.create();
  const a = heap.alloc(100)!;
  const b = heap.alloc(1000)!;
  const c = heap.alloc(10)!;
  for (const x of [a, b, c]) assert.equal(x % 64, 0);
  assert.ok(a + 100 <= b && b + 1000 <= c, "disjoint");
  heap.release(b);
  heap.release(a);
  assert.equal(heap.alloc(1100), a, "a and b's blocks are one again");
  heap.release(a);
  heap.release(c);
  assert.equal(heap.bytesInUse, 0);
  assert.equal(heap.alloc(64), a, "the top came back down");
  const before = heap.buffer;
  const big = heap.alloc(10 * PAGE_BYTES)!;
  assert.ok(heap.buffer.byteLength >= big + 10 * PAGE_BYTES, "grown");
  const old = new Float32Array(before, 0, 4);
  const fresh = heap.f32(big, 4);
  assert.ok(heap.owns(old) && heap.owns(fresh), "views of the buffer before and after growth are both the memory's");
  assert.equal(heap.owns(new Float32Array(4)), false);
  assert.equal(heap.alloc(MAX_PAGES * PAGE_BYTES), null, "past 4 GiB there is no block");
  heap.release(big);
  assert.ok(heap.fitsWithoutGrowth(5 * PAGE_BYTES), "a released block's pages serve a new one");
  assert.equal(heap.fitsWithoutGrowth(heap.buffer.byteLength), false);
  assert.ok(heap.alloc(5 * PAGE_BYTES)! + 5 * PAGE_BYTES <= heap.buffer.byteLength);
  assert.throws(() => heap.release(12345), /no block/);
  assert.throws(() => new WasmHeap(heap.memory, false).alloc(8), /only the thread that created the memory/);
});

test("a worker thread that adopts the memory sees the main thread's blocks, also after the memory grew", async () => {
  const heap = WasmHeap.create();
  const at = heap.alloc(16)!;
  heap.f32(at, 4).set([1, 2, 3, 4]);
  const late = heap.alloc(4 * PAGE_BYTES)!; // grows the memory after the worker took it
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    parentPort.once("message", ({ at, late }) => {
      const f = new Float32Array(workerData.memory.buffer);
      f[late / 4] = 42;
      parentPort.postMessage([...f.subarray(at / 4, at / 4 + 4)]);
    });`;
  const worker = new Worker(code, { eval: true, workerData: { memory: heap.memory } });
  const seen = await new Promise<number[]>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.postMessage({ at, late });
  });
  await worker.terminate();
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.equal(heap.f32(late, 1)[0], 42);
});

test("a buffer pool on the heap hands out heap blocks, keeps lent ones, and gives every block back on clear", async () => {
  const heap = WasmHeap.create();
  const pool = new BufferPool(true, heap);
  const a = pool.acquire(1000);
  const view = pool.acquire(700); // a block of its own, a view of exactly 700
  assert.ok(heap.owns(a) && heap.owns(view));
  assert.equal(view.length, 700);
  pool.release(view);
  assert.equal(pool.acquire(700).byteOffset, view.byteOffset, "the block comes back for a fitting request");
  let end!: () => void;
  pool.lend(a, new Promise<void>((resolve) => (end = resolve)));
  pool.release(a);
  assert.notEqual(pool.acquire(1000).byteOffset, a.byteOffset, "lent: not handed out");
  const inUse = heap.bytesInUse;
  pool.clear();
  assert.ok(heap.bytesInUse > 0 && heap.bytesInUse < inUse, "only the lent block is left");
  end();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(heap.bytesInUse, 0, "the lent block is given back when its loan ends");
});

test("SIMD TIES on heap arrays (in place) equals TIES fed by copies, at ragged lengths, unrolled and looped", () => {
  const k = kernels();
  for (const length of [1, 7, 8, 9, 16_384 + 7, 40_001]) {
    for (const n of [1, 3, 10]) {
      const models = Array.from({ length: n }, (_, i) => awkward(length, 10 * n + i));
      const base = normals(length, 99, 1e-3);
      const thresholds = Array.from({ length: n }, (_, i) => 1e-4 * (i + 1));
      const weights = Array.from({ length: n }, (_, i) => 0.5 + i);
      const flags = TIES_FLAGS.normalize | (n > 8 ? TIES_FLAGS.zeroStart : 0);
      const want = new Float32Array(length);
      const hm = models.map(inHeap);
      const hb = inHeap(base);
      const got = inHeap(new Float32Array(length));
      for (const looped of [false, true]) {
        k.ties(models, base, thresholds, weights, 0.8, flags, want, length, looped);
        k.ties(hm, hb, thresholds, weights, 0.8, flags, got, length, looped);
        assert.deepEqual(bitsOf(got), bitsOf(want), `${n} models, ${length} elements${looped ? ", looped" : ""}`);
      }
      release(...hm, hb, got);
    }
  }
});

test("SIMD widening and bf16 rounding in place on the heap equal the copies, in the engine's segment layout", () => {
  const k = kernels();
  const r = rng(5);
  for (const n of [3, 8, 13, 32_768, 40_003]) {
    for (const dtype of ["BF16", "F16"] as const) {
      const stored = Uint16Array.from({ length: n }, () => (r() * 65536) >>> 0);
      const want = new Float32Array(n);
      k.widen(dtype, stored, want);
      // The stored bits in the upper half of the buffer's own bytes, widened over them.
      const buf = inHeap(new Float32Array(n));
      const upper = new Uint16Array(buf.buffer, buf.byteOffset + 2 * n, n);
      upper.set(stored);
      const exponent = dtype === "BF16" ? 0x7f80 : 0x7c00;
      assert.equal(k.widen(dtype, upper, buf), stored.some((b) => (b & exponent) === exponent), `${dtype}: the non-finite test in place`);
      assert.deepEqual(bitsOf(buf), bitsOf(want), `${dtype} widened in place, ${n} elements`);
      release(buf);
    }
    const values = awkward(n, n);
    const want = new Uint16Array(n);
    k.roundBF16(values, want);
    const buf = inHeap(values);
    const lower = new Uint16Array(buf.buffer, buf.byteOffset, n);
    k.roundBF16(buf, lower);
    assert.deepEqual(lower, want, `bf16 rounded in place, ${n} elements`);
    release(buf);
  }
});

test("SIMD histogram passes and the non-finite scan read heap arrays where they lie, with the copies' results", () => {
  const k = kernels();
  const length = 50_003;
  const model = normals(length, 21, 1e-3);
  const base = awkward(length, 22);
  const hm = inHeap(model);
  const hb = inHeap(base);
  for (const mode of ["magnitude", "signed"] as const) {
    for (const keep of [undefined, { lo: 0x3a00, span: 0x300 }]) {
      const pass: HistogramPass = keep ? { kind: "high", mode, keep } : { kind: "high", mode };
      const want = new Float64Array(65536);
      const got = new Float64Array(65536);
      const wantKeys = new KeyList();
      const gotKeys = new KeyList();
      histogramDeltasInto(k, pass, model, base, 5, length, want, wantKeys);
      histogramDeltasInto(k, pass, hm, hb, 5, length, got, gotKeys);
      assert.deepEqual(got, want, `${mode} delta bins, keep ${JSON.stringify(keep)}`);
      assert.deepEqual(gotKeys.view(), wantKeys.view(), `${mode} kept delta keys`);
      want.fill(0);
      got.fill(0);
      const wk = new KeyList();
      const gk = new KeyList();
      histogramIntoWith(k, pass, model, 3, length, want, wk);
      histogramIntoWith(k, pass, hm, 3, length, got, gk);
      assert.deepEqual(got, want, `${mode} value bins`);
      assert.deepEqual(gk.view(), wk.view(), `${mode} kept value keys`);
    }
  }
  const mask = 0x7f807f80;
  const add = 0x00800080;
  for (const n of [1, 3, 4, 9, 262_147]) {
    const words = inHeap(new Uint32Array(n).fill(0x3f803f80));
    for (const at of [0, n - 1, n >> 1]) {
      words[at] = 0x7fc03f80;
      assert.notEqual(k.nonFiniteWords(words, mask, add) & 0x80008000, 0, `${n} words, NaN at ${at}`);
      words[at] = 0x3f803f80;
    }
    assert.equal(k.nonFiniteWords(words, mask, add) & 0x80008000, 0, `${n} finite words`);
    release(words);
  }
  release(hm, hb);
});

test("kernels whose scratch block held other data (a worker's, after an earlier run's buffers) count from zero", () => {
  const heap = WasmHeap.create();
  const scratch = heap.alloc(SCRATCH_BYTES)!;
  new Uint8Array(heap.buffer, scratch, SCRATCH_BYTES).fill(0xa5);
  const k = kernelsOn(heap, scratch);
  assert.ok(k);
  const values = normals(20_000, 8, 1);
  for (const mode of ["magnitude", "signed"] as const) {
    const pass: HistogramPass = { kind: "high", mode };
    const want = new Float64Array(65536);
    const got = new Float64Array(65536);
    histogramIntoWith(null, pass, values, 0, values.length, want);
    histogramIntoWith(k, pass, values, 0, values.length, got);
    assert.deepEqual(got, want, mode);
  }
});
