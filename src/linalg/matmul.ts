/**
 * Matrix products, the bulk of the spectral methods' work. Measured on this project's 2-core
 * machine (bench/linalg.ts): TensorFlow.js's WebAssembly backend (XNNPACK, SIMD) multiplies two
 * 1024×1024 matrices about 25× faster than a plain JavaScript loop or ml-matrix, so products go to
 * TensorFlow.js when it is started (float32 products, as PyTorch's on float32 weights), and to the
 * JavaScript loop (float64) otherwise. `useFastProducts` starts it; the small factorizations stay
 * in float64 (svd.ts).
 */
import { lazyRequire } from "../util/lazy-require.js";
import { ProductThread, productThreadWanted } from "./product-thread.js";
import { lowerProduct } from "./lower-product.js";
import { type Matrix, transpose, transposedFloat32, zeros } from "./matrix.js";

export type ProductKernel = "tfjs" | "js";

/** TensorFlow.js, loaded when products first go to it: 110 ms that merges without SVDs skip. */
const tfjs = lazyRequire<typeof import("@tensorflow/tfjs-core")>("@tensorflow/tfjs-core");

let kernel: ProductKernel = "js";
/** The second thread large float32 products are shared with (product-thread.ts), when it runs. */
let thread: ProductThread | null = null;
let splitting = true;

/** Whether large products are shared with the product thread (tests and benchmarks); returns the previous setting. */
export function setProductSplitting(on: boolean): boolean {
  const was = splitting;
  splitting = on;
  return was;
}

/** Whether the product thread runs (started by useFastProducts on a multi-core machine). */
export function hasProductThread(): boolean {
  return thread !== null;
}
let starting: Promise<ProductKernel> | null = null;

/** The kernel products use now. */
export function productKernel(): ProductKernel {
  return kernel;
}

/** Forces a kernel (benchmarks and tests); "tfjs" needs `useFastProducts` to have succeeded. */
export function setProductKernel(k: ProductKernel): void {
  if (k === "tfjs" && tfjs().engine().backendName == null) throw new Error("TensorFlow.js has no active backend: call useFastProducts() first");
  kernel = k;
}

/**
 * Sends products to TensorFlow.js: its active backend when one runs (the tfjs engine's device), or
 * else its WebAssembly backend. Falls back to JavaScript when that cannot start (no package).
 */
export function useFastProducts(): Promise<ProductKernel> {
  starting ??= (async (): Promise<ProductKernel> => {
    try {
      const tf = tfjs();
      if (tf.engine().backendName == null) {
        tf.env().set("PROD", true);
        await import("@tensorflow/tfjs-backend-wasm");
        if (!(await tf.setBackend("wasm"))) return (kernel = "js");
        await tf.ready();
      }
      // Only beside the WebAssembly backend: a device backend's products are not cut up.
      if (tf.getBackend() === "wasm" && productThreadWanted()) thread = await ProductThread.start();
      return (kernel = "tfjs");
    } catch {
      return (kernel = "js");
    }
  })();
  return starting;
}

/** op(a)·op(b), op transposing when asked. */
export function multiply(a: Matrix, b: Matrix, transA = false, transB = false): Matrix {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const k2 = transB ? b.cols : b.rows;
  const n = transB ? b.rows : b.cols;
  if (k !== k2) throw new Error(`multiply: inner dimensions ${k} and ${k2} differ`);
  if (m === 0 || n === 0 || k === 0) return zeros(m, n);
  // Transposed operands are laid out first: the wasm backend's transposed products are 10× slower.
  if (kernel === "tfjs") {
    const x = transA ? transposedFloat32(a) : new Float32Array(a.data);
    const y = transB ? transposedFloat32(b) : new Float32Array(b.data);
    return { rows: m, cols: n, data: new Float64Array(matMulFloat32(x, m, k, y, n)) };
  }
  return multiplyJs(transA ? transpose(a) : a, transB ? transpose(b) : b);
}

/** xᵀ·x, exactly symmetric: its lower triangle by strips of rows (lower-product.ts, ⅝ of the product), mirrored. */
export function gramOf(x: Matrix): Matrix {
  const n = x.cols;
  const k = x.rows;
  if (n === 0 || k === 0) return zeros(n, n);
  const data =
    kernel === "tfjs"
      ? new Float64Array(lowerProduct(matMulFloat32, transposedFloat32(x), n, k, new Float32Array(x.data)))
      : lowerProduct(productFloat64, transpose(x).data, n, k, x.data);
  // Upper from lower, 32×32 tiles at a time (a column walk misses the cache on every element).
  for (let i0 = 0; i0 < n; i0 += 32) {
    for (let j0 = i0; j0 < n; j0 += 32) {
      const i1 = Math.min(n, i0 + 32);
      const j1 = Math.min(n, j0 + 32);
      for (let i = i0; i < i1; i++) for (let j = Math.max(j0, i + 1); j < j1; j++) data[i * n + j] = data[j * n + i]!;
    }
  }
  return { rows: n, cols: n, data };
}

/**
 * a (m×k)·b (k×n) in TensorFlow.js, float32 in and out. The tensors are disposed by hand rather than
 * by tf.tidy: tidy walks the value its callback returns, element by element for a typed array, which
 * cost more than the product itself (2.9 s of a 3.1 s 1024 eigendecomposition in a profile).
 * `new Float32Array(float64Array)` converts in one native pass, where Float32Array.from iterates.
 */
export function matMulFloat32(a: Float32Array, m: number, k: number, b: Float32Array, n: number): Float32Array {
  return splitting && thread?.wants(m, k, n) ? thread.multiply(a, m, k, b, n, matMulHere) : matMulHere(a, m, k, b, n);
}

/** matMulFloat32 on this thread's TensorFlow.js backend. */
function matMulHere(a: Float32Array, m: number, k: number, b: Float32Array, n: number): Float32Array {
  const tf = tfjs();
  const x = tf.tensor2d(a, [m, k]);
  const y = tf.tensor2d(b, [k, n]);
  const z = tf.matMul(x, y);
  try {
    return z.dataSync() as Float32Array;
  } finally {
    x.dispose();
    y.dispose();
    z.dispose();
  }
}

/** a (m×k)·b (k×n) on flat row-major arrays, in float64 (i-k-j, four rows of a per pass over b). */
export function productFloat64(a: Float64Array, m: number, k: number, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(m * n);
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const c0 = i * n;
    const c1 = c0 + n;
    const c2 = c1 + n;
    const c3 = c2 + n;
    for (let p = 0; p < k; p++) {
      const a0 = a[i * k + p]!;
      const a1 = a[(i + 1) * k + p]!;
      const a2 = a[(i + 2) * k + p]!;
      const a3 = a[(i + 3) * k + p]!;
      const bp = p * n;
      for (let j = 0; j < n; j++) {
        const x = b[bp + j]!;
        c[c0 + j] += a0 * x;
        c[c1 + j] += a1 * x;
        c[c2 + j] += a2 * x;
        c[c3 + j] += a3 * x;
      }
    }
  }
  for (; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!;
      if (av === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j]!;
    }
  }
  return c;
}

/** Products below this many multiply-adds stay in float64: the float32 round trip costs more than it saves. */
export const FAST_MIN_VOLUME = 1 << 18;

/**
 * productFloat64 through the active kernel: TensorFlow.js (float32) for products of at least
 * FAST_MIN_VOLUME multiply-adds when it runs, float64 otherwise.
 */
export function productFast(a: Float64Array, m: number, k: number, b: Float64Array, n: number): Float64Array {
  if (kernel !== "tfjs" || m * k * n < FAST_MIN_VOLUME) return productFloat64(a, m, k, b, n);
  return new Float64Array(matMulFloat32(new Float32Array(a.subarray(0, m * k)), m, k, new Float32Array(b.subarray(0, k * n)), n));
}

/** a·b in float64, row by row (i-k-j: the inner loop runs along rows of b and of the result). */
export function multiplyJs(a: Matrix, b: Matrix): Matrix {
  const { rows: m, cols: k } = a;
  const n = b.cols;
  const out = zeros(m, n);
  const c = out.data;
  const ad = a.data;
  const bd = b.data;
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const av = ad[i * k + p]!;
      if (av === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += av * bd[bp + j]!;
    }
  }
  return out;
}
