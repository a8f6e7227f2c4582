/**
 * The symmetric eigendecomposition: Householder tridiagonalisation with accumulated transforms, then
 * the implicit QL iteration (the EISPACK/JAMA tred2 + tql2 pair, as ml-matrix runs it), on one flat
 * Float64Array instead of arrays of arrays. The matrix is kept transposed relative to JAMA's
 * loops, so every inner loop walks contiguous memory (JAMA's were written for column-major
 * Fortran) and each eigenvector ends up as a contiguous row; the QL rotations then touch two
 * adjacent rows. Those inner loops run in WebAssembly SIMD (eigen-kernels.wat, two float64 lanes)
 * on the module's memory, or as the JavaScript loops below where the module cannot load. Same
 * operations as JAMA except that dot products sum two partial sums (bench/linalg.ts has the times).
 * This is the reference path; the loops and tred2's two halves are exported for the
 * divide-and-conquer path (symmetric-eigen-dc.ts, tridiagonal-dc.ts, tridiagonalize-blocked.ts).
 */
import { readFileSync } from "node:fs";

/** The loops of the blocked reduction, on element offsets into `m` (float64, or float32 on the fast path). */
export interface PanelLoops<M extends Float64Array | Float32Array> {
  m: M;
  /** The compiled kernels and the shared memory `m` lies in, where they are WebAssembly (for the row thread). */
  wasm?: KernelMemory;
  dot(a: number, b: number, n: number): number;
  /** y ← y − α·x */
  axpy(y: number, x: number, n: number, alpha: number): void;
  /** y ← y + α·a, returning a·x: a lower-triangle row of a symmetric matrix–vector product. */
  symrow(a: number, x: number, y: number, n: number, alpha: number): number;
}

/** The inner loops, on element offsets into one Float64Array `m` (matrix, then d, then e). */
export interface Loops extends PanelLoops<Float64Array> {
  rotate(u: number, l: number, n: number, c: number, s: number): void;
  /** v ← v − (f·e + g·d) */
  rank2(v: number, e: number, d: number, n: number, f: number, g: number): void;
}

/** The panel loops in JavaScript on `m`: the wasm kernels' operations, in float64 arithmetic. */
export function jsPanelLoops<M extends Float64Array | Float32Array>(m: M): PanelLoops<M> {
  return {
    m,
    dot(a, b, n) {
      let even = 0;
      let odd = 0;
      let k = 0;
      for (; k + 1 < n; k += 2) {
        even += m[a + k]! * m[b + k]!;
        odd += m[a + k + 1]! * m[b + k + 1]!;
      }
      return even + odd + (k < n ? m[a + k]! * m[b + k]! : 0);
    },
    axpy(y, x, n, alpha) {
      for (let k = 0; k < n; k++) m[y + k] = m[y + k]! - alpha * m[x + k]!;
    },
    symrow(a, x, y, n, alpha) {
      let even = 0;
      let odd = 0;
      let k = 0;
      for (; k + 1 < n; k += 2) {
        even += m[a + k]! * m[x + k]!;
        odd += m[a + k + 1]! * m[x + k + 1]!;
        m[y + k] = m[y + k]! + alpha * m[a + k]!;
        m[y + k + 1] = m[y + k + 1]! + alpha * m[a + k + 1]!;
      }
      if (k < n) {
        even += m[a + k]! * m[x + k]!;
        m[y + k] = m[y + k]! + alpha * m[a + k]!;
      }
      return even + odd;
    },
  };
}

export function jsLoops(size: number): Loops {
  const m = new Float64Array(size);
  return {
    ...jsPanelLoops(m),
    rotate(u, l, n, c, s) {
      for (let k = 0; k < n; k++) {
        const h = m[u + k]!;
        const w = m[l + k]!;
        m[u + k] = s * w + c * h;
        m[l + k] = c * w - s * h;
      }
    },
    rank2(v, e, d, n, f, g) {
      for (let k = 0; k < n; k++) m[v + k] = m[v + k]! - (f * m[e + k]! + g * m[d + k]!);
    },
  };
}

/** A shared WebAssembly.Memory (its buffer a SharedArrayBuffer). */
export interface SharedMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}

/** The compiled eigen kernels and one instance's memory: what another thread needs to run them on the same data. */
export interface KernelMemory {
  module: object;
  memory: SharedMemory;
}

export interface WasmExports {
  rotate(u: number, l: number, n: number, c: number, s: number): void;
  dot(a: number, b: number, n: number): number;
  axpy(y: number, x: number, n: number, alpha: number): void;
  rank2(v: number, e: number, d: number, n: number, f: number, g: number): void;
  symrow(a: number, x: number, y: number, n: number, alpha: number): number;
  dot32(a: number, b: number, n: number): number;
  axpy32(y: number, x: number, n: number, alpha: number): void;
  symrow32(a: number, x: number, y: number, n: number, alpha: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (desc: { initial: number; maximum: number; shared: true }) => SharedMemory;
}

const wasmApi = (): WasmApi => (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

/** The compiled kernels, or null without the .wasm file (or with MERGELANG_WASM=0). */
function kernels(): object | null {
  if (compiled === undefined) {
    try {
      compiled = new (wasmApi().Module)(readFileSync(new URL("./eigen-kernels.wasm", import.meta.url)));
    } catch {
      compiled = null; // e.g. a bundle without the .wasm beside it
    }
  }
  return compiled === null || process.env["MERGELANG_WASM"] === "0" ? null : compiled;
}

/** A fresh instance of the kernels on a new shared memory of at least `bytes`, or null without the .wasm file. */
function instance(bytes: number): { x: WasmExports; wasm: KernelMemory } | null {
  const module = kernels();
  if (module === null) return null;
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  const memory = new (wasmApi().Memory)({ initial: pages, maximum: pages, shared: true });
  return { x: instanceOn({ module, memory }), wasm: { module, memory } };
}

/** Pages the reused memory of the float32 reductions may grow to (1 GiB: a matrix of order 16000). */
const REUSED_MAX_PAGES = 16384;
let reused: SharedMemory | null | undefined;

/**
 * An instance on one memory that every float32 reduction of this thread reuses, grown when needed.
 * A fresh memory per reduction, once the row thread had used it, stayed alive in that idle thread's
 * heap until its next garbage collection: 1 GB more peak memory over a 160M model's 280 reductions.
 * Larger than REUSED_MAX_PAGES (or where the reservation fails): a fresh memory.
 */
function reusedInstance(bytes: number): { x: WasmExports; wasm: KernelMemory } | null {
  const module = kernels();
  if (module === null) return null;
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  if (pages > REUSED_MAX_PAGES) return instance(bytes);
  if (reused === undefined) {
    try {
      reused = new (wasmApi().Memory)({ initial: pages, maximum: REUSED_MAX_PAGES, shared: true });
    } catch {
      reused = null;
    }
  }
  if (reused === null) return instance(bytes);
  const have = reused.buffer.byteLength / 65536;
  if (pages > have) reused.grow(pages - have);
  return { x: instanceOn({ module, memory: reused }), wasm: { module, memory: reused } };
}

/** The kernels on an existing memory (the row thread's view of the caller's matrix). */
export function instanceOn(wasm: KernelMemory): WasmExports {
  return new (wasmApi().Instance)(wasm.module, { env: { memory: wasm.memory } }).exports as WasmExports;
}

/** A fresh instance with room for `size` float64 values, or null without the .wasm file. */
export function wasmLoops(size: number): Loops | null {
  const made = instance(size * 8);
  if (made === null) return null;
  const x = made.x;
  const m = new Float64Array(made.wasm.memory.buffer, 0, size);
  return {
    m,
    rotate: (u, l, n, c, s) => x.rotate(u * 8, l * 8, n, c, s),
    dot: (a, b, n) => x.dot(a * 8, b * 8, n),
    axpy: (y, xx, n, alpha) => x.axpy(y * 8, xx * 8, n, alpha),
    rank2: (v, e, d, n, f, g) => x.rank2(v * 8, e * 8, d * 8, n, f, g),
    symrow: (a, xx, y, n, alpha) => x.symrow(a * 8, xx * 8, y * 8, n, alpha),
  };
}

/** The panel loops on `size` float32 values (four SIMD lanes), or in JavaScript without the .wasm file. */
export function float32Loops(size: number): PanelLoops<Float32Array> {
  const made = reusedInstance(size * 4);
  if (made === null) return jsPanelLoops(new Float32Array(size));
  return float32LoopsOf(made.x, made.wasm, size);
}

/** The float32 panel loops of instance x, whose memory is wasm.memory. */
export function float32LoopsOf(x: WasmExports, wasm: KernelMemory, size: number): PanelLoops<Float32Array> {
  return {
    m: new Float32Array(wasm.memory.buffer, 0, size),
    wasm,
    dot: (a, b, n) => x.dot32(a * 4, b * 4, n),
    axpy: (y, xx, n, alpha) => x.axpy32(y * 4, xx * 4, n, alpha),
    symrow: (a, xx, y, n, alpha) => x.symrow32(a * 4, xx * 4, y * 4, n, alpha),
  };
}

/** Eigenvalues d (unsorted) and eigenvectors as rows of w (row j belongs to d[j]) of symmetric a (n×n, row-major). */
export function symmetricEigenRows(a: Float64Array, n: number, simd = true): { d: Float64Array; w: Float64Array } {
  if (n === 0) return { d: new Float64Array(0), w: new Float64Array(0) };
  const size = n * n + 2 * n;
  const loops = (simd ? wasmLoops(size) : null) ?? jsLoops(size);
  loops.m.set(a.subarray(0, n * n));
  tridiagonalize(loops, n);
  diagonalize(loops, n);
  return { d: loops.m.slice(n * n, n * n + n), w: loops.m.slice(0, n * n) };
}

/**
 * tred2: w becomes the accumulated Householder transform (row j = column j of JAMA's V), d the
 * diagonal and e the sub-diagonal (e[0] = 0) of the tridiagonal matrix.
 */
export function tridiagonalize(loops: Loops, n: number): void {
  reduceToTridiagonal(loops, n);
  accumulateTransform(loops, n);
}

/**
 * tred2's reduction alone. Leaves the diagonal at w[i·n + i], the sub-diagonal in e (e[i] couples
 * i − 1 and i) and the Householder reflectors H_m = I − u·uᵀ/h (m = 1 … n − 1, acting on coordinates
 * 0 … m − 1): u = w[m·n + 0 … m − 1], h = d[m] (0: no reflection). The transform is H_{n−1}···H_1.
 */
export function reduceToTridiagonal(loops: Loops, n: number): void {
  const v = loops.m;
  const D = n * n;
  const E = D + n;
  const d = v.subarray(D, E);
  const e = v.subarray(E, E + n);
  // JAMA's V[r][c] is v[c·n + r] here.
  for (let j = 0; j < n; j++) d[j] = v[j * n + n - 1]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = v[j * n + i - 1]!;
        v[j * n + i] = 0;
        v[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        v[i * n + j] = f;
        g = e[j]! + v[j * n + j]! * f;
        const row = j * n;
        const len = i - 1 - j;
        if (len > 0) {
          g += loops.dot(row + j + 1, D + j + 1, len);
          loops.axpy(E + j + 1, row + j + 1, len, -f);
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        const row = j * n;
        loops.rank2(row + j, E + j, D + j, i - j, f, g);
        d[j] = v[row + i - 1]!;
        v[row + i] = 0;
      }
    }
    d[i] = h;
  }
}

/** tred2's second half: w becomes the accumulated transform, d the diagonal. */
export function accumulateTransform(loops: Loops, n: number): void {
  const v = loops.m;
  const D = n * n;
  const E = D + n;
  const d = v.subarray(D, E);
  const e = v.subarray(E, E + n);
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    v[i * n + n - 1] = v[i * n + i]!;
    v[i * n + i] = 1;
    const h = d[i + 1]!;
    const next = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[next + k]! / h;
      for (let j = 0; j <= i; j++) {
        const row = j * n;
        const g = loops.dot(next, row, i + 1);
        loops.axpy(row, D, i + 1, g);
      }
    }
    for (let k = 0; k <= i; k++) v[next + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[j * n + n - 1]!;
    v[j * n + n - 1] = 0;
  }
  v[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/** tql2: the implicit QL iteration on the tridiagonal (d, e), rotating the rows of w along. */
export function diagonalize(loops: Loops, n: number): void {
  const d = loops.m.subarray(n * n, n * n + n);
  const e = loops.m.subarray(n * n + n, n * n + 2 * n);
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      do {
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          loops.rotate((i + 1) * n, i * n, n, c, s);
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}
