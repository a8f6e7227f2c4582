/**
 * The streaming CPU engine: evaluates a graph's effects in order. `save` streams over the tensors of
 * the saved node's model family, evaluates each (inputs read once, released right after), hands it
 * to the atomic ModelWriter, and commits; any failure or cancellation aborts the write, leaving no
 * output folder and an existing one untouched. Global-scope nodes first take statistics passes over
 * all tensors (exact, histogram-based), then the write pass produces every tensor.
 */
import { dirname } from "node:path";
import type { Effect, Graph, LoadNode, NodeId, SaveEffect } from "../graph/graph.js";
import { HeaderCache, ModelWriter, dtypeSize, outputDTypeToDType } from "../io/index.js";
import { BoundNode } from "./bound-node.js";
import { BufferPool } from "./buffer-pool.js";
import { EngineAbortedError, EngineError, atOrigin } from "./errors.js";
import { nodeAt, postOrder } from "./graph-walk.js";
import { Scratch } from "./kernels/scratch.js";
import { StatsRunner } from "./stats-runner.js";
import { modelCard, modelMetadata } from "./model-card.js";
import { type FamilyTensor, ModelSet, familyTensors } from "./model-set.js";
import { type RunContext, TensorRun, checkAborted } from "./tensor-run.js";

/** Tensors larger than this many elements are processed in row chunks. */
export const DEFAULT_MAX_CHUNK_ELEMENTS = 1 << 26;

export interface EngineProgress {
  /** Index of the effect in `graph.effects`. */
  effect: number;
  phase: "statistics" | "write";
  /** What is running, e.g. `ties (global) statistics, pass 1`. */
  label: string;
  tensorsDone: number;
  tensorsTotal: number;
  bytesRead: number;
  bytesWritten: number;
}

export interface ExecuteOptions {
  signal?: AbortSignal;
  onProgress?: (progress: EngineProgress) => void;
  /** Effects the engine does not own (interference, show, print) go here, in order. */
  onEffect?: (effect: Effect, index: number) => void | Promise<void>;
  headerCache?: HeaderCache;
  maxChunkElements?: number;
}

export interface SaveResult {
  effect: SaveEffect;
  path: string;
  files: string[];
  bytesWritten: number;
  bytesRead: number;
  tensors: number;
}

export interface ExecuteResult {
  saved: SaveResult[];
  /** Effects neither the engine nor `onEffect` handled. */
  unhandled: Effect[];
}

export async function executeGraph(graph: Graph, opts: ExecuteOptions = {}): Promise<ExecuteResult> {
  const models = new ModelSet(opts.headerCache ?? new HeaderCache());
  const saved: SaveResult[] = [];
  const unhandled: Effect[] = [];
  try {
    for (let i = 0; i < graph.effects.length; i++) {
      checkAborted(opts.signal);
      const effect = graph.effects[i]!;
      if (effect.kind === "save") saved.push(await runSave(graph, effect, i, models, opts));
      else if (opts.onEffect) await opts.onEffect(effect, i);
      else unhandled.push(effect);
    }
  } finally {
    models.close();
  }
  return { saved, unhandled };
}

/** The load node a save takes its tensor list, config and tokenizer from. */
function referenceLoad(graph: Graph, effect: SaveEffect, loads: LoadNode[]): LoadNode {
  const node = graph.nodes[effect.configFrom];
  if (node?.kind === "load") return node;
  const first = loads[0];
  if (!first) throw new EngineError(atOrigin(effect.origin, "save: the saved value reads no model"), effect.origin);
  return first;
}

/** Binds every merge and delta-operation node under `roots` to its kernel. */
export function bindNodes(graph: Graph, roots: readonly NodeId[], layerCount: number): Map<NodeId, BoundNode> {
  const bound = new Map<NodeId, BoundNode>();
  for (const node of postOrder(graph, roots)) {
    if (node.kind === "merge" || node.kind === "delta_op") bound.set(node.id, new BoundNode(node, layerCount));
  }
  return bound;
}

async function runSave(graph: Graph, effect: SaveEffect, index: number, models: ModelSet, opts: ExecuteOptions): Promise<SaveResult> {
  nodeAt(graph, effect.node);
  const nodes = postOrder(graph, [effect.node]);
  const loads = nodes.filter((n): n is LoadNode => n.kind === "load");
  const reference = referenceLoad(graph, effect, loads);
  const tensors = familyTensors(models, reference, loads);
  const refHeader = models.header(reference);
  const ctx: RunContext = {
    graph,
    models,
    bound: bindNodes(graph, [effect.node], refHeader.layerCount),
    globalStats: new Map(),
    pool: new BufferPool(),
    scratch: new Scratch(),
    maxChunkElements: opts.maxChunkElements ?? DEFAULT_MAX_CHUNK_ELEMENTS,
    signal: opts.signal,
    counters: { bytesRead: 0 },
  };
  const outSize = dtypeSize(outputDTypeToDType(effect.dtype));
  let bytesWritten = 0;
  const report = (phase: EngineProgress["phase"], label: string, done: number): void =>
    opts.onProgress?.({
      effect: index,
      phase,
      label,
      tensorsDone: done,
      tensorsTotal: tensors.length,
      bytesRead: ctx.counters.bytesRead,
      bytesWritten,
    });

  let writer: ModelWriter | null = null;
  try {
    writer = await ModelWriter.create({
      path: effect.path,
      dtype: effect.dtype,
      shardSize: effect.shardSize,
      tensors: tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype })),
      metadata: modelMetadata(effect),
    });
    await computeGlobalStats(ctx, nodes.map((n) => n.id), tensors, report);
    for (let ti = 0; ti < tensors.length; ti++) {
      const t = tensors[ti]!;
      if (t.float) {
        const run = new TensorRun(ctx, t);
        await run.prepare([effect.node]);
        for (let c = 0; c < run.chunks.length; c++) {
          const out = await run.evaluate(effect.node, c);
          await writer.writeF32(t.name, out, run.chunks[c]!.start);
          bytesWritten += out.length * outSize;
        }
        run.release();
      } else {
        const bytes = await carriedBytes(models, t, loads);
        await writer.writeRaw(t.name, bytes);
        bytesWritten += bytes.length;
      }
      report("write", `writing ${effect.path}`, ti + 1);
    }
    checkAborted(opts.signal);
    if (refHeader.kind === "folder") {
      await writer.copyConfigFrom(refHeader.path);
      if (effect.copyTokenizer) await writer.copyTokenizerFrom(refHeader.path);
    } else if (effect.copyTokenizer) {
      await writer.copyTokenizerFrom(dirname(refHeader.path));
    }
    const parameters = tensors.reduce((a, t) => a + t.numel, 0);
    await writer.writeText("README.md", modelCard(effect, tensors.length, parameters));
    checkAborted(opts.signal);
    const committed = await writer.commit();
    return {
      effect,
      path: committed.path,
      files: committed.files,
      bytesWritten: committed.bytes,
      bytesRead: ctx.counters.bytesRead,
      tensors: tensors.length,
    };
  } catch (e) {
    await writer?.abort();
    if (e instanceof EngineError || e instanceof EngineAbortedError) throw e;
    throw new EngineError(atOrigin(effect.origin, (e as Error).message), effect.origin, (e as { tensor?: string }).tensor);
  } finally {
    ctx.pool.clear();
    ctx.scratch.clear();
  }
}

/** A non-float tensor is carried through when every model stores the same bytes. */
async function carriedBytes(models: ModelSet, t: FamilyTensor, loads: readonly LoadNode[]): Promise<Uint8Array> {
  let first: { load: LoadNode; bytes: Uint8Array } | null = null;
  const seen = new Set<string>();
  for (const load of loads) {
    if (seen.has(load.path)) continue;
    seen.add(load.path);
    const bytes = await models.reader(load).readRaw(t.name);
    if (first === null) first = { load, bytes };
    else if (!Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(first.bytes)) {
      throw new EngineError(
        atOrigin(
          load.origin,
          `tensor "${t.name}" is ${t.dtype} (not a float) and differs between ${first.load.path} and ${load.path}: ` +
            "only float tensors can be merged; non-float tensors must be identical in every model",
        ),
        load.origin,
        t.name,
      );
    }
  }
  return first!.bytes;
}

/**
 * Statistics of every global-scope node, inner nodes first: passes over every float tensor of the
 * model until each node's session is complete. Memory stays that of one tensor plus histograms.
 */
async function computeGlobalStats(
  ctx: RunContext,
  order: readonly NodeId[],
  tensors: readonly FamilyTensor[],
  report: (phase: "statistics", label: string, done: number) => void,
): Promise<void> {
  const floats = tensors.filter((t) => t.float);
  const total = floats.reduce((a, t) => a + t.numel, 0);
  for (const id of order) {
    const b = ctx.bound.get(id);
    if (!b || !b.hasStats || b.scope !== "global") continue;
    const params = uniformScopeParams(b, floats);
    const session = new StatsRunner(b.kernel, params, total, b.inputCount);
    const roots = b.base === null ? b.inputs : [...b.inputs, b.base];
    for (let pass = 1; session.needsPass; pass++) {
      for (let ti = 0; ti < floats.length; ti++) {
        const t = floats[ti]!;
        const run = new TensorRun(ctx, t);
        await run.prepare(roots);
        const kctx = { scratch: ctx.scratch, tensor: t.name };
        for (let c = 0; c < run.chunks.length; c++) session.accumulate(await run.inputsOf(b, c), kctx);
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
function uniformScopeParams(b: BoundNode, floats: readonly FamilyTensor[]): unknown {
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
