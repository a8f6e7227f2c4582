/** Whole-model statistics of the `scope: "global"` nodes, before any tensor is produced. */
import type { NodeId } from "../graph/graph.js";
import type { BoundNode } from "./bound-node.js";
import type { FamilyTensor } from "./model-set.js";
import { StatsRunner } from "./stats-runner.js";
import { type RunContext, TensorRun } from "./tensor-run.js";

/**
 * Statistics of every global-scope node, inner nodes first: passes over every float tensor of the
 * model until each node's session is complete. Memory stays that of one tensor plus histograms.
 */
export async function computeGlobalStats(
  ctx: RunContext,
  order: readonly NodeId[],
  tensors: readonly FamilyTensor[],
  report: (phase: "statistics", label: string, done: number) => void,
): Promise<void> {
  for (const id of order) {
    const b = ctx.bound.get(id);
    if (!b || !b.hasStats || b.scope !== "global") continue;
    // A node's scope is its own model's tensors (they differ from the save's under a stack).
    const floats = (ctx.layout ? ctx.layout.tensors(id) : tensors).filter((t) => t.float);
    const total = floats.reduce((a, t) => a + t.numel, 0);
    const params = uniformScopeParams(b, floats);
    const session = new StatsRunner(b.kernel, params, total, b.inputCount);
    const roots = b.base === null ? b.inputs : [...b.inputs, b.base];
    for (let pass = 1; session.needsPass; pass++) {
      for (let ti = 0; ti < floats.length; ti++) {
        const t = floats[ti]!;
        const run = new TensorRun(ctx, t);
        await run.prepare(roots);
        const kctx = { scratch: ctx.scratch, tensor: t.name };
        for (let c = 0; c < run.chunks.length; c++) {
          await ctx.parallel.accumulate(session, b.kernel, params, await run.inputsOf(b, c), kctx);
        }
        run.release();
        report("statistics", `${b.name} (global) statistics, pass ${pass}`, ti + 1);
      }
      session.endPass();
    }
    ctx.globalStats.set(id, session.result());
  }
}

/**
 * In global scope the statistics parameters (density, ratio, ...) must be one value for the whole
 * model: where clauses may not give tensors different ones. Returns the first tensor's parameters.
 */
export function uniformScopeParams(b: BoundNode, floats: readonly FamilyTensor[]): unknown {
  if (floats.length === 0) return b.params("");
  const first = floats[0]!.name;
  const key = (tensor: string): string => {
    const r = b.resolved(tensor);
    return JSON.stringify(b.kernel.scopeParams.map((p) => r[p] ?? null));
  };
  const firstKey = key(first);
  for (const t of floats) {
    if (key(t.name) !== firstKey) {
      const differing = b.kernel.scopeParams.find((p) => JSON.stringify(b.resolved(t.name)[p]) !== JSON.stringify(b.resolved(first)[p]));
      throw b.error(
        `${b.name} with scope: "global" needs one ${differing} for the whole model, but tensor "${t.name}" gets ` +
          `${JSON.stringify(b.resolved(t.name)[differing!])} and "${first}" gets ${JSON.stringify(b.resolved(first)[differing!])}; ` +
          `use scope: "tensor" for per-tensor values`,
        t.name,
      );
    }
  }
  return b.params(first);
}
