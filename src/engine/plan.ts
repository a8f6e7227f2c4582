/**
 * `--dry-run`: what executing a graph would do, from the model headers alone: tensors, bytes read
 * (every statistics pass reads the models again) and written, and an estimate of peak memory. It
 * runs the same checks as execution (tensor names and shapes, kernels, parameters for every tensor),
 * so a plan that succeeds has no input error left.
 */
import { availableParallelism } from "node:os";
import type { Graph, GraphNode, LoadNode, NodeId, Origin } from "../graph/graph.js";
import { HeaderCache, outputDTypeToDType, planShards } from "../io/index.js";
import type { BoundNode } from "./bound-node.js";
import { formatOrigin } from "./errors.js";
import { DEFAULT_MAX_CHUNK_ELEMENTS } from "./executor.js";
import { uniformScopeParams } from "./global-stats.js";
import { postOrder } from "./graph-walk.js";
import { BLOCK } from "./kernels/elementwise.js";
import { modelMetadata } from "./model-card.js";
import { type FamilyTensor, ModelSet } from "./model-set.js";
import { setupSave } from "./save-setup.js";
import { countStatsPasses } from "./stats-runner.js";
import { PREFETCH_MAX_ELEMENTS, READ_AHEAD_ELEMENTS } from "./prefetch.js";
import { chunkRanges } from "./tensor-run.js";

export interface StatsPlan {
  /** "ties at recipe.merge:5:10" */
  node: string;
  method: string;
  origin: Origin;
  scope: "tensor" | "global";
  /** Passes over the whole model (global), or the most any one tensor takes (tensor). */
  passes: number;
}

export interface SavePlan {
  /** Index of the effect in `graph.effects`. */
  effect: number;
  path: string;
  dtype: "bf16" | "f16" | "f32";
  tensors: number;
  parameters: number;
  shards: number;
  bytesRead: number;
  bytesWritten: number;
  statistics: StatsPlan[];
  /** Tensor buffers, histograms, scratch and write buffers at the busiest moment (the process adds its own). */
  peakMemoryBytes: number;
}

export interface GraphPlan {
  saves: SavePlan[];
  /** Effects other than save (reports, prints), which a dry run does not evaluate. */
  otherEffects: number;
  threads: number;
}

export interface PlanOptions {
  headerCache?: HeaderCache;
  maxChunkElements?: number;
  threads?: number;
}

const HISTOGRAM_BYTES = 65536 * 8;
const WRITER_BYTES = 2 * (8 << 20);

export function planGraph(graph: Graph, opts: PlanOptions = {}): GraphPlan {
  const models = new ModelSet(opts.headerCache ?? new HeaderCache());
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const maxChunk = opts.maxChunkElements ?? DEFAULT_MAX_CHUNK_ELEMENTS;
  const saves: SavePlan[] = [];
  let otherEffects = 0;
  graph.effects.forEach((effect, index) => {
    if (effect.kind !== "save") {
      otherEffects++;
      return;
    }
    const setup = setupSave(graph, effect, models);
    const floats = setup.tensors.filter((t) => t.float);
    const total = floats.reduce((a, t) => a + t.numel, 0);
    const layout = setup.layout;
    const loadBytes = (roots: readonly NodeId[], t: FamilyTensor): number =>
      layout
        ? layout.leafSources(roots, t.name).reduce((a, s) => a + models.header(s.load).tensors.get(s.name)!.byteLength, 0)
        : postOrder(graph, roots)
            .filter((n): n is LoadNode => n.kind === "load")
            .reduce((a, l) => a + models.header(l).tensors.get(t.name)!.byteLength, 0);
    // Under a stack a node's tensors are its own model's, not the saved ones.
    const floatsOf = (id: NodeId): FamilyTensor[] => (layout ? layout.tensors(id).filter((t) => t.float) : floats);
    const inputsOf = (b: BoundNode): NodeId[] => (b.base === null ? b.inputs : [...b.inputs, b.base]);

    let bytesRead = 0;
    const statistics: StatsPlan[] = [];
    for (const node of setup.nodes) {
      const b = setup.bound.get(node.id);
      if (!b || !b.hasStats) continue;
      const label = `${b.name} at ${formatOrigin(node.origin)}`;
      const own = floatsOf(node.id);
      if (b.scope === "global") {
        const scope = layout ? own.reduce((a, t) => a + t.numel, 0) : total;
        const passes = countStatsPasses(b.kernel, uniformScopeParams(b, own), scope, b.inputCount);
        for (const t of own) bytesRead += passes * loadBytes(inputsOf(b), t);
        if (passes > 0) statistics.push({ node: label, method: b.name, origin: node.origin, scope: "global", passes });
      } else {
        let most = 0;
        for (const t of own) {
          const passes = countStatsPasses(b.kernel, b.params(t.name), t.numel, b.inputCount);
          most = Math.max(most, passes);
          // A tensor in one chunk keeps its inputs in memory during the passes; a chunked one reads again.
          if (chunkRanges(t.shape, t.numel, maxChunk).length > 1) bytesRead += passes * loadBytes(inputsOf(b), t);
        }
        if (most > 0) statistics.push({ node: label, method: b.name, origin: node.origin, scope: "tensor", passes: most });
      }
    }
    // Parameter errors now, not mid-way.
    if (layout) for (const b of setup.bound.values()) for (const t of floatsOf(b.node.id)) b.params(t.name);
    for (const t of setup.tensors) {
      if (t.float) {
        if (!layout) for (const b of setup.bound.values()) b.params(t.name);
        bytesRead += loadBytes([effect.node], t);
      } else if (layout) {
        const files = new Map(layout.leafSources([effect.node], t.name).map((s) => [`${s.load.path}\u0000${s.name}`, s]));
        for (const s of files.values()) bytesRead += models.header(s.load).tensors.get(s.name)!.byteLength;
      } else {
        bytesRead += new Set(setup.loads.map((l) => l.path)).size * models.header(setup.loads[0]!).tensors.get(t.name)!.byteLength;
      }
    }
    const shardPlan = planShards(
      setup.tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: t.float ? outputDTypeToDType(effect.dtype) : t.dtype })),
      { format: "pt", ...modelMetadata(effect) },
      effect.shardSize,
    );
    saves.push({
      effect: index,
      path: effect.path,
      dtype: effect.dtype,
      tensors: setup.tensors.length,
      parameters: setup.tensors.reduce((a, t) => a + t.numel, 0),
      shards: shardPlan.shards.length,
      bytesRead,
      bytesWritten: shardPlan.shards.reduce((a, s) => a + s.fileBytes, 0),
      statistics,
      peakMemoryBytes: peakMemory(setup.nodes, setup.bound, floats, maxChunk, threads),
    });
    models.align(null);
  });
  return { saves, otherEffects, threads };
}

function peakMemory(
  nodes: readonly GraphNode[],
  bound: Map<NodeId, BoundNode>,
  floats: readonly FamilyTensor[],
  maxChunk: number,
  threads: number,
): number {
  const largest = floats.reduce((a, t) => Math.max(a, Math.min(t.numel, maxChunk)), 0);
  // One chunk of every node is alive at once (inputs are kept while the tensor's statistics run).
  const buffers = nodes.length * largest * 4;
  let series = 0;
  for (const b of bound.values()) if (b.hasStats) series += 2 * b.inputCount;
  const histograms = series * HISTOGRAM_BYTES * threads;
  const widest = Math.max(1, ...[...bound.values()].map((b) => b.inputCount));
  const scratch = threads * (3 * widest + 3) * BLOCK * 8;
  // The next tensor's inputs are read while this one computes (when small enough), with any tiny
  // tensors before it.
  const loads = nodes.filter((n) => n.kind === "load").length;
  const prefetch = loads * (Math.min(largest, PREFETCH_MAX_ELEMENTS) + READ_AHEAD_ELEMENTS) * 4;
  return buffers + histograms + scratch + prefetch + WRITER_BYTES;
}
