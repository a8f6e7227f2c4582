/**
 * float32 matrix products in WebAssembly with fused multiply-adds (fma-gemm.wat), blocked as in
 * BLIS/GotoBLAS: B is packed by blocks of KC rows into panels of NR columns, A by blocks of MC
 * rows into panels of MR rows, and the micro-kernel keeps an MR×NR tile of C in registers. Twice
 * the speed of TensorFlow.js's XNNPACK here, whose WebAssembly build has no FMA (figures in
 * fma-gemm.wat and docs/spectral.md). Needs relaxed SIMD: on by default from V8 11.4 (Node 22,
 * VS Code's Electron), behind a V8 flag in Node 20, which is set before compiling. Null where the
 * module cannot compile; products then go to TensorFlow.js.
 */
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { MR, NR, TILE_BYTES } from "./fma-gemm-kernel.js";

/** Steps of k per packed block: a panel of B (KC·NR floats, 8 KiB) stays in L1. */
const KC = 256;
/** Rows of A per packed block (a multiple of MR): 96 KiB of A in L2. */
const MC = 96;
/** Columns of B per packed block (a multiple of NR): up to 4 MiB of B, in L2/L3. */
const NC = 4096;

interface GemmExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  macro(pa: number, pb: number, c: number, mc: number, nc: number, kc: number, ldc: number, first: number): void;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  validate(bytes: Uint8Array): boolean;
}

let kernels: GemmExports | null | undefined;

/** The compiled kernels, or null without relaxed SIMD or the .wasm file (or with MERGELANG_FMA=0). */
function load(): GemmExports | null {
  if (kernels !== undefined) return kernels;
  kernels = null;
  if (process.env["MERGELANG_FMA"] === "0") return kernels;
  try {
    const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const bytes = readFileSync(new URL("./fma-gemm.wasm", import.meta.url));
    if (!api.validate(bytes)) setFlagsFromString("--experimental-wasm-relaxed-simd");
    if (!api.validate(bytes)) return kernels;
    kernels = new api.Instance(new api.Module(bytes), {}).exports as GemmExports;
  } catch {
    kernels = null; // e.g. a bundle without the .wasm beside it
  }
  return kernels;
}

/** Whether fmaProduct can run here. */
export function hasFmaProducts(): boolean {
  return load() !== null;
}

/**
 * a (m×k)·b (k×n), float32 row-major; m, k, n ≥ 1. Written into `out` (m·n elements) when given,
 * else into a new array; with `accumulate`, added to out (each element's multiply-adds start from
 * its value, out is written once at the end). Throws where hasFmaProducts() is false.
 */
export function fmaProduct(a: Float32Array, m: number, k: number, b: Float32Array, n: number, out?: Float32Array, accumulate = false): Float32Array {
  const x = load();
  if (x === null) throw new Error("fmaProduct: relaxed SIMD is not available");
  const nc0 = Math.min(NC, Math.ceil(n / NR) * NR);
  const kc0 = Math.min(KC, k);
  const paAt = TILE_BYTES;
  const pbAt = paAt + Math.ceil(Math.min(MC, m) / MR) * MR * kc0 * 4;
  const cAt = pbAt + kc0 * nc0 * 4;
  const need = cAt + m * n * 4;
  const have = x.memory.buffer.byteLength;
  if (need > have) x.memory.grow(Math.ceil((need - have) / 65536));
  const mem = new Float32Array(x.memory.buffer);
  const add = accumulate && out !== undefined;
  if (add) mem.set(out.subarray(0, m * n), cAt >> 2);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(mem, pbAt >> 2, b, n, pc, kc, jc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(mem, paAt >> 2, a, k, ic, mc, pc, kc);
        x.macro(paAt, pbAt, cAt + (ic * n + jc) * 4, mc, nc, kc, n, pc === 0 && !add ? 1 : 0);
      }
    }
  }
  const c = mem.subarray(cAt >> 2, (cAt >> 2) + m * n);
  if (out === undefined) return c.slice();
  out.set(c);
  return out;
}

/**
 * Rows [pc, pc+kc) × columns [jc, jc+nc) of b (row stride n) as panels of NR columns, zero-padded.
 * Full panels copy eight elements per row unrolled, walking b by its stride: 13 ms for a 4096²
 * block against 29 ms for an inner loop over the panel's width (a twelfth of a 256×4096×4096
 * product), with the same bits.
 */
function packB(mem: Float32Array, at: number, b: Float32Array, n: number, pc: number, kc: number, jc: number, nc: number): void {
  let o = at;
  const full = nc - (nc % NR);
  for (let jp = 0; jp < full; jp += NR) {
    for (let p = 0, s = pc * n + jc + jp; p < kc; p++, o += NR, s += n) {
      mem[o] = b[s]!;
      mem[o + 1] = b[s + 1]!;
      mem[o + 2] = b[s + 2]!;
      mem[o + 3] = b[s + 3]!;
      mem[o + 4] = b[s + 4]!;
      mem[o + 5] = b[s + 5]!;
      mem[o + 6] = b[s + 6]!;
      mem[o + 7] = b[s + 7]!;
    }
  }
  if (full === nc) return;
  const w = nc - full;
  for (let p = 0; p < kc; p++, o += NR) {
    const s = (pc + p) * n + jc + full;
    for (let j = 0; j < NR; j++) mem[o + j] = j < w ? b[s + j]! : 0;
  }
}

/**
 * Rows [ic, ic+mc) × columns [pc, pc+kc) of a (row stride k) as panels of MR rows, zero-padded.
 * Full panels are written in order, one element of each of the six rows per step: 16 ms for a
 * 4096² matrix against 38 ms row by row.
 */
function packA(mem: Float32Array, at: number, a: Float32Array, k: number, ic: number, mc: number, pc: number, kc: number): void {
  let ip = 0;
  let o = at;
  for (; ip + MR <= mc; ip += MR, o += kc * MR) {
    const s0 = (ic + ip) * k + pc;
    const s1 = s0 + k;
    const s2 = s1 + k;
    const s3 = s2 + k;
    const s4 = s3 + k;
    const s5 = s4 + k;
    for (let p = 0, d = o; p < kc; p++, d += MR) {
      mem[d] = a[s0 + p]!;
      mem[d + 1] = a[s1 + p]!;
      mem[d + 2] = a[s2 + p]!;
      mem[d + 3] = a[s3 + p]!;
      mem[d + 4] = a[s4 + p]!;
      mem[d + 5] = a[s5 + p]!;
    }
  }
  if (ip === mc) return;
  for (let r = 0; r < MR; r++) {
    if (ip + r < mc) {
      const s = (ic + ip + r) * k + pc;
      for (let p = 0; p < kc; p++) mem[o + p * MR + r] = a[s + p]!;
    } else for (let p = 0; p < kc; p++) mem[o + p * MR + r] = 0;
  }
}
