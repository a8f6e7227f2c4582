import { test } from "node:test";
import assert from "node:assert/strict";
import {
  KeyList,
  OrderStatisticSelector,
  SMALL_SCOPE,
  histogramInto,
  kthLargestMagnitude,
  maxKept,
  selectOrderStatistics,
} from "../../src/engine/kernels/order-statistics.js";
import { bitsToFloat, floatToBits, magnitudeKey, signedKey, signedKeyToBits } from "../../src/engine/kernels/float-keys.js";
import { awkward, normals, rng } from "./random.js";

function sortedSigned(values: Float32Array): Float32Array {
  return Float32Array.from(values).sort(); // typed-array sort: numeric, −0 before +0
}

function sortedMagnitudes(values: Float32Array): Float32Array {
  return Float32Array.from(values, Math.abs).sort();
}

function someRanks(n: number, seed: number): number[] {
  const r = rng(seed);
  const ranks = [0, n - 1, Math.floor(n / 2)];
  for (let i = 0; i < 5; i++) ranks.push(Math.floor(r() * n));
  return ranks;
}

test("signed keys order floats numerically, −0 just before +0", () => {
  const xs = [-Infinity, -3.5, -1e-40, -0, 0, 1e-45, 1e-40, 2, Infinity];
  const keys = xs.map((x) => signedKey(floatToBits(x)));
  for (let i = 1; i < keys.length; i++) assert.ok(keys[i - 1]! < keys[i]!, `${xs[i - 1]} before ${xs[i]}`);
  for (const x of xs) assert.ok(Object.is(bitsToFloat(signedKeyToBits(signedKey(floatToBits(x)))), Math.fround(x)));
  assert.equal(magnitudeKey(floatToBits(-2)), magnitudeKey(floatToBits(2)));
});

for (const [label, make] of [
  ["normal", (n: number, s: number) => normals(n, s)],
  ["duplicates, ±0 and subnormals", awkward],
] as const) {
  for (const n of [1, 7, SMALL_SCOPE, SMALL_SCOPE + 1, 50_000, 300_000]) {
    test(`radix select equals a full sort (${label}, n=${n})`, () => {
      const values = make(n, n + 11);
      const ranks = someRanks(n, n);
      const signed = sortedSigned(values);
      const mags = sortedMagnitudes(values);
      const gotSigned = selectOrderStatistics(values, ranks, "signed");
      const gotMags = selectOrderStatistics(values, ranks, "magnitude");
      ranks.forEach((r, i) => {
        assert.ok(Object.is(gotSigned[i], signed[r]), `signed rank ${r}: got ${gotSigned[i]}, sort gives ${signed[r]}`);
        assert.ok(Object.is(gotMags[i], mags[r]), `magnitude rank ${r}: got ${gotMags[i]}, sort gives ${mags[r]}`);
      });
    });
  }
}

test("streaming select over uneven chunks equals in-memory select", () => {
  const n = 200_003;
  const values = awkward(n, 5);
  const ranks = someRanks(n, 9);
  const expected = selectOrderStatistics(values, ranks, "signed");
  const selector = new OrderStatisticSelector("signed", n, ranks);
  const r = rng(3);
  let passes = 0;
  while (!selector.done) {
    // Each pass cuts the data differently, in copies (as chunks read from disk would be).
    for (let s = 0; s < n; ) {
      const e = Math.min(n, s + 1 + Math.floor(r() * 40_000));
      const chunk = values.slice(s, e);
      if (r() < 0.5) selector.feed(chunk);
      else {
        const padded = new Float32Array(chunk.length + 10);
        padded.set(chunk, 5);
        selector.feed(padded, 5, 5 + chunk.length);
      }
      s = e;
    }
    selector.endPass();
    passes++;
  }
  assert.equal(passes, 2);
  assert.deepEqual(selector.values(), expected);
});

test("a pass that misses elements is an error, not a wrong answer", () => {
  const selector = new OrderStatisticSelector("magnitude", 10_000, [5]);
  selector.feed(new Float32Array(9_999));
  assert.throws(() => selector.endPass(), /saw 9999 elements, expected 10000/);
});

test("ranks outside the scope are refused", () => {
  assert.throws(() => new OrderStatisticSelector("signed", 3, [3]), /rank 3 is outside 0..2/);
});

test("k-th largest magnitude with ties", () => {
  const values = new Float32Array([0.5, -3, 2, -2, 2, 0, 1]);
  assert.equal(kthLargestMagnitude(values, 1), 3);
  assert.equal(kthLargestMagnitude(values, 2), 2);
  assert.equal(kthLargestMagnitude(values, 4), 2);
  assert.equal(kthLargestMagnitude(values, 5), 1);
  assert.equal(kthLargestMagnitude(values, 7), 0);
});

/** The high-bucket histogram of every `step`-th value, as a sample for `narrow`. */
function sampleOf(values: Float32Array, mode: "signed" | "magnitude", step: number): { hist: Float64Array; count: number } {
  const picked = values.filter((_, i) => i % step === 0);
  const hist = new Float64Array(65536);
  histogramInto({ kind: "high", mode }, picked, 0, picked.length, hist);
  return { hist, count: picked.length };
}

/** One pass: half fed here, half counted as another thread would (histogram, kept keys). */
function onePass(selector: OrderStatisticSelector, values: Float32Array): void {
  const half = values.length >> 1;
  selector.feed(values, 0, half);
  const pass = selector.histogramPass()!;
  const hist = new Float64Array(pass.kind === "high" ? 65536 : 65536 * pass.buckets.length);
  const kept = new KeyList();
  histogramInto(pass, values, half, values.length, hist, kept);
  selector.addHistogram(hist, values.length - half);
  if (pass.kind === "high" && pass.keep) selector.addKept(kept.take());
  selector.endPass();
}

for (const mode of ["magnitude", "signed"] as const) {
  test(`narrowed ${mode} selection: one pass when the sample is right, three when it is not, exact either way`, () => {
    const n = 300_001;
    const values = normals(n, 21, 0.01);
    const ranks = [Math.floor(n * 0.79), Math.floor(n * 0.8), Math.floor(n * 0.81)];
    const expected = selectOrderStatistics(values, ranks, mode);

    const good = new OrderStatisticSelector(mode, n, ranks);
    const sample = sampleOf(values, mode, 37);
    good.narrow(sample.hist, sample.count);
    const pass = good.histogramPass();
    assert.ok(pass?.kind === "high" && pass.keep && pass.keep.span < 64, "a few buckets kept");
    onePass(good, values);
    assert.ok(good.done, "done after one pass");
    assert.deepEqual(good.values(), expected);

    // A sample of other values (ten times larger) points at the wrong buckets.
    const bad = new OrderStatisticSelector(mode, n, ranks);
    const misleading = sampleOf(values.map((x) => x * 10), mode, 37);
    bad.narrow(misleading.hist, misleading.count);
    onePass(bad, values);
    assert.ok(!bad.done, "a second pass is needed");
    const full = bad.histogramPass();
    assert.ok(full?.kind === "high" && !full.keep, "the ranged pass lumped the counts outside its range: a full first pass runs again");
    onePass(bad, values);
    assert.ok(!bad.done, "then the low bits");
    onePass(bad, values);
    assert.ok(bad.done);
    assert.deepEqual(bad.values(), expected);
  });
}

test("narrowing keeps nothing when the ranks fall among too many equal values or elements, and only before the first pass", () => {
  const n = 100_000;
  const values = new Float32Array(n).fill(0.5);
  for (let i = 0; i < n; i += 10) values[i] = i / n;
  const tied = new OrderStatisticSelector("magnitude", n, [n / 2]);
  const sample = sampleOf(values, "magnitude", 7);
  tied.narrow(sample.hist, sample.count);
  assert.equal((tied.histogramPass() as { keep?: unknown }).keep, undefined);
  assert.equal(tied.narrowable, false);
  // A billion elements: even 2% of them are more keys than a selection keeps.
  const huge = new OrderStatisticSelector("magnitude", 1e9, [8e8]);
  const spread = sampleOf(normals(65536, 5, 1), "magnitude", 1);
  huge.narrow(spread.hist, spread.count);
  assert.equal((huge.histogramPass() as { keep?: unknown }).keep, undefined);
  // The engine samples 2²⁰ elements of such a scope (StatsRunner.samplePlan): the range is narrow
  // enough for the keys to fit in maxKept (1/32 of the scope), so a 1.26-billion-element global
  // scope (TinyLlama's shape) still ends in one pass.
  const tinyLlama = new OrderStatisticSelector("magnitude", 1.26e9, [1.008e9]);
  const large = sampleOf(normals(1 << 20, 5, 1), "magnitude", 1);
  tinyLlama.narrow(large.hist, large.count);
  const keep = (tinyLlama.histogramPass() as { keep?: { lo: number; span: number } }).keep;
  assert.ok(keep && keep.span <= 2, "a bucket or two kept");
  assert.equal(maxKept(1.26e9), Math.floor(1.26e9 / 32));
  assert.equal(maxKept(1e6), 1 << 24);
  const started = new OrderStatisticSelector("magnitude", n, [n / 2]);
  started.feed(values, 0, 10);
  assert.equal(started.narrowable, false);
  while (!tied.done) onePass(tied, values);
  assert.deepEqual(tied.values(), [0.5]);
});
