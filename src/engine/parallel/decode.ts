/**
 * 16-bit floats (bf16, f16) in float32 buffers, converted in place by the threads that use them.
 *
 * A buffer is cut into segments of SEGMENT elements. An input read in its stored form holds each
 * segment's 16-bit bits in the upper half of the segment's own float32 bytes; it is widened later,
 * segment by segment, by whichever thread first works on the segment. A 16-bit output is rounded
 * into the lower halves the same way and written from there. Threads thus never touch each other's
 * bytes, and within a segment the conversion runs from its first element on, reading every element
 * before its bytes are overwritten: each segment must be converted from its start, in order.
 */
import { type HalfDType, f32ToHalf, halfToF32, halfToF32Checked } from "../../io/index.js";
import { BLOCK } from "../kernels/elementwise.js";

/** Elements per segment: the ranges threads take at a time (claims) are whole segments. */
export const SEGMENT = 2 * BLOCK;

/** An input whose float32 buffer still holds its stored bits (upper halves of its segments). */
export interface PendingDecode {
  dst: Float32Array;
  dtype: HalfDType;
  /**
   * Set to 1 by a thread whose widened range holds NaN or ±Inf (the check runs on each range while
   * it is in cache, on every thread, instead of a pass over the read bytes on the main thread);
   * null: not checked (allow_nonfinite).
   */
  nonFinite: Int32Array | null;
}

function segmentLength(length: number, start: number): number {
  return Math.min(SEGMENT, length - start);
}

/** Byte ranges of `buf`'s segments: their upper halves (`upper`) or lower halves, each 2 bytes per element. */
function halves(buf: Float32Array, upper: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let s = 0; s < buf.length; s += SEGMENT) {
    const n = segmentLength(buf.length, s);
    out.push(new Uint8Array(buf.buffer, buf.byteOffset + 4 * s + (upper ? 2 * n : 0), 2 * n));
  }
  return out;
}

/** Where a read of `buf.length` stored 16-bit values goes, in order. */
export function storedHalves(buf: Float32Array): Uint8Array[] {
  return halves(buf, true);
}

/** Where `encodeRange` leaves 16-bit outputs, in order. */
export function encodedHalves(buf: Float32Array): Uint8Array[] {
  return halves(buf, false);
}

/** The stored bits of elements [start, end) of one segment (a view into the float32 bytes). */
function storedBits(d: PendingDecode, start: number, end: number): Uint16Array {
  const s0 = start - (start % SEGMENT);
  const n = segmentLength(d.dst.length, s0);
  return new Uint16Array(d.dst.buffer, d.dst.byteOffset + 4 * s0 + 2 * n + 2 * (start - s0), end - start);
}

/**
 * Widens elements [start, end) of every pending input, in place: a range inside one segment, whose
 * earlier elements are widened already.
 */
export function decodeRange(decodes: readonly PendingDecode[], start: number, end: number): void {
  for (const d of decodes) {
    const values = d.dst.subarray(start, end);
    if (!d.nonFinite) halfToF32(d.dtype, storedBits(d, start, end), values);
    else if (halfToF32Checked(d.dtype, storedBits(d, start, end), values)) Atomics.store(d.nonFinite, 0, 1);
  }
}

/** Widens every segment of the pending inputs. */
export function decodeAll(decodes: readonly PendingDecode[]): void {
  for (const d of decodes) {
    for (let s = 0; s < d.dst.length; s += SEGMENT) decodeRange([d], s, s + segmentLength(d.dst.length, s));
  }
}

/** The values of elements [start, end) of a pending input, widened into `out` (the input is left as it is). */
export function decodeCopy(d: PendingDecode, start: number, end: number, out: Float32Array): void {
  halfToF32(d.dtype, storedBits(d, start, end), out);
}

/** Rounds the float32 values of the segment starting at `start` to 16 bits, into its lower half. */
export function encodeSegment(dtype: HalfDType, buf: Float32Array, start: number): void {
  const n = segmentLength(buf.length, start);
  f32ToHalf(dtype, buf.subarray(start, start + n), new Uint16Array(buf.buffer, buf.byteOffset + 4 * start, n));
}

export function encodeAll(dtype: HalfDType, buf: Float32Array): void {
  for (let s = 0; s < buf.length; s += SEGMENT) encodeSegment(dtype, buf, s);
}
