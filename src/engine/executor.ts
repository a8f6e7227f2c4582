/**
 * The streaming CPU engine: evaluates a graph's effects in order. `save` streams over the tensors of
 * the saved node's model family, evaluates each (inputs read once, released right after), hands it
 * to the atomic ModelWriter, and commits; any failure or cancellation aborts the write, leaving no
 * output folder and an existing one untouched. Global-scope nodes first take statistics passes over
 * all tensors (exact, histogram-based), then the write pass produces every tensor.
 */
import { availableParallelism } from "node:os";
import { dirname, isAbsolute } from "node:path";
import { publicPath } from "../util/public-path.js";
import type { Backend, SaveBackend, StatsProgress } from "../backends/backend.js";
import { cpuBackend } from "../backends/cpu.js";
import type { Effect, Graph, GraphNode, LoadNode, SaveEffect } from "../graph/graph.js";
import { HeaderCache, ModelWriter, dtypeSize, outputDTypeToDType } from "../io/index.js";
import { conflictWords, inputConflict } from "../io/output-target.js";
import { BufferPool } from "./buffer-pool.js";
import { EngineAbortedError, EngineError, atOrigin } from "./errors.js";
import { Scratch } from "./kernels/scratch.js";
import { modelCard, modelMetadata } from "./model-card.js";
import { OutputStream } from "./output-stream.js";
import { type FamilyTensor, ModelSet } from "./model-set.js";
import { setupSave } from "./save-setup.js";
import { writeConfigAndTokenizer } from "./save-tokenizer.js";
import { SaveProgress, type SaveStep, type StatsScope } from "./save-progress.js";
import { uniformScopeParams } from "./global-stats.js";
import { countStatsPasses } from "./stats-runner.js";
import { Parallel } from "./parallel/parallel.js";
import { WorkerPool } from "./parallel/worker-pool.js";
import { ReadAhead } from "./prefetch.js";
import { type RunContext, TensorRun, checkAborted } from "./tensor-run.js";
import { simdKernels } from "../wasm/simd-kernels.js";
import { threadHeap } from "../wasm/heap.js";

/** Tensors larger than this many elements are processed in row chunks. */
export const DEFAULT_MAX_CHUNK_ELEMENTS = 1 << 26;

export interface EngineProgress {
  /** Index of the effect in `graph.effects`. */
  effect: number;
  /** The save's output folder (absolute). */
  path: string;
  phase: "statistics" | "write";
  /** What is running, e.g. `ties (global) statistics, pass 1 of up to 2`. */
  label: string;
  /** The step within the save, without the path: `ties statistics, pass 1 of up to 2`, `writing`. */
  step: string;
  /** The save's whole work (statistics passes and writing, in elements read): done and total. */
  workDone: number;
  workTotal: number;
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
  /** For every save: replace existing output folders whatever they hold (the CLI's --overwrite). */
  overwrite?: boolean;
  /** For every save: allow NaN and ±Inf in inputs and outputs (the CLI's --allow-nonfinite). */
  allowNonFinite?: boolean;
  /** Each save as soon as its folder is in place (later saves may still fail or be cancelled). */
  onSaved?: (saved: SaveResult) => void;
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
        const result = await runSave(graph, effect, i, models, new Parallel(workers), backend, opts);
        saved.push(result);
        opts.onSaved?.(result);
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
  refuseSaveOverInput(graph, effect);
  const { nodes, loads, reference, refHeader, tensors, bound, layout, vocab } = setupSave(graph, effect, models);
  const allowNonFinite = effect.allowNonFinite || opts.allowNonFinite === true;
  await Promise.all([...new Set([...bound.values()].map((b) => b.kernel))].map((k) => k.prepare?.()));
  const ctx: RunContext = {
    graph,
    models,
    bound,
    globalStats: new Map(),
    pool: new BufferPool(parallel.threads > 1, simdKernels() ? threadHeap() : null),
    scratch: new Scratch(),
    parallel,
    maxChunkElements: opts.maxChunkElements ?? DEFAULT_MAX_CHUNK_ELEMENTS,
    signal: opts.signal,
    counters: { bytesRead: 0 },
    layout,
    allowNonFinite,
  };
  const outSize = dtypeSize(outputDTypeToDType(effect.dtype));
  let bytesWritten = 0;
  const progress = new SaveProgress(statsScopes(ctx, nodes, tensors), tensors.reduce((a, t) => a + t.numel, 0));
  const report = (phase: EngineProgress["phase"], label: string, done: number, at: SaveStep): void =>
    opts.onProgress?.({
      effect: index,
      path: effect.path,
      phase,
      label,
      ...at,
      tensorsDone: done,
      tensorsTotal: tensors.length,
      bytesRead: ctx.counters.bytesRead,
      bytesWritten,
    });
  const reportStats = (p: StatsProgress): void => {
    const at = progress.statistics(p);
    report("statistics", `${ctx.bound.get(p.node)?.name ?? "merge"} (global) ${at.step.replace(/^\S+ /, "")}`, p.tensorsDone, at);
  };
  let elementsWritten = 0;

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
      overwrite: effect.overwrite || opts.overwrite === true,
      allowNonFinite,
    });
    await device.computeGlobalStats(nodes.map((n) => n.id), tensors, reportStats);
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
      elementsWritten += t.numel;
      report("write", `writing ${effect.path}`, ti + 1, progress.write(elementsWritten));
    }
    await output.drain();
    checkAborted(opts.signal);
    await writeConfigAndTokenizer(writer, effect, models, reference, loads, vocab, {
      ...publicNameOverride(refHeader.config, effect),
      ...(layout ? layerCountOverrides(refHeader.config, layout.layerCount(effect.node)) : {}),
    });
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
    models.align(null);
    device?.end();
    ctx.pool.clear();
    ctx.scratch.clear();
  }
}

/** A save never writes over, into or above an input (check reports it first; graphs built by hand too). */
function refuseSaveOverInput(graph: Graph, effect: SaveEffect): void {
  for (const n of graph.nodes) {
    if (n.kind !== "load") continue;
    const c = inputConflict(effect.path, n.path);
    if (c !== null) {
      throw new EngineError(atOrigin(effect.origin, `refusing to save ${conflictWords(c)} the input model ${n.path}: it would be destroyed`), effect.origin);
    }
  }
}

/** The statistics passes a save takes before writing: its global-scope nodes, in the order they run. */
function statsScopes(ctx: RunContext, nodes: readonly GraphNode[], tensors: readonly FamilyTensor[]): StatsScope[] {
  const scopes: StatsScope[] = [];
  for (const n of nodes) {
    const b = ctx.bound.get(n.id);
    if (!b || !b.hasStats || b.scope !== "global") continue;
    const floats = (ctx.layout ? ctx.layout.tensors(n.id) : tensors).filter((t) => t.float);
    const elements = floats.reduce((a, t) => a + t.numel, 0);
    const passes = countStatsPasses(b.kernel, uniformScopeParams(b, floats), elements, b.inputCount);
    if (passes > 0) scopes.push({ node: n.id, name: b.name, elements, passes });
  }
  return scopes;
}

/** transformers writes the local folder a model was saved from into config.json: named, not located, in a published merge. */
function publicNameOverride(config: Record<string, unknown> | null, effect: SaveEffect): Record<string, unknown> {
  const name = config?.["_name_or_path"];
  return typeof name === "string" && isAbsolute(name) ? { _name_or_path: publicPath(name, dirname(effect.recipe.file)) } : {};
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
