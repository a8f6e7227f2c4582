/**
 * The streaming CPU engine: evaluates a graph's effects in order. `save` streams over the tensors of
 * the saved node's model family, evaluates each (inputs read once, released right after), hands it
 * to the atomic ModelWriter, and commits; any failure or cancellation aborts the write, leaving no
 * output folder and an existing one untouched. Global-scope nodes first take statistics passes over
 * all tensors (exact, histogram-based), then the write pass produces every tensor.
 */
import { availableParallelism } from "node:os";
import type { Backend, SaveBackend } from "../backends/backend.js";
import { cpuBackend } from "../backends/cpu.js";
import type { Effect, Graph, LoadNode, SaveEffect } from "../graph/graph.js";
import { HeaderCache, ModelWriter, dtypeSize, outputDTypeToDType } from "../io/index.js";
import { BufferPool } from "./buffer-pool.js";
import { EngineAbortedError, EngineError, atOrigin } from "./errors.js";
import { Scratch } from "./kernels/scratch.js";
import { modelCard, modelMetadata } from "./model-card.js";
import { OutputStream } from "./output-stream.js";
import { type FamilyTensor, ModelSet } from "./model-set.js";
import { setupSave } from "./save-setup.js";
import { Parallel } from "./parallel/parallel.js";
import { WorkerPool } from "./parallel/worker-pool.js";
import { ReadAhead } from "./prefetch.js";
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
  /** Threads for the hot loops (the main thread included); default: the machine's cores. */
  threads?: number;
  /** What evaluates the tensors: the CPU engine (default) or a device from `resolveDevice`. */
  backend?: Backend;
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
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const backend = opts.backend ?? cpuBackend;
  let workers: WorkerPool | null = null;
  try {
    for (let i = 0; i < graph.effects.length; i++) {
      checkAborted(opts.signal);
      const effect = graph.effects[i]!;
      if (effect.kind === "save") {
        if (threads > 1 && workers === null && backend.usesWorkers) workers = WorkerPool.create(threads - 1);
        saved.push(await runSave(graph, effect, i, models, new Parallel(workers), backend, opts));
      } else if (opts.onEffect) await opts.onEffect(effect, i);
      else unhandled.push(effect);
    }
  } finally {
    models.close();
    await workers?.close();
  }
  return { saved, unhandled };
}

async function runSave(
  graph: Graph,
  effect: SaveEffect,
  index: number,
  models: ModelSet,
  parallel: Parallel,
  backend: Backend,
  opts: ExecuteOptions,
): Promise<SaveResult> {
  const { nodes, loads, refHeader, tensors, bound, layout } = setupSave(graph, effect, models);
  await Promise.all([...new Set([...bound.values()].map((b) => b.kernel))].map((k) => k.prepare?.()));
  const ctx: RunContext = {
    graph,
    models,
    bound,
    globalStats: new Map(),
    pool: new BufferPool(parallel.threads > 1),
    scratch: new Scratch(),
    parallel,
    maxChunkElements: opts.maxChunkElements ?? DEFAULT_MAX_CHUNK_ELEMENTS,
    signal: opts.signal,
    counters: { bytesRead: 0 },
    layout,
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
  let ahead: ReadAhead | null = null;
  let device: SaveBackend | null = null;
  let output: OutputStream | null = null;
  try {
    device = await backend.beginSave(ctx, nodes);
    writer = await ModelWriter.create({
      path: effect.path,
      dtype: effect.dtype,
      shardSize: effect.shardSize,
      tensors: tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype })),
      metadata: modelMetadata(effect),
    });
    await device.computeGlobalStats(nodes.map((n) => n.id), tensors, report);
    output = new OutputStream(ctx, writer);
    ahead = new ReadAhead(ctx, tensors, loads);
    for (let ti = 0; ti < tensors.length; ti++) {
      const t = tensors[ti]!;
      const prefetched = ahead.take(ti);
      if (t.float) {
        const run = device.tensorRun(t, prefetched);
        await run.prepare([effect.node]);
        // The CPU engine rounds 16-bit outputs as it computes them.
        const roundTo = run instanceof TensorRun ? output.roundTo : null;
        for (let c = 0; c < run.chunks.length; c++) {
          const out = roundTo && run instanceof TensorRun ? await run.evaluate(effect.node, c, roundTo) : await run.evaluate(effect.node, c);
          await output.writeValues(t.name, out, run.chunks[c]!.start, roundTo !== null);
          bytesWritten += out.length * outSize;
        }
        run.release();
        await prefetched?.discard();
      } else {
        const sources = layout ? layout.leafSources([effect.node], t.name) : loads.map((load) => ({ load, name: t.name }));
        const bytes = await carriedBytes(models, t, sources, ctx.counters);
        await output.writeRaw(t.name, bytes);
        bytesWritten += bytes.length;
      }
      report("write", `writing ${effect.path}`, ti + 1);
    }
    await output.drain();
    checkAborted(opts.signal);
    // A single .safetensors file has no config or tokenizer of its own to copy.
    if (refHeader.kind === "folder") {
      // A stacked model has its own number of layers.
      await writer.copyConfigFrom(refHeader.path, layout ? layerCountOverrides(refHeader.config, layout.layerCount(effect.node)) : {});
      if (effect.copyTokenizer) await writer.copyTokenizerFrom(refHeader.path);
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
    await ahead?.discard();
    await output?.drain().catch(() => undefined);
    await writer?.abort();
    if (e instanceof EngineError || e instanceof EngineAbortedError) throw e;
    throw new EngineError(atOrigin(effect.origin, (e as Error).message), effect.origin, (e as { tensor?: string }).tensor);
  } finally {
    device?.end();
    ctx.pool.clear();
    ctx.scratch.clear();
  }
}

/** config.json keys that hold the number of layers (Llama and most: num_hidden_layers; GPT-2: n_layer). */
const LAYER_COUNT_KEYS = ["num_hidden_layers", "n_layer", "num_layers", "n_layers"];

/** The config.json entries a model with `layers` layers gets: the layer-count keys the config has. */
export function layerCountOverrides(config: Record<string, unknown> | null, layers: number): Record<string, unknown> {
  const keys = LAYER_COUNT_KEYS.filter((k) => typeof config?.[k] === "number");
  return Object.fromEntries((keys.length ? keys : ["num_hidden_layers"]).map((k) => [k, layers]));
}

/** A non-float tensor is carried through when every model stores the same bytes (under the name each reads). */
async function carriedBytes(
  models: ModelSet,
  t: FamilyTensor,
  sources: readonly { load: LoadNode; name: string }[],
  counters: { bytesRead: number },
): Promise<Uint8Array> {
  let first: { load: LoadNode; bytes: Uint8Array } | null = null;
  const seen = new Set<string>();
  for (const { load, name } of sources) {
    if (seen.has(`${load.path}\u0000${name}`)) continue;
    seen.add(`${load.path}\u0000${name}`);
    const bytes = await models.reader(load).readRaw(name);
    counters.bytesRead += bytes.length;
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
