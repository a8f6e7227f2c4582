/**
 * Matrix products, the bulk of the spectral methods' work. Measured on this project's 2-core
 * machine (bench/linalg.ts): float32 products in WebAssembly run 25–50× faster than a plain
 * JavaScript loop or ml-matrix, so `useFastProducts` sends them to the fastest float32 engine here:
 * a TensorFlow.js device backend when one is active (the GPU backend), else the project's own FMA
 * kernel (fma-product.ts, 45–52 GFLOP/s), else TensorFlow.js's WebAssembly backend (XNNPACK, 17–27
 * GFLOP/s, no fused multiply-add in its build). Float32 as PyTorch's products on float32 weights;
 * without any of them products stay in a float64 JavaScript loop. The small factorizations stay in
 * float64 (svd.ts).
 */
import { fmaProduct, hasFmaProducts } from "./fma-product.js";
import { lazyRequire, loadedAlready } from "../util/lazy-require.js";
import { ProductThread, productThreadWanted } from "./product-thread.js";
import { startRowThread } from "./row-thread.js";
import { lowerProduct } from "./lower-product.js";
import { type Matrix, transpose, transposedFloat32, zeros } from "./matrix.js";

/** "float32": products go to a float32 engine (below); "js": a float64 JavaScript loop. */
export type ProductKernel = "float32" | "js";
/** Where float32 products run: the FMA kernel, or TensorFlow.js's active backend. */
export type Float32Engine = "fma" | "tfjs";

const TFJS = "@tensorflow/tfjs-core";
/** TensorFlow.js, loaded when products first go to it: 110 ms that merges without SVDs skip. */
const tfjs = lazyRequire<typeof import("@tensorflow/tfjs-core")>(TFJS);

let kernel: ProductKernel = "js";
let engine: Float32Engine | null = null;
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

/** The product thread when it runs the caller's float32 engine (the same bits), for whole tasks (side-by-side.ts). */
export function productThreadForTasks(): ProductThread | null {
  return kernel === "float32" && thread !== null && thread.engine === engine ? thread : null;
}
let starting: Promise<ProductKernel> | null = null;

/** The kernel products use now. */
export function productKernel(): ProductKernel {
  return kernel;
}

/** The float32 engine useFastProducts chose, or null before it (or where none could start). */
export function float32Engine(): Float32Engine | null {
  return engine;
}

/** Forces a kernel (benchmarks and tests); "float32" needs `useFastProducts` to have succeeded. */
export function setProductKernel(k: ProductKernel): void {
  if (k === "float32" && engine === null) throw new Error("no float32 product engine: call useFastProducts() first");
  kernel = k;
}

/**
 * Forces the float32 engine (benchmarks and tests, on this thread only); "tfjs" starts TensorFlow.js's
 * WebAssembly backend when no backend is active. Returns the previous engine.
 */
export async function setFloat32Engine(e: Float32Engine): Promise<Float32Engine | null> {
  const was = engine;
  if (e === "fma" && !hasFmaProducts()) throw new Error("the FMA kernel cannot run here (no relaxed SIMD)");
  if (e === "tfjs" && !(await startTfjs())) throw new Error("TensorFlow.js has no backend here");
  engine = e;
  return was;
}

/** TensorFlow.js's active backend, or its WebAssembly backend started; false when neither runs. */
async function startTfjs(): Promise<boolean> {
  const tf = tfjs();
  if (tf.engine().backendName != null) return true;
  tf.env().set("PROD", true);
  await import("@tensorflow/tfjs-backend-wasm");
  if (!(await tf.setBackend("wasm"))) return false;
  await tf.ready();
  return true;
}

/** A TensorFlow.js backend other than its CPU and WebAssembly ones is active (a device: the GPU backend). */
function tfjsDeviceActive(): boolean {
  if (!loadedAlready(TFJS)) return false;
  const name = tfjs().getBackend();
  return name !== undefined && name !== "wasm" && name !== "cpu";
}

/**
 * Sends products to the fastest float32 engine here (see the top of this file); falls back to
 * JavaScript when none can start. On a multi-core machine it also starts the product thread (not
 * beside a device backend) and the eigendecomposition's row thread.
 */
export function useFastProducts(): Promise<ProductKernel> {
  starting ??= (async (): Promise<ProductKernel> => {
    try {
      const device = tfjsDeviceActive();
      if (device || !hasFmaProducts()) {
        if (!device && !(await startTfjs())) return (kernel = "js");
        engine = "tfjs";
      } else engine = "fma";
      // A device backend's products are not cut up; the reductions' row passes run here either way.
      if (!device && productThreadWanted()) thread = await ProductThread.start();
      await startRowThread();
      return (kernel = "float32");
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
  if (kernel === "float32") {
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
    kernel === "float32"
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

/** a (m×k)·b (k×n), float32 in and out, on the float32 engine (shared with the product thread when large). */
export function matMulFloat32(a: Float32Array, m: number, k: number, b: Float32Array, n: number): Float32Array {
  const shared = splitFor(m, k, n);
  return shared ? shared.multiply(a, m, k, b, n, matMulHere) : matMulHere(a, m, k, b, n);
}

/** The product thread when a product of this shape goes to it: splitting on, the same engine, large enough. */
function splitFor(m: number, k: number, n: number): ProductThread | null {
  return splitting && thread !== null && thread.engine === engine && thread.wants(m, k, n) ? thread : null;
}

/**
 * c ← c − a·b (float32; c m×n), without a product-sized temporary on the FMA kernel: it adds
 * a·(−b) to c as it goes, b negated in a copy (pass the smaller operand as b). Shared with the
 * product thread when large and c lies in shared memory.
 */
export function matMulSubtractFloat32(a: Float32Array, m: number, k: number, b: Float32Array, n: number, c: Float32Array): void {
  const minus = b.slice(0, k * n);
  for (let i = 0; i < minus.length; i++) minus[i] = -minus[i]!;
  const own = (x: Float32Array, rows: number, inner: number, y: Float32Array, cols: number, out: Float32Array): Float32Array => matMulHere(x, rows, inner, y, cols, out, true);
  const shared = c.buffer instanceof SharedArrayBuffer ? splitFor(m, k, n) : null;
  if (shared) shared.multiply(a, m, k, minus, n, own, c);
  else own(a, m, k, minus, n, c);
}

/** matMulFloat32 on this thread, into `out` (m·n elements) when given, or added to it with `accumulate`. */
export function matMulHere(a: Float32Array, m: number, k: number, b: Float32Array, n: number, out?: Float32Array, accumulate = false): Float32Array {
  if (engine === "fma") return fmaProduct(a, m, k, b, n, out, accumulate);
  const c = matMulTfjs(a, m, k, b, n);
  if (out === undefined) return c;
  if (accumulate) for (let i = 0; i < c.length; i++) out[i] += c[i]!;
  else out.set(c);
  return out;
}

/**
 * a (m×k)·b (k×n) in TensorFlow.js, float32 in and out. The tensors are disposed by hand rather than
 * by tf.tidy: tidy walks the value its callback returns, element by element for a typed array, which
 * cost more than the product itself (2.9 s of a 3.1 s 1024 eigendecomposition in a profile).
 * `new Float32Array(float64Array)` converts in one native pass, where Float32Array.from iterates.
 */
function matMulTfjs(a: Float32Array, m: number, k: number, b: Float32Array, n: number): Float32Array {
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
 * productFloat64 through the active kernel: the float32 engine for products of at least
 * FAST_MIN_VOLUME multiply-adds when it runs, float64 otherwise.
 */
export function productFast(a: Float64Array, m: number, k: number, b: Float64Array, n: number): Float64Array {
  if (kernel !== "float32" || m * k * n < FAST_MIN_VOLUME) return productFloat64(a, m, k, b, n);
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
