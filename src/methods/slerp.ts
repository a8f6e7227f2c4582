/**
 * `slerp(a, b, t: 0.5)`: spherical linear interpolation per tensor, as mergekit does it: with
 * cos θ = a·b / (|a||b|), the result is sin((1−t)θ)/sin θ · a + sin(tθ)/sin θ · b; linear
 * interpolation when the tensors are nearly parallel (|cos θ| > 0.9995) or one is zero.
 */
import type { MethodKernel } from "./method.js";
import { ParamReader } from "./param-reader.js";

export interface SlerpParams {
  t: number;
}

/** a·b, a·a, b·b over the tensor. */
export interface SlerpStats {
  ab: number;
  aa: number;
  bb: number;
}

const PARALLEL_COS = 0.9995;

/** The coefficients of a and b. */
export function slerpCoefficients(t: number, s: SlerpStats): [number, number] {
  const norms = Math.sqrt(s.aa) * Math.sqrt(s.bb);
  const cos = norms > 0 ? s.ab / norms : 1;
  if (!(Math.abs(cos) <= PARALLEL_COS)) return [1 - t, t];
  const theta = Math.acos(cos);
  const sin = Math.sin(theta);
  return [Math.sin((1 - t) * theta) / sin, Math.sin(t * theta) / sin];
}

export const slerpKernel: MethodKernel<SlerpParams, SlerpStats> = {
  name: "slerp",
  backend: "cpu",
  inputKind: "models",
  base: "unused",
  scopeParams: [],
  parseParams(params, inputCount) {
    const r = new ParamReader(params, "slerp");
    if (inputCount !== 2) throw new Error(`slerp interpolates exactly 2 models, got ${inputCount}`);
    const t = r.number("t", 0.5);
    r.inRange("t", t, 0, 1);
    return { t };
  },
  stats: {
    stage: (_params, stage) => (stage === 0 ? [{ mode: "sum" }, { mode: "sum" }, { mode: "sum" }] : null),
    values(_params, _stage, _earlier, chunk, start, end, out) {
      const [a, b] = chunk.inputs as [Float32Array, Float32Array];
      const [ab, aa, bb] = out as [Float32Array, Float32Array, Float32Array];
      for (let j = start, k = 0; j < end; j++, k++) {
        const x = a[j]!;
        const y = b[j]!;
        ab[k] = x * y;
        aa[k] = x * x;
        bb[k] = y * y;
      }
    },
    result: (_params, _d, _n, stages) => ({ ab: stages[0]![0]![0]!, aa: stages[0]![1]![0]!, bb: stages[0]![2]![0]! }),
  },
  apply(params, stats, chunk, out) {
    const [ca, cb] = slerpCoefficients(params.t, stats ?? { ab: 0, aa: 0, bb: 0 });
    const [a, b] = chunk.inputs as [Float32Array, Float32Array];
    for (let j = 0; j < chunk.length; j++) out[j] = ca * a[j]! + cb * b[j]!;
  },
};
