/**
 * Counting NaN and ±Inf in stored float data. A value is non-finite exactly when its exponent bits
 * are all ones, so the common case (none) is one masked add per 32-bit word, OR-ed together with
 * no branch: adding the exponent's lowest bit to an all-ones exponent carries into the bit above it
 * (the sign position, cleared by the mask). Only when that bit shows up are the values counted.
 */
import type { DType } from "./dtype.js";
import { simdKernels } from "../wasm/simd-kernels.js";

interface Layout {
  /** Bytes per element. */
  size: 2 | 4;
  exponent: number;
  lowBit: number;
}

const LAYOUTS: Partial<Record<DType, Layout>> = {
  BF16: { size: 2, exponent: 0x7f80, lowBit: 0x0080 },
  F16: { size: 2, exponent: 0x7c00, lowBit: 0x0400 },
  F32: { size: 4, exponent: 0x7f800000, lowBit: 0x00800000 },
};

/** Whether `countNonFinite` can read this dtype (F64 is widened to F32 before anyone counts it). */
export function countsNonFinite(dtype: DType): boolean {
  return LAYOUTS[dtype] !== undefined;
}

/** Words the SIMD kernel takes on: below, the copy into its memory costs more than it saves. */
const SIMD_MIN_WORDS = 4096;

/** Any non-finite value among the whole 32-bit words of `words`, for a layout (SIMD where it loads). */
function anyInWords(words: Uint32Array, l: Layout): boolean {
  const mask = l.size === 2 ? (l.exponent | (l.exponent << 16)) >>> 0 : l.exponent;
  const add = l.size === 2 ? (l.lowBit | (l.lowBit << 16)) >>> 0 : l.lowBit;
  const carry = l.size === 2 ? 0x80008000 : 0x80000000;
  const simd = words.length >= SIMD_MIN_WORDS ? simdKernels() : null;
  const acc = simd ? simd.nonFiniteWords(words, mask, add) : wordsCarry(words, mask, add);
  return (acc & carry) !== 0;
}

/** The OR of (word & mask) + add over `words`: the JavaScript reference of nonFiniteWords. */
export function wordsCarry(words: Uint32Array, mask: number, add: number): number {
  let acc = 0;
  for (let i = 0; i < words.length; i++) acc |= (words[i]! & mask) + add;
  return acc >>> 0;
}

function countExact(bytes: Uint8Array, l: Layout): number {
  const n = Math.floor(bytes.length / l.size);
  let count = 0;
  if (l.size === 2 && bytes.byteOffset % 2 === 0) {
    const v = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) if ((v[i]! & l.exponent) === l.exponent) count++;
    return count;
  }
  if (l.size === 4 && bytes.byteOffset % 4 === 0) {
    const v = new Uint32Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) if ((v[i]! & l.exponent) === l.exponent) count++;
    return count;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    const w = l.size === 2 ? dv.getUint16(i * 2, true) : dv.getUint32(i * 4, true);
    if ((w & l.exponent) === l.exponent) count++;
  }
  return count;
}

/** NaN and ±Inf values in `bytes`, stored little-endian as `dtype` (0 for dtypes that are not floats). */
export function countNonFinite(bytes: Uint8Array, dtype: DType): number {
  const l = LAYOUTS[dtype];
  if (!l) return 0;
  if (bytes.byteOffset % l.size !== 0 || bytes.length < 8) return countExact(bytes, l);
  const head = bytes.byteOffset % 4 === 0 ? 0 : Math.min(bytes.length, 4 - (bytes.byteOffset % 4));
  const words = Math.floor((bytes.length - head) / 4);
  const bulk = new Uint32Array(bytes.buffer, bytes.byteOffset + head, words);
  const rest = bytes.subarray(head + words * 4);
  // A 16-bit element before the first whole word, or after the last, is counted on its own.
  if (!anyInWords(bulk, l) && (head === 0 || countExact(bytes.subarray(0, head), l) === 0) && (rest.length === 0 || countExact(rest, l) === 0)) {
    return 0;
  }
  return countExact(bytes, l);
}

/** NaN and ±Inf values among float32 values. */
export function countNonFiniteF32(values: Float32Array): number {
  return countNonFinite(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), "F32");
}
