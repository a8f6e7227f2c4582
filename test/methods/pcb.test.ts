import { test } from "node:test";
import assert from "node:assert/strict";
import { applyMethod } from "../../src/engine/in-memory.js";
import { clipRanks, dropRank } from "../../src/methods/pcb.js";
import { normals } from "../engine/random.js";

/**
 * PCB written the straightforward way, as the authors' pcb-merging.py does it: full sorts for the
 * order statistics, whole-array min/max normalisations, float64 arithmetic.
 */
function pcbBySorting(deltas: number[][], ratio: number, clip: number): number[] {
  const n = deltas.length;
  const d = deltas[0]!.length;
  const sorted = (xs: number[]): number[] => [...xs].sort((x, y) => x - y);
  const at = (xs: number[], i: number): number => xs[i < 0 ? i + xs.length : i]!;
  const clampAll = (xs: number[], lo: number, hi: number): number[] => xs.map((x) => Math.min(Math.max(x, lo), hi));
  const normalize = (xs: number[]): number[] => {
    const min = Math.min(...xs);
    const max = Math.max(...xs);
    return xs.map((x) => (max === min ? 0 : (x - min) / (max - min)));
  };
  const clipped = deltas.map((row) => {
    const abs = row.map(Math.abs);
    const s = sorted(abs);
    return clampAll(abs, at(s, Math.trunc(d * clip)), at(s, Math.trunc(d * (1 - clip) - 1)));
  });
  const sum = deltas[0]!.map((_, j) => deltas.reduce((acc, row) => acc + row[j]!, 0));
  const beta = deltas.map((row, i) => {
    const norm = normalize(clipped[i]!);
    return row.map((x, j) => Math.exp(n * norm[j]! ** 2) * Math.tanh(x * sum[j]!));
  });
  const scale = beta.map((row) => {
    const s = sorted(row);
    return normalize(clampAll(row, at(s, Math.trunc(d * (1 - ratio))), at(s, d - 1)));
  });
  return deltas[0]!.map((_, j) => {
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      num += Math.sign(deltas[i]![j]!) * clipped[i]![j]! * scale[i]![j]!;
      den += scale[i]![j]!;
    }
    return num / Math.max(den, 1e-12);
  });
}

function check(d: number, n: number, ratio: number, clip: number, lambda: number): void {
  const base = normals(d, 1, 0.02);
  const models = Array.from({ length: n }, (_, i) => {
    const delta = normals(d, 10 + i, 0.003);
    return base.map((b, j) => b + delta[j]!);
  });
  const deltas = models.map((m) => Array.from(m, (x, j) => Math.fround(x - base[j]!)));
  const tau = pcbBySorting(deltas, ratio, clip);
  const got = applyMethod("pcb", { ratio, clip, lambda }, models, base);
  let bad = 0;
  for (let j = 0; j < d; j++) {
    const expected = Math.fround(base[j]! + lambda * tau[j]!);
    if (!(Math.abs(got[j]! - expected) <= 1e-6 + 1e-5 * Math.abs(expected))) bad++;
  }
  assert.equal(bad, 0, `${bad} of ${d} elements differ from the sorting implementation`);
}

test("pcb equals a straightforward sorting implementation (small tensor)", () => check(60, 3, 0.2, 0.0001, 1.2));
test("pcb equals a straightforward sorting implementation (radix-selected tensor)", () => check(20_000, 3, 0.1, 0.01, 1));
test("pcb with two models and a large clip", () => check(5_000, 2, 0.5, 0.2, 0.7));

test("pcb's ranks follow Python's int() and negative indexing", () => {
  assert.deepEqual(clipRanks(64, 0.0001), [0, 62]); // int(64·0.9999 − 1) = int(62.9936) = 62
  assert.deepEqual(clipRanks(1, 0.0001), [0, 0]); // int(−0.0001) = 0
  assert.deepEqual(clipRanks(100_000, 0.0001), [10, 99_989]);
  assert.equal(dropRank(64, 0.2), 51); // int(64·0.8) = int(51.2)
  assert.equal(dropRank(10, 0), 9); // out of range in the reference: the last element
});

test("pcb: a task vector that is all zeros gets scale 0 instead of NaN", () => {
  const base = Float32Array.from([1, 2, 3, 4]);
  const same = Float32Array.from(base);
  const other = Float32Array.from([1.5, 2, 2, 4.25]);
  const out = applyMethod("pcb", { ratio: 0.5 }, [same, other], base);
  assert.ok(out.every(Number.isFinite), `got ${[...out]}`);
  const alone = applyMethod("pcb", { ratio: 0.5 }, [other], base);
  assert.deepEqual([...out], [...alone]);
});

test("pcb's weights scale each task's balanced contribution: the merged task vector is linear in them", () => {
  const base = normals(4000, 91, 0.02);
  const inputs = [92, 93, 94].map((seed) => {
    const d = normals(4000, seed, 0.003);
    return base.map((b, j) => b + d[j]!);
  });
  const tau = (weights: number[]): Float32Array => {
    const out = applyMethod("pcb", { ratio: 0.3, weights }, inputs, base);
    return out.map((x, j) => x - base[j]!);
  };
  const parts = [tau([1, 0, 0]), tau([0, 1, 0]), tau([0, 0, 1])];
  const mixed = tau([0.5, 1.5, 0.25]);
  const plain = tau([1, 1, 1]);
  const reference = applyMethod("pcb", { ratio: 0.3 }, inputs, base);
  for (let j = 0; j < base.length; j++) {
    const expected = 0.5 * parts[0]![j]! + 1.5 * parts[1]![j]! + 0.25 * parts[2]![j]!;
    assert.ok(Math.abs(mixed[j]! - expected) < 1e-6, `entry ${j}: ${mixed[j]} vs ${expected}`);
    assert.ok(Math.abs(plain[j]! - (reference[j]! - base[j]!)) < 1e-9, "weights of 1 are the authors' PCB");
  }
});
