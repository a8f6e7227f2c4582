/**
 * `nearswap(m, base, t)`: mergekit's NearSwap. Per parameter, w = clamp(t / |base − m|, 0, 1)
 * (1 where the two are equal), result w·m + (1 − w)·base: the base takes the other model's value
 * where the two are already close, and keeps its own where they differ. Rounded to float32 at each
 * step, as PyTorch computes it on float32 tensors.
 */
import type { MethodKernel } from "./method.js";
import { ParamError, ParamReader } from "./param-reader.js";

export interface NearswapParams {
  t: number;
}

export const nearswapKernel: MethodKernel<NearswapParams, null> = {
  name: "nearswap",
  backend: "cpu",
  inputKind: "models",
  base: "required",
  scopeParams: [],
  parseParams(params, inputCount) {
    if (inputCount !== 1) throw new ParamError(`nearswap takes exactly 1 model besides the base, got ${inputCount}`);
    const r = new ParamReader(params, "nearswap");
    if (!r.has("t")) throw new ParamError("nearswap: t is required (the sameness threshold)");
    const t = r.number("t", 0);
    if (!(t > 0)) throw new ParamError(`nearswap: t must be more than 0, got ${t}`);
    return { t };
  },
  apply(params, _stats, chunk, out) {
    const f = Math.fround;
    const t = f(params.t);
    const m = chunk.inputs[0]!;
    const base = chunk.base!;
    for (let j = 0; j < chunk.length; j++) {
      const v0 = base[j]!;
      const v1 = m[j]!;
      const w0 = f(t / f(Math.abs(v0 - v1)));
      // t / 0 is +∞ (and 0 / 0 NaN): both mean "the same", weight 1.
      const w = w0 === w0 && w0 !== Infinity ? Math.min(1, Math.max(0, w0)) : 1;
      out[j] = f(w * v1) + f(f(1 - w) * v0);
    }
  },
};
