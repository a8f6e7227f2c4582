/** Whole-model statistics of the `scope: "global"` nodes, before any tensor is produced. */
import type { LoadNode, NodeId } from "../graph/graph.js";
import type { StatsProgress } from "../backends/backend.js";
import type { BoundNode } from "./bound-node.js";
import type { FamilyTensor } from "./model-set.js";
import { type SampleRun, StatsRunner } from "./stats-runner.js";
import { sameNameNodes } from "./graph-walk.js";
import { ReadAhead } from "./prefetch.js";
import { type RunContext, TensorRun, rowLength } from "./tensor-run.js";

/**
 * Statistics of every global-scope node, inner nodes first: passes over every float tensor of the
 * model until each node's session is complete (a selection usually takes one pass, judged from a
 * sample read first, see StatsRunner.narrow). Memory stays that of one tensor plus histograms and
 * the keys a selection keeps.
 */
export async function computeGlobalStats(
  ctx: RunContext,
  order: readonly NodeId[],
  tensors: readonly FamilyTensor[],
  report: (p: StatsProgress) => void,
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
    const loads = sameNameNodes(ctx.graph, roots).filter((n): n is LoadNode => n.kind === "load");
    for (let pass = 1; session.needsPass; pass++) {
      const sample = await readSample(ctx, b, floats, session.samplePlan());
      if (sample) session.narrow((start) => sample.get(start)!);
      const ahead = new ReadAhead(ctx, floats, loads);
      let elementsDone = 0;
      try {
        for (let ti = 0; ti < floats.length; ti++) {
          const t = floats[ti]!;
          const prefetched = ahead.take(ti);
          const run = new TensorRun(ctx, t, prefetched);
          await run.prepare(roots);
          for (let c = 0; c < run.chunks.length; c++) await run.accumulate(session, b, params, c);
          run.release();
          await prefetched?.discard();
          elementsDone += t.numel;
          report({ node: id, pass, tensorsDone: ti + 1, elementsDone });
        }
      } catch (e) {
        await ahead.discard();
        throw e;
      }
      session.endPass();
    }
    ctx.globalStats.set(id, session.result());
  }
}

/**
 * The ranges of the model `StatsRunner.narrow` samples (positions in the float tensors one after
 * the other; a range is moved back to fit in its tensor), read from the models: for a node whose
 * inputs are models. Null when there is nothing to sample, the node reads computed values, or a
 * read fails (the pass then reports it).
 */
async function readSample(
  ctx: RunContext,
  b: BoundNode,
  floats: readonly FamilyTensor[],
  plan: readonly [number, number][],
): Promise<Map<number, SampleRun> | null> {
  const ids = b.base === null ? b.inputs : [...b.inputs, b.base];
  const loads = ids.map((id) => ctx.graph.nodes[id]!);
  if (plan.length === 0 || !loads.every((n): n is LoadNode => n.kind === "load")) return null;
  const firsts: number[] = [];
  floats.reduce((at, t) => (firsts.push(at), at + t.numel), 0);
  const runs = new Map<number, SampleRun>();
  try {
    let ti = 0;
    for (const [start, end] of plan) {
      while (ti + 1 < floats.length && firsts[ti + 1]! <= start) ti++;
      const t = floats[ti]!;
      const length = Math.min(end - start, t.numel);
      const offset = Math.min(start - firsts[ti]!, t.numel - length);
      const values = await Promise.all(loads.map((load) => ctx.models.reader(load).readF32(t.name, offset, length)));
      const chunk = {
        inputs: values.slice(0, b.inputs.length),
        base: b.base === null ? null : values[values.length - 1]!,
        length,
        offset,
        rowLength: rowLength(t.shape, t.numel),
      };
      runs.set(start, { chunk, ctx: { scratch: ctx.scratch, tensor: t.name } });
    }
  } catch {
    return null;
  }
  return runs;
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
