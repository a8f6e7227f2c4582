/**
 * Order statistics from device histograms equal the CPU selector's exactly: every rank, both key
 * modes, both search methods, on values with ±0, subnormals, duplicates, ±∞ and NaN, fed in chunks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type KeyMode, keyToFloat } from "../../src/engine/kernels/float-keys.js";
import { OrderStatisticSelector, selectOrderStatistics } from "../../src/engine/kernels/order-statistics.js";
import { deviceHistogram, highLayout, lowLayout, type SearchMethod, upperBound } from "../../src/backends/tfjs/histogram.js";
import { awkward, normals, rng } from "../engine/random.js";
import { useTfjsCpu } from "./tfjs-setup.js";

const tf = await useTfjsCpu();

/** awkward values plus infinities and NaNs. */
function nasty(n: number, seed: number): Float32Array {
  const x = awkward(n, seed);
  const r = rng(seed + 7);
  for (let i = 0; i < n; i++) {
    const u = r();
    if (u < 0.02) x[i] = r() < 0.5 ? Infinity : -Infinity;
    else if (u < 0.04) x[i] = NaN;
  }
  return x;
}

async function selectOnDevice(x: Float32Array, ranks: number[], mode: KeyMode, method: SearchMethod, cuts: number[]): Promise<number[]> {
  const selector = new OrderStatisticSelector(mode, x.length, ranks);
  const whole = tf.tensor1d(x.slice());
  try {
    while (!selector.done) {
      const pass = selector.histogramPass();
      assert.ok(pass, "scopes above 4096 elements are selected by histograms");
      for (let k = 0; k + 1 < cuts.length; k++) {
        const part = tf.slice(whole, cuts[k]!, cuts[k + 1]! - cuts[k]!);
        selector.addHistogram(await deviceHistogram(pass, part, method), cuts[k + 1]! - cuts[k]!);
        part.dispose();
      }
      selector.endPass();
    }
  } finally {
    whole.dispose();
  }
  return selector.values();
}

const same = (a: number, b: number): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b));

for (const method of ["searchSorted", "gather"] as const) {
  for (const mode of ["magnitude", "signed"] as const) {
    test(`device histograms select the CPU's order statistics (${mode}, ${method})`, async () => {
      const before = tf.memory().numTensors;
      for (const seed of [1, 2]) {
        const n = 9000 + seed * 517;
        const x = seed === 1 ? nasty(n, seed) : normals(n, seed, 1e-3);
        const r = rng(seed + 99);
        const ranks = [0, 1, n - 2, n - 1, Math.floor(n / 2), ...Array.from({ length: 5 }, () => Math.floor(r() * n))].sort((a, b) => a - b);
        const want = selectOrderStatistics(x, ranks, mode);
        const got = await selectOnDevice(x, ranks, mode, method, [0, 3001, n]);
        ranks.forEach((rank, i) => assert.ok(same(got[i]!, want[i]!), `rank ${rank}: device ${got[i]}, CPU ${want[i]}`));
      }
      assert.equal(tf.memory().numTensors, before, "no tensor left behind");
    });
  }
}

test("the search boundaries are sorted numbers and cover every bucket", () => {
  for (const mode of ["magnitude", "signed"] as const) {
    const high = highLayout(mode);
    for (let i = 1; i < high.boundaries.length; i++) assert.ok(high.boundaries[i - 1]! < high.boundaries[i]!, `${mode} high boundary ${i}`);
    assert.equal(high.boundaries.at(-1), Infinity);
    for (const bucket of [0, 0x7f7f, 0x7f80, 0x8000, 0x007f, 0x7fff]) {
      const low = lowLayout(mode, bucket, 1);
      for (const b of low.boundaries) assert.ok(!Number.isNaN(b), `${mode} bucket ${bucket.toString(16)}: no NaN boundary`);
      for (let i = 1; i < low.boundaries.length; i++) assert.ok(low.boundaries[i - 1]! <= low.boundaries[i]!);
    }
  }
  // The signed bucket holding −∞: one number in it, and the next bucket's first key closes it.
  const inf = lowLayout("signed", 0x007f, 0);
  assert.deepEqual([...inf.boundaries], [-Infinity, keyToFloat("signed", 0x00800000)]);
});

test("the gather search counts the boundaries at or below each value, as SearchSorted does", async () => {
  const boundaries = Float32Array.from([-2, -1, -1, 0, 0.5, 3, Infinity]);
  const values = tf.tensor1d([-3, -2, -1, -0, 0, 0.25, 3, 4, Infinity, -Infinity, NaN]);
  const viaGather = upperBound(boundaries, values, "gather");
  const viaSearch = upperBound(boundaries, values, "searchSorted");
  const g = Array.from(await viaGather.data());
  assert.deepEqual(g.slice(0, 10), [0, 1, 3, 4, 4, 4, 6, 6, 7, 0]);
  assert.deepEqual(g.slice(0, 10), Array.from(await viaSearch.data()).slice(0, 10));
  tf.dispose([values, viaGather, viaSearch]);
});
