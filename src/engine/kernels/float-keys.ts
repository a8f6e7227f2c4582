/**
 * Order-preserving unsigned keys for float32 bit patterns, so that selecting by key (an integer
 * radix select) selects by numeric value.
 *
 * - "signed": every float32 in numeric order; −0 sorts just before +0 (they compare equal as numbers,
 *   so which one an order statistic returns never changes a comparison) and NaNs sort last.
 * - "magnitude": |x| in numeric order (the key is the bits without the sign); NaNs sort last.
 */

export type KeyMode = "signed" | "magnitude";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The bits of a float32 value (as an unsigned integer). */
export function floatToBits(x: number): number {
  f32[0] = x;
  return u32[0]!;
}

/** The float32 value of a bit pattern. */
export function bitsToFloat(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0]!;
}

/** Signed order key of a float32 bit pattern. */
export function signedKey(bits: number): number {
  return (bits & 0x80000000) !== 0 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
}

/** Inverse of `signedKey`. */
export function signedKeyToBits(key: number): number {
  return (key & 0x80000000) !== 0 ? (key & 0x7fffffff) >>> 0 : ~key >>> 0;
}

/** Magnitude order key of a float32 bit pattern: the bits of |x|. */
export function magnitudeKey(bits: number): number {
  return (bits & 0x7fffffff) >>> 0;
}

export function keyOf(mode: KeyMode, bits: number): number {
  return mode === "signed" ? signedKey(bits) : magnitudeKey(bits);
}

/** The float32 value a key stands for (for "magnitude", the non-negative magnitude). */
export function keyToFloat(mode: KeyMode, key: number): number {
  return bitsToFloat(mode === "signed" ? signedKeyToBits(key) : key);
}

/** A Uint32Array over the same bytes as a Float32Array (no copy). */
export function bitsView(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}
