/**
 * Safetensors dtypes and fast whole-array conversions between float32 and the 16-bit float formats.
 * Conversions work on integer views of the same bytes (no per-element allocation) and round to
 * nearest even like PyTorch: NaN stays NaN, values past the largest finite number become ±Inf.
 */
import { simdKernels } from "../wasm/simd-kernels.js";

export type DType =
  | "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL" | "F8_E4M3" | "F8_E5M2";

const SIZES: Record<DType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};

export const ALL_DTYPES = Object.keys(SIZES) as DType[];

export function isDType(s: unknown): s is DType {
  return typeof s === "string" && Object.prototype.hasOwnProperty.call(SIZES, s);
}

/** Bytes per element. */
export function dtypeSize(d: DType): number {
  return SIZES[d];
}

/** Floats the engine computes on (F8 formats are only carried through). */
export function isFloatDType(d: DType): boolean {
  return d === "F64" || d === "F32" || d === "F16" || d === "BF16";
}

export type OutputDType = "bf16" | "f16" | "f32";

/** The safetensors dtype a save dtype produces. */
export function outputDTypeToDType(d: OutputDType): DType {
  return d === "bf16" ? "BF16" : d === "f16" ? "F16" : "F32";
}

/** The config.json `torch_dtype` spelling. */
export function torchDTypeName(d: OutputDType): string {
  return d === "bf16" ? "bfloat16" : d === "f16" ? "float16" : "float32";
}

/**
 * bf16 bits → float32 (exact). `src` may overlap `dst`'s bytes when it starts at least 2 bytes per
 * element after `dst` (e.g. in its upper half: a read widened in place): every element is read
 * before its bytes are overwritten.
 */
export function bf16ToF32(src: Uint16Array, dst: Float32Array): void {
  const n = src.length;
  // Int32 views keep every value a small integer for V8 (Uint32 values above 2^31 become doubles).
  const out = new Int32Array(dst.buffer, dst.byteOffset, dst.length);
  let i = 0;
  if ((src.byteOffset & 3) !== 0 && n > 0) {
    out[0] = src[0]! << 16;
    i = 1;
  }
  // Two elements per 32-bit read (about a third faster than one by one): low half first.
  const pairs = (n - i) >> 1;
  if (pairs > 0) {
    const words = new Int32Array(src.buffer, src.byteOffset + 2 * i, pairs);
    for (let j = 0; j < pairs; j++, i += 2) {
      const w = words[j]!;
      out[i] = w << 16;
      out[i + 1] = w & -65536;
    }
  }
  if (i < n) out[i] = src[i]! << 16;
}

/**
 * float32 → bf16 bits, round to nearest even; NaN becomes the canonical 0x7FC0 as in PyTorch. `dst`
 * may start at `src`'s first byte (rounding in place): every value is read before it is overwritten.
 */
export function f32ToBF16(src: Float32Array, dst: Uint16Array): void {
  const n = src.length;
  const bits = new Int32Array(src.buffer, src.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const x = bits[i]!;
    // Adding 0x7fff plus the kept lowest bit rounds ties to even; it cannot overflow int32 for
    // non-NaN values, and the Uint16 store keeps the low 16 bits of the arithmetic shift.
    dst[i] = (x & 0x7fffffff) > 0x7f800000 ? 0x7fc0 : (x + 0x7fff + ((x >> 16) & 1)) >> 16;
  }
}

/** The 16-bit float dtypes, stored as 2 bytes and widened to float32 exactly. */
export type HalfDType = "BF16" | "F16";

export function isHalfDType(d: DType): d is HalfDType {
  return d === "BF16" || d === "F16";
}

/**
 * 16-bit float bits → float32 (exact), for either 16-bit dtype: on the WASM SIMD kernels when they
 * load (equal bits), else bf16ToF32 / f16ToF32. The same overlap rule holds.
 */
export function halfToF32(dtype: HalfDType, src: Uint16Array, dst: Float32Array): void {
  const simd = simdKernels();
  if (simd) simd.widen(dtype, src, dst);
  else if (dtype === "BF16") bf16ToF32(src, dst);
  else f16ToF32(src, dst);
}

/**
 * halfToF32 that also tells whether any value is NaN or ±Inf: tested by the SIMD kernel as it
 * widens (free: the bits are in registers), or else on the stored bits before they are overwritten.
 */
export function halfToF32Checked(dtype: HalfDType, src: Uint16Array, dst: Float32Array): boolean {
  const simd = simdKernels();
  if (simd) return simd.widen(dtype, src, dst);
  const exponent = dtype === "BF16" ? 0x7f80 : 0x7c00;
  let found = false;
  for (let i = 0; i < src.length && !found; i++) found = (src[i]! & exponent) === exponent;
  if (dtype === "BF16") bf16ToF32(src, dst);
  else f16ToF32(src, dst);
  return found;
}

/** float32 → 16-bit float bits, round to nearest even, for either 16-bit dtype (bf16 on the WASM kernels when they load). */
export function f32ToHalf(dtype: HalfDType, src: Float32Array, dst: Uint16Array): void {
  const simd = dtype === "BF16" ? simdKernels() : null;
  if (simd) simd.roundBF16(src, dst);
  else if (dtype === "BF16") f32ToBF16(src, dst);
  else f32ToF16(src, dst);
}

let halfTable: Float32Array | null = null;

/** One float32 for each of the 65536 half bit patterns: the conversion becomes a table lookup. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) bits[h] = halfBitsToFloatBits(h);
  halfTable = table;
  return table;
}

function halfBitsToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // Inf / NaN (payload kept)
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0; // ±0
  // Subnormal half: normalise the mantissa into a float32 exponent.
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** f16 bits → float32 (exact); in place as bf16ToF32. */
export function f16ToF32(src: Uint16Array, dst: Float32Array): void {
  const table = halfToFloatTable();
  const n = src.length;
  for (let i = 0; i < n; i++) dst[i] = table[src[i]!]!;
}

/** One float32 (its bits, signed or unsigned) → f16 bits, round to nearest even, subnormals included. */
export function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const a = x & 0x7fffffff;
  if (a >= 0x7f800000) return sign | (a > 0x7f800000 ? 0x7e00 : 0x7c00); // NaN stays NaN, Inf stays Inf
  if (a >= 0x477ff000) return sign | 0x7c00; // ≥ 65520 rounds past the largest half (65504)
  if (a >= 0x38800000) {
    // Normal half: rebias the exponent (127 → 15) and round the 13 dropped mantissa bits.
    const m = a - 0x38000000;
    return sign | ((m + 0xfff + ((m >>> 13) & 1)) >>> 13);
  }
  if (a <= 0x33000000) return sign; // ≤ 2^-25 (half of the smallest subnormal) rounds to zero, tie to even
  // Subnormal half: value = mant · 2^(e-150), unit 2^-24, so shift the mantissa right by 126 - e.
  const e = a >>> 23;
  const mant = (a & 0x7fffff) | 0x800000;
  const shift = 126 - e;
  let h = mant >>> shift;
  const rem = mant & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rem > half || (rem === half && (h & 1) === 1)) h++;
  return sign | h;
}

/** float32 → f16 bits, round to nearest even (in place as f32ToBF16). */
export function f32ToF16(src: Float32Array, dst: Uint16Array): void {
  const n = src.length;
  const bits = new Int32Array(src.buffer, src.byteOffset, n);
  for (let i = 0; i < n; i++) dst[i] = f32BitsToF16Bits(bits[i]!);
}
