/**
 * The row thread (src/linalg/row-thread.ts): the reduction's long columns cut between two threads
 * give exactly the bits of the same cut computed on one thread, and the cut itself (symmetric-matvec.ts)
 * leaves the reduction a valid tridiagonalisation.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { matMulFloat32, productFloat64, useFastProducts } from "../../src/linalg/matmul.js";
import { rowThread, setRowThreadUse } from "../../src/linalg/row-thread.js";
import { SPLIT_ROWS_MIN, splitRow } from "../../src/linalg/symmetric-matvec.js";
import { tridiagonalizeBlocked, tridiagonalizeBlocked32 } from "../../src/linalg/tridiagonalize-blocked.js";
import { symmetricEigenRows } from "../../src/linalg/symmetric-eigen.js";
import { Random } from "../../src/util/random.js";

const skip = availableParallelism() > 1 ? false : "the row thread runs on machines with more than one core";

function symmetric(n: number, seed: number): Float64Array {
  const r = new Random(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = r.normal();
  return a;
}

const bits = (x: Float64Array): Uint32Array => new Uint32Array(x.buffer, x.byteOffset, x.length * 2);

test("a column is cut where the two parts have about equal work", () => {
  for (const [j, n] of [[0, 4096], [100, 1000], [3000, 4096]] as const) {
    const s = splitRow(j, n);
    const work = (i0: number, i1: number): number => {
      let w = 0;
      for (let i = i0; i < i1; i++) w += i - j;
      return w;
    };
    const near = work(j + 1, s) / work(s, n);
    assert.ok(near > 0.98 && near < 1.02, `column ${j} of ${n}: work ratio ${near}`);
  }
});

test("the reduction with the row thread has the bits of the reduction on one thread", { skip }, async () => {
  assert.equal(await useFastProducts(), "float32");
  assert.ok(rowThread() !== null, "useFastProducts starts the row thread on a multi-core machine");
  for (const n of [SPLIT_ROWS_MIN + 2, 1100]) {
    const a = symmetric(n, n);
    const was = setRowThreadUse(false);
    const one = tridiagonalizeBlocked32(a, n, matMulFloat32);
    setRowThreadUse(true);
    const two = tridiagonalizeBlocked32(a, n, matMulFloat32);
    setRowThreadUse(was);
    for (const key of ["d", "e", "v", "tau"] as const) assert.deepEqual(bits(two[key]), bits(one[key]), `order ${n}: ${key}`);
  }
});

test("with long columns cut, the tridiagonal keeps the matrix's eigenvalues", () => {
  const n = SPLIT_ROWS_MIN + 90;
  const a = symmetric(n, 3);
  const { d, e } = tridiagonalizeBlocked(a, n, productFloat64);
  // The tridiagonal as a dense matrix, against the reference path's eigenvalues of a.
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    t[i * n + i] = d[i]!;
    if (i + 1 < n) t[i * n + i + 1] = t[(i + 1) * n + i] = e[i]!;
  }
  const want = Float64Array.from(symmetricEigenRows(a, n).d).sort();
  const got = Float64Array.from(symmetricEigenRows(t, n).d).sort();
  const scale = Math.max(...want.map(Math.abs));
  for (let i = 0; i < n; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-10 * scale, `eigenvalue ${i}: ${got[i]} against ${want[i]}`);
});
