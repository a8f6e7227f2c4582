/**
 * What a run will do, computed from headers alone (`run --dry-run`): per save, the tensors, the
 * bytes read (global-scope methods read their inputs once more per statistics pass) and written,
 * and an estimate of peak memory (the largest tensor's working set: inputs, deltas, scratch, output).
 */
import type { Graph, SaveEffect } from "../graph/graph.js";
import { HeaderCache, isFloatDType, type DType } from "../io/index.js";
import { loadsUnder, postOrder } from "../engine/graph-walk.js";

const DTYPE_BYTES: Record<string, number> = { bf16: 2, f16: 2, f32: 4 };
/** Statistics passes a global-scope method makes before its write pass (two-level radix select). */
const GLOBAL_PASSES: Record<string, number> = { ties: 2, pcb: 4 };

export interface SavePlan {
  effect: SaveEffect;
  tensors: number;
  parameters: number;
  models: string[];
  bytesRead: number;
  bytesWritten: number;
  peakBytes: number;
  passes: number;
}

export function planGraph(graph: Graph, headers: HeaderCache = new HeaderCache()): SavePlan[] {
  const plans: SavePlan[] = [];
  for (const effect of graph.effects) {
    if (effect.kind !== "save") continue;
    const loads = loadsUnder(graph, [effect.node]);
    const nodes = postOrder(graph, [effect.node]);
    const headersOf = loads.map((l) => headers.get(l.path));
    const reference = headersOf[0];
    if (!reference) continue;
    let parameters = 0;
    let largest = 0;
    let bytesWritten = 0;
    for (const t of reference.tensors.values()) {
      parameters += t.numel;
      largest = Math.max(largest, t.numel);
      bytesWritten += isFloatDType(t.dtype as DType) ? t.numel * DTYPE_BYTES[effect.dtype]! : t.byteLength;
    }
    const inputBytes = headersOf.reduce((s, h) => s + [...h.tensors.values()].reduce((a, t) => a + t.byteLength, 0), 0);
    const extraPasses = Math.max(0, ...nodes.map((n) => (n.kind === "merge" && n.scope === "global" ? (GLOBAL_PASSES[n.method] ?? 1) : 0)));
    // Working set of the largest tensor: one f32 copy per input and per node, plus the output buffer.
    const peakBytes = largest * 4 * (loads.length + nodes.length + 1) + 64 * 2 ** 20;
    plans.push({
      effect,
      tensors: reference.tensors.size,
      parameters,
      models: loads.map((l) => l.path),
      bytesRead: inputBytes * (1 + extraPasses),
      bytesWritten,
      peakBytes,
      passes: 1 + extraPasses,
    });
  }
  return plans;
}
