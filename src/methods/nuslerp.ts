/**
 * `nuslerp(a, b, weights: [1, 1], base?, flatten: true, row_wise: false)`: mergekit's NuSLERP.
 * t = w_b / (w_a + w_b) (0.5 when the weights sum to 0). With a base, the two task vectors a − base
 * and b − base are interpolated and added to the base. The angle is taken over the whole tensor
 * (flatten), or with flatten: false per row (mergekit's dim −1), or with row_wise: true too per
 * column (its dim 0: the vectors along the first dimension; a 1-D tensor is one vector). Where the
 * vectors are colinear (|sin θ| < 1e-8) the interpolation is linear:
 *   θ = acos(a·b / (max(|a|, 1e-7)·max(|b|, 1e-7))),  (sin((1−t)θ)·a + sin(tθ)·b) / sin θ.
 */
import type { ChunkInputs, MethodKernel, SeriesSelection } from "./method.js";
import { ParamError, ParamReader } from "./param-reader.js";

export interface NuslerpParams {
  t: number;
  flatten: boolean;
  /** With flatten: false, one angle per column (the whole tensor in one chunk). */
  rowWise: boolean;
}

/** a·b, a·a, b·b over the tensor (flatten only). */
export interface NuslerpStats {
  ab: number;
  aa: number;
  bb: number;
}

const NORM_EPS = 1e-7;
const COLINEAR_EPS = 1e-8;

/** The coefficients of a and b for dot products ab, aa, bb. */
export function nuslerpCoefficients(t: number, ab: number, aa: number, bb: number): [number, number] {
  const cos = ab / (Math.max(Math.sqrt(aa), NORM_EPS) * Math.max(Math.sqrt(bb), NORM_EPS));
  const theta = Math.acos(Math.min(1, Math.max(-1, cos)));
  const sin = Math.sin(theta);
  if (Math.abs(sin) < COLINEAR_EPS) return [1 - t, t];
  return [Math.sin((1 - t) * theta) / sin, Math.sin(t * theta) / sin];
}

/**
 * Dot products a·b, a·a, b·b over elements start, start + step, … (< end): the models, or their
 * deltas against the base.
 */
function dots(chunk: ChunkInputs, start: number, end: number, step = 1): [number, number, number] {
  const a = chunk.inputs[0]!;
  const b = chunk.inputs[1]!;
  const base = chunk.base;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let j = start; j < end; j += step) {
    const x = base ? Math.fround(a[j]! - base[j]!) : a[j]!;
    const y = base ? Math.fround(b[j]! - base[j]!) : b[j]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return [ab, aa, bb];
}

/** out = ca·a + cb·b (plus the base, with a and b taken against it) over elements start, start + step, … (< end). */
function interpolate(chunk: ChunkInputs, ca: number, cb: number, start: number, end: number, out: Float32Array, step = 1): void {
  const a = chunk.inputs[0]!;
  const b = chunk.inputs[1]!;
  const base = chunk.base;
  if (base) {
    for (let j = start; j < end; j += step) {
      const z = base[j]!;
      out[j] = z + (ca * Math.fround(a[j]! - z) + cb * Math.fround(b[j]! - z));
    }
  } else {
    for (let j = start; j < end; j += step) out[j] = ca * a[j]! + cb * b[j]!;
  }
}

/** Elements between two of one column: the first dimension's stride (1 for a 1-D tensor: one column). */
function columnStride(chunk: ChunkInputs, shape: readonly number[] | undefined): number {
  if (shape) return shape.length >= 2 && shape[0]! > 0 ? chunk.length / shape[0]! : 1;
  return chunk.rowLength < chunk.length ? chunk.rowLength : 1;
}

export const nuslerpKernel: MethodKernel<NuslerpParams, NuslerpStats> = {
  name: "nuslerp",
  backend: "cpu",
  inputKind: "models",
  base: "optional",
  scopeParams: [],
  rowwise: true,
  parseParams(params, inputCount) {
    if (inputCount !== 2) throw new ParamError(`nuslerp interpolates exactly 2 models (plus an optional base), got ${inputCount}`);
    const r = new ParamReader(params, "nuslerp");
    const [wa, wb] = r.perModel("weights", 2, 1) as [number, number];
    const sum = wa + wb;
    return { t: Math.abs(sum) < 1e-6 ? 0.5 : wb / sum, flatten: r.bool("flatten", true), rowWise: r.bool("row_wise", false) };
  },
  needsWholeTensor: (params) => !params.flatten && params.rowWise,
  stats: {
    stage: (params, stage) => (stage === 0 && params.flatten ? [{ mode: "sum" }, { mode: "sum" }, { mode: "sum" }] satisfies SeriesSelection[] : null),
    values(_params, _stage, _earlier, chunk, start, end, out) {
      const [ab, aa, bb] = out as [Float32Array, Float32Array, Float32Array];
      const a = chunk.inputs[0]!;
      const b = chunk.inputs[1]!;
      const base = chunk.base;
      for (let j = start, k = 0; j < end; j++, k++) {
        const x = base ? Math.fround(a[j]! - base[j]!) : a[j]!;
        const y = base ? Math.fround(b[j]! - base[j]!) : b[j]!;
        ab[k] = x * y;
        aa[k] = x * x;
        bb[k] = y * y;
      }
    },
    result: (params, _d, _n, stages) =>
      params.flatten ? { ab: stages[0]![0]![0]!, aa: stages[0]![1]![0]!, bb: stages[0]![2]![0]! } : { ab: 0, aa: 0, bb: 0 },
  },
  apply(params, stats, chunk, out, ctx) {
    if (params.flatten) {
      const s = stats ?? { ab: 0, aa: 0, bb: 0 };
      const [ca, cb] = nuslerpCoefficients(params.t, s.ab, s.aa, s.bb);
      interpolate(chunk, ca, cb, 0, chunk.length, out);
      return;
    }
    if (params.rowWise) {
      const stride = columnStride(chunk, ctx.shape);
      for (let c = 0; c < stride; c++) {
        const [ab, aa, bb] = dots(chunk, c, chunk.length, stride);
        const [ca, cb] = nuslerpCoefficients(params.t, ab, aa, bb);
        interpolate(chunk, ca, cb, c, chunk.length, out, stride);
      }
      return;
    }
    const row = chunk.rowLength;
    if (chunk.length % row !== 0) throw new Error(`nuslerp with flatten: false works on whole rows of ${row} elements`);
    for (let s = 0; s < chunk.length; s += row) {
      const [ab, aa, bb] = dots(chunk, s, s + row);
      const [ca, cb] = nuslerpCoefficients(params.t, ab, aa, bb);
      interpolate(chunk, ca, cb, s, s + row, out);
    }
  },
};
