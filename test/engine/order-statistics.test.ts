import { test } from "node:test";
import assert from "node:assert/strict";
import { OrderStatisticSelector, SMALL_SCOPE, kthLargestMagnitude, selectOrderStatistics } from "../../src/engine/kernels/order-statistics.js";
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
