import { test } from "node:test";
import assert from "node:assert/strict";
import { applyMethod } from "../../src/engine/in-memory.js";
import { rowRanks } from "../../src/methods/della.js";
import { normals } from "../engine/random.js";

const f32 = (xs: number[]): Float32Array => Float32Array.from(xs);

function family(n: number, d: number): { base: Float32Array; models: Float32Array[] } {
  const base = normals(d, 1, 0.02);
  const models = Array.from({ length: n }, (_, i) => {
    const delta = normals(d, 50 + i, 0.003);
    return base.map((b, j) => b + delta[j]!);
  });
  return { base, models };
}

test("dare with density 1 is task arithmetic, and DARE-TIES with density 1 is TIES with density 1", () => {
  const { base, models } = family(3, 1000);
  const weights = [1, 0.5, 2];
  assert.deepEqual(
    applyMethod("dare", { density: 1, weights, lambda: 0.7 }, models, base),
    applyMethod("task_arithmetic", { weights, lambda: 0.7 }, models, base),
  );
  assert.deepEqual(
    applyMethod("dare", { density: 1, weights, consensus: "sum", normalize: true }, models, base),
    applyMethod("ties", { density: 1, weights }, models, base),
  );
});

test("dare keeps about density of the entries, rescaled by 1/density, reproducibly per seed", () => {
  const d = 100_000;
  const base = new Float32Array(d);
  const ones = new Float32Array(d).fill(1);
  const out = applyMethod("dare", { density: 0.3, seed: 7 }, [ones], base);
  const kept = out.filter((x) => x !== 0);
  assert.ok(Math.abs(kept.length / d - 0.3) < 0.01, `kept ${kept.length / d}`);
  assert.ok(kept.every((x) => x === Math.fround(1 / 0.3)));
  assert.deepEqual(applyMethod("dare", { density: 0.3, seed: 7 }, [ones], base), out);
  const other = applyMethod("dare", { density: 0.3, seed: 8 }, [ones], base);
  assert.notDeepEqual(other, out);
  const plain = applyMethod("dare", { density: 0.3, seed: 7, rescale: false }, [ones], base);
  assert.deepEqual(plain.map((x) => (x === 0 ? 0 : 1 / 0.3)), out.map((x) => (x === 0 ? 0 : 1 / 0.3)));
});

test("dare draws are independent per model and per tensor", () => {
  const d = 10_000;
  const base = new Float32Array(d);
  const ones = new Float32Array(d).fill(1);
  const a = applyMethod("dare", { density: 0.5 }, [ones, ones], base, "t1");
  const b = applyMethod("dare", { density: 0.5 }, [ones, ones], base, "t2");
  assert.notDeepEqual(a, b);
  // Two models: (0 + 0), (2 + 0), (0 + 2), (2 + 2) summed, each about a quarter of the time.
  const both = a.filter((x) => x === 4).length / d;
  assert.ok(Math.abs(both - 0.25) < 0.02, `both kept ${both}`);
});

test("breadcrumbs drops the gamma largest and the smallest magnitudes", () => {
  // d = 10, density 0.5 → keep 5, gamma 0.1 → drop the largest 1, so drop the 4 smallest.
  const delta = [0.1, -0.5, 0.3, 2.0, -0.2, 0.4, 0.05, -1.0, 0.7, 0.6];
  const out = applyMethod("breadcrumbs", { density: 0.5, gamma: 0.1 }, [f32(delta)], new Float32Array(10));
  assert.deepEqual(out, f32([0, -0.5, 0, 0, 0, 0.4, 0, -1.0, 0.7, 0.6]));
  // Without outliers it keeps the 5 largest; with density 1 everything.
  assert.deepEqual(
    applyMethod("breadcrumbs", { density: 0.5, gamma: 0 }, [f32(delta)], new Float32Array(10)),
    f32([0, -0.5, 0, 2.0, 0, 0, 0, -1.0, 0.7, 0.6]),
  );
  assert.deepEqual(applyMethod("breadcrumbs", { density: 1 }, [f32(delta)], new Float32Array(10)), f32(delta));
});

test("breadcrumbs with consensus elects signs like TIES", () => {
  const { base, models } = family(3, 5000);
  const ties = applyMethod("ties", { density: 0.3 }, models, base);
  const crumbs = applyMethod("breadcrumbs", { density: 0.3, gamma: 0, consensus: "sum", normalize: true }, models, base);
  assert.deepEqual(crumbs, ties);
});

test("della ranks within rows, keeps larger magnitudes more often, rescales by 1/p", () => {
  const row = 1000;
  const rows = 100;
  const d = row * rows;
  const base = new Float32Array(d);
  const delta = new Float32Array(d);
  for (let j = 0; j < d; j++) delta[j] = ((j % row) + 1) / row; // magnitude rank = position in the row
  const out = applyMethod("della", { density: 0.5, epsilon: 0.2, consensus: "none" }, [delta], base, "t", row);
  let low = 0;
  let high = 0;
  for (let j = 0; j < d; j++) {
    const r = j % row;
    if (out[j] === 0) continue;
    const p = 0.4 + (0.2 * r) / (row - 1);
    assert.ok(Math.abs(out[j]! - delta[j]! / p) <= 1e-6 * Math.abs(out[j]!), `element ${j}`);
    if (r < 100) low++;
    if (r >= 900) high++;
  }
  // Expected keep rates ≈ 0.41 for the smallest tenth, ≈ 0.59 for the largest.
  assert.ok(Math.abs(low / (100 * rows) - 0.41) < 0.03, `smallest kept ${low / (100 * rows)}`);
  assert.ok(Math.abs(high / (100 * rows) - 0.59) < 0.03, `largest kept ${high / (100 * rows)}`);
});

test("della with density 1 and epsilon 0 is TIES with density 1", () => {
  const { base, models } = family(2, 4096);
  assert.deepEqual(
    applyMethod("della", { density: 1, epsilon: 0 }, models, base, "t", 64),
    applyMethod("ties", { density: 1 }, models, base),
  );
  assert.throws(() => applyMethod("della", {}, models, base), /density is required/);
});

test("della's row ranks equal a sort by magnitude, ties by position", () => {
  const row = f32([0.5, -0.1, 0.5, 0, -2, 0.1]);
  const ranks = new Float64Array(6);
  rowRanks(row, ranks, new Float64Array(12));
  assert.deepEqual([...ranks], [3, 1, 4, 0, 5, 2]);
});

test("della's radix row ranks equal a comparison sort of (|x|'s bits, position) on rows with ties, ±0, NaN and one exponent", () => {
  let seed = 7;
  const next = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  for (const len of [0, 1, 2, 3, 7, 256, 1024, 5000]) {
    for (const kind of ["wide", "ties", "one exponent", "awkward"]) {
      const row = new Float32Array(len);
      for (let j = 0; j < len; j++) {
        const u = next();
        row[j] =
          kind === "wide" ? (u - 0.5) * 10 ** Math.floor(next() * 8 - 4)
          : kind === "ties" ? Math.floor(u * 5) - 2
          : kind === "one exponent" ? 1 + u
          : [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, u][Math.floor(next() * 8)]!;
      }
      const bits = new Uint32Array(row.buffer);
      const order = Array.from({ length: len }, (_, j) => j).sort((a, b) => (bits[a]! & 0x7fffffff) - (bits[b]! & 0x7fffffff) || a - b);
      const expected = new Float64Array(len);
      order.forEach((j, r) => (expected[j] = r));
      const ranks = new Float64Array(len);
      rowRanks(row, ranks, new Float64Array(2 * len + 3));
      assert.deepEqual(ranks, expected, `${kind}, ${len} elements`);
    }
  }
  assert.throws(() => rowRanks(new Float32Array(4), new Float64Array(4), new Float64Array(4)), /scratch/);
});
