/**
 * Decompositions side by side (src/linalg/side-by-side.ts): pairs run on the product thread and the
 * caller give the bits of the same decompositions one after the other, for every kind of task and
 * an odd count, and a task that fails leaves the thread free.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { useFastProducts } from "../../src/linalg/matmul.js";
import { setEigenSolver } from "../../src/linalg/eigen.js";
import type { Matrix } from "../../src/linalg/matrix.js";
import { gramSvdsSideBySide, leadingSvdsSideBySide, orthonormalPairPolarsSideBySide, polarsSideBySide, setSideBySideMin, tasksAnsweredByThread, truncatedSvdsSideBySide } from "../../src/linalg/side-by-side.js";
import { Random } from "../../src/util/random.js";

const skip = availableParallelism() > 1 ? false : "the product thread runs on machines with more than one core";

function gaussian(rows: number, cols: number, seed: number): Matrix {
  const r = new Random(seed);
  return { rows, cols, data: Float64Array.from({ length: rows * cols }, () => r.normal()) };
}

/** f's result with pairs side by side, and one after the other. */
function bothWays<R>(f: () => R): { paired: R; alone: R; answered: number } {
  const before = tasksAnsweredByThread();
  setSideBySideMin(0);
  const paired = f();
  const answered = tasksAnsweredByThread() - before;
  setSideBySideMin(Infinity);
  try {
    return { paired, alone: f(), answered };
  } finally {
    setSideBySideMin(0);
  }
}

test("decompositions side by side have the bits of one after the other", { skip }, async () => {
  assert.equal(await useFastProducts(), "float32");
  const tall = [0, 1, 2].map((i) => gaussian(320, 300, 10 + i)); // the Gram path, three tasks: one pair and one alone
  const small = [0, 1].map((i) => gaussian(90, 70, 20 + i)); // the exact SVD
  const cases: [string, () => unknown][] = [
    ["polar, Gram path", () => polarsSideBySide(tall)],
    ["polar, exact", () => polarsSideBySide(small, "exact")],
    ["leading SVD", () => leadingSvdsSideBySide(tall, 100)],
    ["truncated SVD (randomized, seeded)", () => truncatedSvdsSideBySide(tall, 20, "auto", [1, 2, 3])],
    ["Gram SVD", () => gramSvdsSideBySide(small, 1e-4, 30)],
    [
      "polar factors of orthonormal pairs",
      () => {
        const [p, q] = leadingSvdsSideBySide(tall.slice(0, 2), 150);
        return orthonormalPairPolarsSideBySide([
          { x: p!.u, y: q!.u, refine: true },
          { x: p!.v, y: q!.v, refine: false },
        ]);
      },
    ],
  ];
  for (const [label, f] of cases) {
    const { paired, alone, answered } = bothWays(f);
    assert.ok(answered >= 1, `${label}: the thread took a task`);
    assert.deepEqual(paired, alone, label);
  }
});

test("the caller's eigensolver goes with the task", { skip }, async () => {
  await useFastProducts();
  const xs = [0, 1].map((i) => gaussian(800, 800, 30 + i)); // divide and conquer unless "ql" is forced
  const was = setEigenSolver("ql");
  try {
    const { paired, alone, answered } = bothWays(() => polarsSideBySide(xs));
    assert.equal(answered, 1);
    assert.deepEqual(paired, alone);
  } finally {
    setEigenSolver(was);
  }
});

test("a task that fails on both threads throws here and leaves the thread free", { skip }, async () => {
  await useFastProducts();
  setSideBySideMin(0);
  const broken = { rows: 300, cols: 300, data: null } as unknown as Matrix; // no data at all
  assert.throws(() => polarsSideBySide([broken, broken]));
  const before = tasksAnsweredByThread();
  const xs = [0, 1].map((i) => gaussian(300, 300, 40 + i));
  polarsSideBySide(xs);
  assert.equal(tasksAnsweredByThread() - before, 1, "the thread takes the next pair");
});
