/**
 * Evaluating the graph for one tensor, chunk by chunk. A tensor up to `maxChunkElements` is one
 * chunk: its inputs are read once and kept while the tensor-scope statistics run over them in
 * memory. A larger tensor is cut into row-aligned chunks; its tensor-scope statistics then take
 * passes over the chunks (`prepare`) before any chunk is produced, and only one chunk of every node
 * is alive at a time.
 */
import type { Graph, LoadNode, NodeId } from "../graph/graph.js";
import { dtypeSize } from "../io/index.js";
import type { ChunkInputs, KernelContext } from "../methods/method.js";
import type { BoundNode } from "./bound-node.js";
import type { BufferPool } from "./buffer-pool.js";
import { EngineAbortedError, EngineError, atOrigin } from "./errors.js";
import { sameNameNodes } from "./graph-walk.js";
import { weightedSumInto } from "./kernels/elementwise.js";
import type { Scratch } from "./kernels/scratch.js";
import type { FamilyTensor, ModelSet } from "./model-set.js";
import type { Parallel } from "./parallel/parallel.js";
import { StatsRunner } from "./stats-runner.js";
import type { TensorLayout } from "./tensor-layout.js";

export interface RunContext {
  graph: Graph;
  models: ModelSet;
  /** The merge and delta-operation nodes, bound to kernels. */
  bound: Map<NodeId, BoundNode>;
  /** Statistics of the global-scope nodes, once computed. */
  globalStats: Map<NodeId, unknown>;
  pool: BufferPool;
  scratch: Scratch;
  maxChunkElements: number;
  signal: AbortSignal | undefined;
  counters: { bytesRead: number };
  /** Splits kernel work between the main thread and the workers. */
  parallel: Parallel;
  /** Every node's tensor list, when the graph stacks layers (stack nodes read other tensor names). */
  layout?: TensorLayout | null;
}

export interface ChunkRange {
  start: number;
  count: number;
}

/** Elements per row: the product of the dimensions after the first (the whole tensor when 1-D). */
export function rowLength(shape: readonly number[], numel: number): number {
  return shape.length >= 2 && shape[0]! > 0 ? numel / shape[0]! : Math.max(1, numel);
}

/** Row-aligned element ranges of at most `maxElements` (one empty range for an empty tensor). */
export function chunkRanges(shape: readonly number[], numel: number, maxElements: number): ChunkRange[] {
  if (numel <= maxElements) return [{ start: 0, count: numel }];
  const row = shape.length >= 2 ? rowLength(shape, numel) : 1;
  const step = row <= maxElements ? Math.floor(maxElements / row) * row : maxElements;
  const out: ChunkRange[] = [];
  for (let s = 0; s < numel; s += step) out.push({ start: s, count: Math.min(step, numel - s) });
  return out;
}

export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EngineAbortedError();
}

export class TensorRun {
  readonly chunks: ChunkRange[];
  private readonly stats = new Map<NodeId, unknown>();
  private cache = new Map<NodeId, Float32Array>();
  /** Per stack node: the run of the tensor it copies for this one (same shape, same chunks). */
  private readonly stackRuns = new Map<NodeId, { run: TensorRun; node: NodeId }>();
  private current = -1;
  private readonly kctx: KernelContext;

  constructor(
    private readonly ctx: RunContext,
    readonly tensor: FamilyTensor,
    private readonly prefetch: Prefetch | null = null,
  ) {
    this.chunks = chunkRanges(tensor.shape, tensor.numel, ctx.maxChunkElements);
    this.kctx = { scratch: ctx.scratch, tensor: tensor.name };
  }

  get single(): boolean {
    return this.chunks.length === 1;
  }

  /**
   * For a tensor in several chunks: the tensor-scope statistics of every node under `roots`, inner
   * nodes first, each by passes over all chunks. (A single chunk computes them in memory, lazily.)
   */
  async prepare(roots: readonly NodeId[]): Promise<void> {
    if (this.single) return;
    for (const node of sameNameNodes(this.ctx.graph, roots)) {
      if (node.kind === "stack") {
        const { run, node: source } = this.stackRun(node.id);
        await run.prepare([source]);
        continue;
      }
      const b = this.ctx.bound.get(node.id);
      if (!b || !b.hasStats || b.scope !== "tensor" || this.stats.has(node.id)) continue;
      const params = b.params(this.tensor.name);
      const session = new StatsRunner(b.kernel, params, this.tensor.numel, b.inputCount);
      while (session.needsPass) {
        for (let c = 0; c < this.chunks.length; c++) {
          await this.ctx.parallel.accumulate(session, b.kernel, params, await this.inputsOf(b, c), this.kctx);
        }
        session.endPass();
      }
      this.stats.set(node.id, session.result());
    }
    this.release();
  }

  /** The inputs of a bound node for chunk `c` (valid until another chunk is evaluated). */
  async inputsOf(b: BoundNode, c: number): Promise<ChunkInputs> {
    const inputs: Float32Array[] = [];
    for (const id of b.inputs) inputs.push(await this.evaluate(id, c));
    const base = b.base === null ? null : await this.evaluate(b.base, c);
    const { start, count } = this.chunks[c]!;
    return { inputs, base, length: count, offset: start, rowLength: rowLength(this.tensor.shape, this.tensor.numel) };
  }

  /** Node `id`'s values for chunk `c` (valid until another chunk is evaluated or `release`). */
  async evaluate(id: NodeId, c: number): Promise<Float32Array> {
    if (c !== this.current) {
      this.release();
      this.current = c;
      checkAborted(this.ctx.signal);
    }
    const hit = this.cache.get(id);
    if (hit) return hit;
    const node = this.ctx.graph.nodes[id]!;
    const { start, count } = this.chunks[c]!;
    let out: Float32Array;
    if (node.kind === "load") {
      out = await this.read(node, start, count);
    } else if (node.kind === "affine") {
      const inputs: Float32Array[] = [];
      for (const t of node.terms) inputs.push(await this.evaluate(t.node, c));
      out = this.ctx.pool.acquire(count);
      weightedSumInto(inputs, node.terms.map((t) => t.coef), out, count);
    } else if (node.kind === "stack") {
      // A copy: the source's buffer belongs to the source run's cache.
      const { run, node: source } = this.stackRun(id);
      const values = await run.evaluate(source, c);
      out = this.ctx.pool.acquire(count);
      out.set(values.subarray(0, count));
    } else {
      const b = this.ctx.bound.get(id)!;
      const chunk = await this.inputsOf(b, c);
      const params = b.params(this.tensor.name);
      out = this.ctx.pool.acquire(count);
      try {
        const stats = b.hasStats ? await this.statsFor(b, chunk, params) : null;
        await this.ctx.parallel.apply(b.kernel, params, stats, chunk, out, this.kctx);
      } catch (e) {
        this.ctx.pool.release(out);
        throw b.error(`${b.name} failed on tensor "${this.tensor.name}": ${(e as Error).message}`, this.tensor.name);
      }
    }
    this.cache.set(id, out);
    return out;
  }

  /** Returns every cached chunk to the pool. */
  release(): void {
    for (const buf of this.cache.values()) this.ctx.pool.release(buf);
    this.cache = new Map();
    this.current = -1;
    for (const s of this.stackRuns.values()) s.run.release();
  }

  /** The run of the tensor stack node `id` reads for this one. */
  private stackRun(id: NodeId): { run: TensorRun; node: NodeId } {
    let entry = this.stackRuns.get(id);
    if (!entry) {
      if (!this.ctx.layout) throw new Error(`engine: node ${id} stacks layers but the run has no tensor layout`);
      const src = this.ctx.layout.stackSource(id, this.tensor.name);
      entry = { run: new TensorRun(this.ctx, src.tensor), node: src.node };
      this.stackRuns.set(id, entry);
    }
    return entry;
  }

  private async statsFor(b: BoundNode, chunk: ChunkInputs, params: unknown): Promise<unknown> {
    const id = b.node.id;
    if (b.scope === "global") {
      if (!this.ctx.globalStats.has(id)) throw new Error(`engine: global statistics of node ${id} were not computed`);
      return this.ctx.globalStats.get(id);
    }
    if (this.stats.has(id)) return this.stats.get(id);
    if (!this.single) throw new Error(`engine: tensor statistics of node ${id} were not prepared`);
    // One chunk: the inputs are in memory, so every pass runs over them without reading again.
    const session = new StatsRunner(b.kernel, params, this.tensor.numel, b.inputCount);
    while (session.needsPass) {
      await this.ctx.parallel.accumulate(session, b.kernel, params, chunk, this.kctx);
      session.endPass();
    }
    const result = session.result();
    this.stats.set(id, result);
    return result;
  }

  private read(load: LoadNode, start: number, count: number): Promise<Float32Array> {
    const ahead = start === 0 && count === this.tensor.numel ? this.prefetch?.take(load.id) : undefined;
    return ahead ?? readInput(this.ctx, load, this.tensor.name, start, count);
  }
}

/** Elements [start, start + count) of a model's tensor as float32, in a pool buffer. */
async function readInput(ctx: RunContext, load: LoadNode, tensor: string, start: number, count: number): Promise<Float32Array> {
  const reader = ctx.models.reader(load);
  const buf = ctx.pool.acquire(count);
  try {
    await reader.readF32Into(tensor, buf, start, count);
  } catch (e) {
    ctx.pool.release(buf);
    if (e instanceof EngineError) throw e;
    throw new EngineError(atOrigin(load.origin, (e as Error).message), load.origin, tensor);
  }
  ctx.counters.bytesRead += count * dtypeSize(reader.tensor(tensor).dtype);
  return buf;
}

/** Tensors up to this many elements have their inputs read ahead, while the previous one computes. */
export const PREFETCH_MAX_ELEMENTS = 1 << 24;

/** Reads of a whole tensor's inputs, started ahead of its evaluation. */
export class Prefetch {
  private readonly reads = new Map<NodeId, Promise<Float32Array>>();

  constructor(
    private readonly ctx: RunContext,
    tensor: FamilyTensor,
    loads: readonly LoadNode[],
  ) {
    for (const load of loads) {
      const read = readInput(ctx, load, tensor.name, 0, tensor.numel);
      read.catch(() => undefined); // reported when taken; never an unhandled rejection
      this.reads.set(load.id, read);
    }
  }

  /** Whether a tensor's inputs are worth reading ahead (one chunk, not too large). */
  static worthIt(ctx: RunContext, tensor: FamilyTensor): boolean {
    return tensor.float && tensor.numel <= Math.min(PREFETCH_MAX_ELEMENTS, ctx.maxChunkElements);
  }

  take(id: NodeId): Promise<Float32Array> | undefined {
    const read = this.reads.get(id);
    this.reads.delete(id);
    return read;
  }

  /** Returns the buffers nobody took to the pool. */
  async discard(): Promise<void> {
    const left = [...this.reads.values()];
    this.reads.clear();
    for (const read of left) {
      try {
        this.ctx.pool.release(await read);
      } catch {
        // the read failed: nothing to release
      }
    }
  }
}
