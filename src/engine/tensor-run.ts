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
import { postOrder } from "./graph-walk.js";
import { weightedSumInto } from "./kernels/elementwise.js";
import type { Scratch } from "./kernels/scratch.js";
import type { FamilyTensor, ModelSet } from "./model-set.js";
import { StatsRunner } from "./stats-runner.js";

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
}

export interface ChunkRange {
  start: number;
  count: number;
}

/** Row-aligned element ranges of at most `maxElements` (one empty range for an empty tensor). */
export function chunkRanges(shape: readonly number[], numel: number, maxElements: number): ChunkRange[] {
  if (numel <= maxElements) return [{ start: 0, count: numel }];
  const row = shape.length >= 2 ? numel / shape[0]! : 1;
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
  private current = -1;
  private readonly kctx: KernelContext;

  constructor(
    private readonly ctx: RunContext,
    readonly tensor: FamilyTensor,
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
    for (const node of postOrder(this.ctx.graph, roots)) {
      const b = this.ctx.bound.get(node.id);
      if (!b || !b.hasStats || b.scope !== "tensor" || this.stats.has(node.id)) continue;
      const session = new StatsRunner(b.kernel, b.params(this.tensor.name), this.tensor.numel, b.inputCount);
      while (session.needsPass) {
        for (let c = 0; c < this.chunks.length; c++) session.accumulate(await this.inputsOf(b, c), this.kctx);
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
    return { inputs, base, length: this.chunks[c]!.count };
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
    } else {
      const b = this.ctx.bound.get(id)!;
      const chunk = await this.inputsOf(b, c);
      const params = b.params(this.tensor.name);
      const stats = b.hasStats ? this.statsFor(b, chunk, params) : null;
      out = this.ctx.pool.acquire(count);
      try {
        b.kernel.apply(params, stats, chunk, out, this.kctx);
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
  }

  private statsFor(b: BoundNode, chunk: ChunkInputs, params: unknown): unknown {
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
      session.accumulate(chunk, this.kctx);
      session.endPass();
    }
    const result = session.result();
    this.stats.set(id, result);
    return result;
  }

  private async read(load: LoadNode, start: number, count: number): Promise<Float32Array> {
    const reader = this.ctx.models.reader(load);
    const buf = this.ctx.pool.acquire(count);
    try {
      await reader.readF32Into(this.tensor.name, buf, start, count);
    } catch (e) {
      this.ctx.pool.release(buf);
      if (e instanceof EngineError) throw e;
      throw new EngineError(atOrigin(load.origin, (e as Error).message), load.origin, this.tensor.name);
    }
    this.ctx.counters.bytesRead += count * dtypeSize(reader.tensor(this.tensor.name).dtype);
    return buf;
  }
}
