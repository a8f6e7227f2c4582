/**
 * The FMA kernel (src/linalg/fma-product.ts): products against float64 at the shapes that exercise
 * its blocking (edges of the MR×NR tiles, several blocks of k, of rows and of columns), the same bits
 * for any band of rows (what the product thread relies on), and its choice as the float32 engine.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fmaProduct, hasFmaProducts } from "../../src/linalg/fma-product.js";
import { MR, NR } from "../../src/linalg/fma-gemm-kernel.js";
import { float32Engine, productFloat64, useFastProducts } from "../../src/linalg/matmul.js";
import { Random } from "../../src/util/random.js";

function randomF32(n: number, seed: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** max |c − a·b| / (‖row of a‖·‖column of b‖ bound): the float32 rounding of each dot product. */
function worstRelative(c: Float32Array, a: Float32Array, m: number, k: number, b: Float32Array, n: number): number {
  const exact = productFloat64(Float64Array.from(a), m, k, Float64Array.from(b), n);
  const absProduct = productFloat64(Float64Array.from(a, Math.abs), m, k, Float64Array.from(b, Math.abs), n);
  let worst = 0;
  for (let i = 0; i < m * n; i++) worst = Math.max(worst, Math.abs(c[i]! - exact[i]!) / (absProduct[i]! || 1));
  return worst;
}

test("relaxed SIMD compiles here, and useFastProducts picks the FMA kernel", async () => {
  assert.ok(hasFmaProducts(), "Node 20's V8 compiles relaxed SIMD behind a flag that fma-product.ts sets");
  assert.equal(await useFastProducts(), "float32");
  assert.equal(float32Engine(), "fma");
});

test("products match float64 to float32 rounding at every kind of edge", () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [MR, 1, NR],
    [MR - 1, 3, NR + 1],
    [MR + 1, 257, 2 * NR - 1],
    [97, 513, 250], // row blocks (96) with an edge panel, three blocks of k (256)
    [200, 100, 1000],
    [3, 2, 4100], // two blocks of columns (4096)
    [1, 600, 1],
    [1000, 7, 2],
  ];
  for (const [m, k, n] of shapes) {
    const a = randomF32(m * k, m * 31 + k);
    const b = randomF32(k * n, n * 7 + 1);
    const c = fmaProduct(a, m, k, b, n);
    assert.equal(c.length, m * n, `${m}×${k}·${k}×${n}: size`);
    // Each element sums k products in float32: error below k·ε₃₂ of Σ|aᵢ||bᵢ| (far below, in practice).
    const bound = Math.max(1, k) * 2 ** -23;
    const worst = worstRelative(c, a, m, k, b, n);
    assert.ok(worst < bound, `${m}×${k}·${k}×${n}: relative error ${worst.toExponential(2)} ≥ ${bound.toExponential(2)}`);
  }
});

test("a band of rows has the bits of the same rows of the whole product", () => {
  const [m, k, n] = [301, 700, 133];
  const a = randomF32(m * k, 5);
  const b = randomF32(k * n, 6);
  const whole = fmaProduct(a, m, k, b, n);
  for (const [r0, r1] of [[0, 150], [150, 301], [7, 8], [96, 203]] as const) {
    const band = fmaProduct(a.subarray(r0 * k, r1 * k), r1 - r0, k, b, n);
    assert.deepEqual(new Uint32Array(band.buffer), new Uint32Array(whole.buffer, r0 * n * 4, (r1 - r0) * n), `rows ${r0}–${r1}`);
  }
});

test("non-finite inputs propagate: NaN and ±Inf are not hidden", () => {
  const a = new Float32Array([1, Number.NaN, 2, 3]);
  const b = new Float32Array([1, 0, 0, 1]);
  const c = fmaProduct(a, 2, 2, b, 2);
  assert.ok(Number.isNaN(c[1]!), "NaN·1 reaches the result");
  assert.equal(c[2], 2);
  const inf = fmaProduct(new Float32Array([Number.POSITIVE_INFINITY]), 1, 1, new Float32Array([-2]), 1);
  assert.equal(inf[0], Number.NEGATIVE_INFINITY);
});

test("MERGELANG_FMA=0 sends float32 products to TensorFlow.js's WebAssembly backend", () => {
  const matmul = new URL("../../src/linalg/matmul.js", import.meta.url).href;
  const script = `const m = await import(${JSON.stringify(matmul)}); console.log(await m.useFastProducts(), m.float32Engine());`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, MERGELANG_FMA: "0", MERGELANG_PRODUCT_THREAD: "0" }, encoding: "utf8" });
  assert.equal(out.trim(), "float32 tfjs");
});
