/**
 * Fused elementwise loops on Float32Array. Sums accumulate in float64 and are rounded once when
 * stored; a delta is rounded to float32 as it is formed (δ = m − base in float32, as the papers'
 * code computes it), so that thresholds on |δ| see exactly the reference values.
 */

/** Elements per block when a kernel works through a chunk with scratch buffers (fits in L2). */
export const BLOCK = 16384;

/** out[k] = f32(model[start + k] − base[start + k]) for k in [0, end − start). */
export function deltaInto(model: Float32Array, base: Float32Array, start: number, end: number, out: Float32Array): void {
  for (let i = start, k = 0; i < end; i++, k++) out[k] = model[i]! - base[i]!;
}

/** out[i] = Σⱼ coefs[j] · inputs[j][i] for i in [0, length). */
export function weightedSumInto(
  inputs: readonly Float32Array[],
  coefs: readonly number[],
  out: Float32Array,
  length: number,
): void {
  const n = inputs.length;
  if (n === 0) {
    out.fill(0, 0, length);
    return;
  }
  if (n === 1) {
    const a = inputs[0]!;
    const ca = coefs[0]!;
    for (let i = 0; i < length; i++) out[i] = ca * a[i]!;
    return;
  }
  if (n === 2) {
    const a = inputs[0]!, b = inputs[1]!;
    const ca = coefs[0]!, cb = coefs[1]!;
    for (let i = 0; i < length; i++) out[i] = ca * a[i]! + cb * b[i]!;
    return;
  }
  if (n === 3) {
    const a = inputs[0]!, b = inputs[1]!, c = inputs[2]!;
    const ca = coefs[0]!, cb = coefs[1]!, cc = coefs[2]!;
    for (let i = 0; i < length; i++) out[i] = ca * a[i]! + cb * b[i]! + cc * c[i]!;
    return;
  }
  for (let i = 0; i < length; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += coefs[j]! * inputs[j]![i]!;
    out[i] = s;
  }
}

/**
 * out[i] = base[i] + lambda · Σⱼ w[j] · f32(models[j][i] − base[i]): task arithmetic, and the
 * model-plus-scaled-deltas form in general.
 */
export function basePlusWeightedDeltasInto(
  models: readonly Float32Array[],
  base: Float32Array,
  weights: readonly number[],
  lambda: number,
  out: Float32Array,
  length: number,
): void {
  const n = models.length;
  const f = Math.fround;
  for (let i = 0; i < length; i++) {
    const b = base[i]!;
    let s = 0;
    for (let j = 0; j < n; j++) s += weights[j]! * f(models[j]![i]! - b);
    out[i] = b + lambda * s;
  }
}
