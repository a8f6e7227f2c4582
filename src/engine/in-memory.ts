/**
 * One method on in-memory arrays (one tensor, tensor scope): statistics over the arrays, then the
 * result. For notebooks, reports and tests; the executor streams instead.
 */
import type { DeltaOpNode, MergeNode } from "../graph/graph.js";
import type { ResolvedParams } from "../graph/params.js";
import { getKernel, kernelNames } from "../methods/registry.js";
import { Scratch } from "./kernels/scratch.js";
import { BoundNode } from "./bound-node.js";
import { StatsRunner } from "./stats-runner.js";
import { rowLength } from "./tensor-run.js";

export function applyMethod(
  method: string,
  params: ResolvedParams,
  inputs: readonly Float32Array[],
  base: Float32Array | null = null,
  tensor = "tensor",
  rowLength?: number,
  shape?: readonly number[],
): Float32Array {
  const kernel = getKernel(method);
  if (!kernel) throw new Error(`no CPU kernel for "${method}" (there are: ${kernelNames().join(", ")})`);
  const length = inputs[0]?.length ?? base?.length ?? 0;
  for (const x of [...inputs, ...(base ? [base] : [])]) {
    if (x.length !== length) throw new Error(`${method}: inputs of different lengths (${x.length} and ${length})`);
  }
  if (kernel.base === "required" && !base) throw new Error(`${method} needs a base`);
  const parsed = kernel.parseParams(params, inputs.length);
  const chunk = { inputs, base: kernel.base === "unused" ? null : base, length, offset: 0, rowLength: rowLength ?? Math.max(1, length) };
  const ctx = { scratch: new Scratch(), tensor, ...(shape ? { shape } : {}) };
  let stats: unknown = null;
  if (kernel.stats) {
    const session = new StatsRunner(kernel, parsed, length, inputs.length);
    while (session.needsPass) {
      session.accumulate(chunk, ctx);
      session.endPass();
    }
    stats = session.result();
  }
  const out = new Float32Array(length);
  kernel.apply(parsed, stats, chunk, out, ctx);
  return out;
}

/**
 * One merge or delta-operation node of a graph on one tensor held in memory, with its parameters
 * resolved for the tensor exactly as the executor resolves them (a disjoint_mean's sign input, rows
 * for the row-wise methods). `inputs` are the node's positional inputs (a merge's models, a delta
 * operation's inputs), `base` a merge's base.
 */
export function applyNode(
  node: MergeNode | DeltaOpNode,
  tensor: { name: string; shape: readonly number[] },
  inputs: readonly Float32Array[],
  base: Float32Array | null,
  layerCount: number,
): Float32Array {
  const bound = new BoundNode(node, layerCount);
  const numel = tensor.shape.reduce((a, b) => a * b, 1);
  return applyMethod(bound.name, bound.resolved(tensor.name), inputs, base, tensor.name, rowLength(tensor.shape, numel), tensor.shape);
}
