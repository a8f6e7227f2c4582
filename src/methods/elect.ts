/** `elect(d...)`: TIES's second step, the sign of Σ dᵢ per element as ±1 (+1 where the sum is 0). */
import type { MethodKernel } from "./method.js";
import { ParamReader } from "./param-reader.js";

export interface ElectParams {
  consensus: "sum" | "count";
}

/** out[j] = +1 or −1: the sign of Σ dᵢ[j] ("sum") or of Σ sign dᵢ[j] ("count"); 0 counts as +1. */
export function electSigns(deltas: readonly Float32Array[], byCount: boolean, out: Float32Array, length: number): void {
  const n = deltas.length;
  for (let j = 0; j < length; j++) {
    let vote = 0;
    for (let i = 0; i < n; i++) {
      const d = deltas[i]![j]!;
      vote += byCount ? (d > 0 ? 1 : d < 0 ? -1 : 0) : d;
    }
    out[j] = vote >= 0 ? 1 : -1;
  }
}

export const electKernel: MethodKernel<ElectParams, null> = {
  name: "elect",
  backend: "cpu",
  inputKind: "deltas",
  base: "unused",
  scopeParams: [],
  parseParams(params) {
    return { consensus: new ParamReader(params, "elect").string("consensus", ["sum", "count"] as const, "sum") };
  },
  apply(params, _stats, chunk, out) {
    electSigns(chunk.inputs, params.consensus === "count", out, chunk.length);
  },
};
