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

/** a (m×k)·b (k×n), float32 row-major; m, k, n ≥ 1. Throws where hasFmaProducts() is false. */
export function fmaProduct(a: Float32Array, m: number, k: number, b: Float32Array, n: number): Float32Array {
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
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(mem, pbAt >> 2, b, n, pc, kc, jc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(mem, paAt >> 2, a, k, ic, mc, pc, kc);
        x.macro(paAt, pbAt, cAt + (ic * n + jc) * 4, mc, nc, kc, n, pc === 0 ? 1 : 0);
      }
    }
  }
  return mem.slice(cAt >> 2, (cAt >> 2) + m * n);
}

/** Rows [pc, pc+kc) × columns [jc, jc+nc) of b (row stride n) as panels of NR columns, zero-padded. */
function packB(mem: Float32Array, at: number, b: Float32Array, n: number, pc: number, kc: number, jc: number, nc: number): void {
  let o = at;
  for (let jp = 0; jp < nc; jp += NR) {
    const w = Math.min(NR, nc - jp);
    for (let p = 0; p < kc; p++, o += NR) {
      const s = (pc + p) * n + jc + jp;
      if (w === NR) for (let j = 0; j < NR; j++) mem[o + j] = b[s + j]!;
      else for (let j = 0; j < NR; j++) mem[o + j] = j < w ? b[s + j]! : 0;
    }
  }
}

/** Rows [ic, ic+mc) × columns [pc, pc+kc) of a (row stride k) as panels of MR rows, zero-padded. */
function packA(mem: Float32Array, at: number, a: Float32Array, k: number, ic: number, mc: number, pc: number, kc: number): void {
  for (let ip = 0, o = at; ip < mc; ip += MR, o += kc * MR) {
    for (let r = 0; r < MR; r++) {
      if (ip + r < mc) {
        const s = (ic + ip + r) * k + pc;
        for (let p = 0; p < kc; p++) mem[o + p * MR + r] = a[s + p]!;
      } else for (let p = 0; p < kc; p++) mem[o + p * MR + r] = 0;
    }
  }
}
