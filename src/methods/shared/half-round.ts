/**
 * Rounding float32 values to a 16-bit float and back, for methods that reproduce arithmetic done in
 * bf16 or f16 (as PyTorch does when mergekit's `dtype` is a 16-bit type): each operation's result is
 * rounded to nearest even, as a 16-bit tensor would store it.
 */
import { halfToF32, f32ToHalf, type HalfDType } from "../../io/dtype.js";

export type Precision = "f32" | "bf16" | "f16";

const HALF: Record<Exclude<Precision, "f32">, HalfDType> = { bf16: "BF16", f16: "F16" };

/** Rounds values[0 .. length) in place to `precision` (no change for f32). */
export function roundInPlace(precision: Precision, values: Float32Array, length: number, bits: Uint16Array): void {
  if (precision === "f32") return;
  const v = values.subarray(0, length);
  const b = bits.subarray(0, length);
  f32ToHalf(HALF[precision], v, b);
  halfToF32(HALF[precision], b, v);
}

/** One number rounded to `precision`. */
export function roundScalar(precision: Precision, x: number): number {
  const v = Float32Array.of(x);
  roundInPlace(precision, v, 1, new Uint16Array(1));
  return v[0]!;
}

/**
 * A function rounding one number to `precision` (float32 rounding for "f32"), reusing one buffer:
 * for kernels that follow PyTorch's rounding operation by operation.
 */
export function scalarRounder(precision: Precision): (x: number) => number {
  if (precision === "f32") return Math.fround;
  const v = new Float32Array(1);
  const bits = new Uint16Array(1);
  return (x) => {
    v[0] = x;
    roundInPlace(precision, v, 1, bits);
    return v[0]!;
  };
}
