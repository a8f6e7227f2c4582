/**
 * Evaluating the graph for one tensor, chunk by chunk. A tensor up to `maxChunkElements` is one
 * chunk: its inputs are read once and kept while the tensor-scope statistics run over them in
 * memory. A larger tensor is cut into row-aligned chunks; its tensor-scope statistics then take
 * passes over the chunks (`prepare`) before any chunk is produced, and only one chunk of every node
 * is alive at a time. With worker threads, 16-bit inputs are read as stored and widened by the
 * first parallel operation that reads them (parallel/decode.ts).
 */
import type { Graph, LoadNode, NodeId } from "../graph/graph.js";
import type { HalfDType } from "../io/index.js";
import { type ChunkInputs, type KernelContext, wholeTensorFor } from "../methods/method.js";
import type { BoundNode } from "./bound-node.js";
import type { BufferPool } from "./buffer-pool.js";
import { EngineAbortedError, EngineError, atOrigin } from "./errors.js";
import { sameNameNodes } from "./graph-walk.js";
import { weightedSumInto } from "./kernels/elementwise.js";
import type { Scratch } from "./kernels/scratch.js";
import type { FamilyTensor, ModelSet } from "./model-set.js";
import { type PendingDecode, decodeCopy } from "./parallel/decode.js";
import type { Parallel } from "./parallel/parallel.js";
import type { Prefetch } from "./prefetch.js";
import { StatsRunner } from "./stats-runner.js";
import { readStored } from "./stored-input.js";
import { NonFiniteInputError, type ReadRange, checkFiniteValues } from "./finite-inputs.js";
import type { TensorLayout } from "./tensor-layout.js";

export type { Prefetch } from "./prefetch.js";

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
  /** Inputs may hold NaN and ±Inf (save's allow_nonfinite); by default they are an error. */
  allowNonFinite?: boolean;
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

/**
 * The chunk size limit of a run, or of one of its tensors: none when a method needs whole tensors
 * (the SVD-based ones; nuslerp per column on that tensor).
 */
export function chunkLimit(ctx: Pick<RunContext, "bound" | "maxChunkElements">, tensor?: string): number {
  for (const b of ctx.bound.values()) if (wholeTensorFor(b.kernel, tensor === undefined ? undefined : () => b.params(tensor))) return Number.POSITIVE_INFINITY;
  return ctx.maxChunkElements;
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
  /** Load buffers that still hold their stored 16-bit bits (see parallel/decode.ts), by buffer. */
  private readonly pending = new Map<Float32Array, PendingDecode>();
  /** Buffers rounded to 16 bits in place (see `evaluate`). */
  private readonly rounded = new Set<Float32Array>();
  /** Pending loads whose widening checks for NaN and ±Inf, with what the refusal names. */
  private readonly checks = new Map<Float32Array, { load: LoadNode; range: ReadRange }>();

  constructor(
    private readonly ctx: RunContext,
    readonly tensor: FamilyTensor,
    private readonly prefetch: Prefetch | null = null,
  ) {
    this.chunks = chunkRanges(tensor.shape, tensor.numel, chunkLimit(ctx, tensor.name));
    this.kctx = { scratch: ctx.scratch, tensor: tensor.name, shape: tensor.shape };
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
        for (let c = 0; c < this.chunks.length; c++) await this.accumulate(session, b, params, c);
        session.endPass();
      }
      this.stats.set(node.id, session.result());
    }
    this.release();
  }

  /** Feeds chunk `c` of a bound node's inputs to a statistics pass, widening stored inputs on the way. */
  async accumulate(session: StatsRunner, b: BoundNode, params: unknown, c: number): Promise<void> {
    const chunk = await this.storedInputsOf(b, c);
    const decodes = this.decodesOf(chunkBuffers(chunk));
    await this.ctx.parallel.accumulate(session, b.kernel, params, chunk, this.kctx, decodes);
    this.widened(decodes);
  }

  /**
   * Node `id`'s values for chunk `c` (valid until another chunk is evaluated or `release`). With
   * `roundTo`, they come rounded to that 16-bit dtype in place instead, for the writer (the lower
   * halves of the buffer's segments, see parallel/decode.ts; the computing threads round each range
   * as they finish it): the float values are gone then.
   */
  async evaluate(id: NodeId, c: number, roundTo: HalfDType | null = null): Promise<Float32Array> {
    const values = await this.value(id, c, roundTo);
    await this.widen([values]);
    if (roundTo && !this.rounded.has(values)) {
      await this.ctx.parallel.encode(roundTo, values);
      this.rounded.add(values);
    }
    return values;
  }

  /**
   * The inputs of a bound node for chunk `c` (valid until another chunk is evaluated); loads may
   * still hold stored bits (see `pending`): the parallel operation that reads them widens them.
   */
  private async storedInputsOf(b: BoundNode, c: number): Promise<ChunkInputs> {
    // The models' reads run at once rather than one after the other.
    const loads = [...new Set(b.base === null ? b.inputs : [...b.inputs, b.base])].filter((id) => this.ctx.graph.nodes[id]!.kind === "load");
    await Promise.all(loads.map((id) => this.value(id, c)));
    const inputs: Float32Array[] = [];
    for (const id of b.inputs) inputs.push(await this.value(id, c));
    const base = b.base === null ? null : await this.value(b.base, c);
    const { start, count } = this.chunks[c]!;
    return { inputs, base, length: count, offset: start, rowLength: rowLength(this.tensor.shape, this.tensor.numel) };
  }

  /**
   * Like `evaluate`, but a load's buffer may still hold stored bits (see `pending`); a merge computed
   * now with `roundTo` comes rounded.
   */
  private async value(id: NodeId, c: number, roundTo: HalfDType | null = null): Promise<Float32Array> {
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
      const chunk = await this.storedInputsOf(b, c);
      const params = b.params(this.tensor.name);
      let result: Float32Array | null = null;
      try {
        // Statistics passes widen the stored inputs as they go; what is left, apply widens. The
        // output is taken from the pool only now: buffers still being written may be back by then.
        const stats = b.hasStats ? await this.statsFor(b, chunk, params) : null;
        const decodes = this.decodesOf(chunkBuffers(chunk));
        result = await this.ctx.pool.acquireSoon(count);
        await this.ctx.parallel.apply(b.kernel, params, stats, chunk, result, this.kctx, decodes, roundTo);
        this.widened(decodes);
        if (roundTo) this.rounded.add(result);
      } catch (e) {
        if (result) this.ctx.pool.release(result);
        if (e instanceof NonFiniteInputError) throw e; // names the model, not the merge
        throw b.error(`${b.name} failed on tensor "${this.tensor.name}": ${(e as Error).message}`, this.tensor.name);
      }
      out = result;
    }
    this.cache.set(id, out);
    return out;
  }

  /** Returns every cached chunk to the pool. */
  release(): void {
    this.pending.clear();
    this.checks.clear();
    this.rounded.clear();
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
    // One chunk: the inputs are in memory, so every pass runs over them without reading again
    // (the first one widens what is still stored).
    const session = new StatsRunner(b.kernel, params, this.tensor.numel, b.inputCount);
    while (session.needsPass) {
      const decodes = this.decodesOf(chunkBuffers(chunk));
      const sample = sampler(chunk, decodes);
      session.narrow((start, end) => ({ chunk: sample(start, end), ctx: this.kctx }));
      await this.ctx.parallel.accumulate(session, b.kernel, params, chunk, this.kctx, decodes);
      this.widened(decodes);
      session.endPass();
    }
    const result = session.result();
    this.stats.set(id, result);
    return result;
  }

  /** The pending widenings of those of `buffers` that still hold stored bits. */
  private decodesOf(buffers: readonly Float32Array[]): PendingDecode[] {
    const out: PendingDecode[] = [];
    for (const buf of new Set(buffers)) {
      const p = this.pending.get(buf);
      if (p) out.push(p);
    }
    return out;
  }

  /** Marks inputs widened, refusing those the widening found NaN or ±Inf in (unless allowed). */
  private widened(decodes: readonly PendingDecode[]): void {
    for (const d of decodes) {
      this.pending.delete(d.dst);
      const check = this.checks.get(d.dst);
      this.checks.delete(d.dst);
      if (check && d.nonFinite && Atomics.load(d.nonFinite, 0) !== 0) checkFiniteValues(false, check.load, this.tensor.name, d.dst, check.range);
    }
  }

  private async widen(buffers: readonly Float32Array[]): Promise<void> {
    const decodes = this.decodesOf(buffers);
    await this.ctx.parallel.decode(decodes);
    this.widened(decodes);
  }

  private async read(load: LoadNode, start: number, count: number): Promise<Float32Array> {
    const ahead = start === 0 && count === this.tensor.numel ? this.prefetch?.takeStored(load.id) : undefined;
    const input = await (ahead ?? readStored(this.ctx, load, this.tensor.name, start, count));
    if (input.stored) {
      const nonFinite = this.ctx.allowNonFinite ? null : new Int32Array(new SharedArrayBuffer(4));
      this.pending.set(input.values, { dst: input.values, dtype: input.stored, nonFinite });
      if (nonFinite) this.checks.set(input.values, { load, range: input.range });
    }
    return input.values;
  }
}

function chunkBuffers(chunk: ChunkInputs): Float32Array[] {
  return chunk.base === null ? [...chunk.inputs] : [...chunk.inputs, chunk.base];
}

/**
 * Elements [start, end) of a chunk as a chunk of their own, for a sample: views, or widened copies
 * (in buffers reused from call to call) of inputs still stored.
 */
function sampler(chunk: ChunkInputs, decodes: readonly PendingDecode[]): (start: number, end: number) => ChunkInputs {
  const pending = new Map(decodes.map((d) => [d.dst, { decode: d, copy: new Float32Array(0) }]));
  return (start, end) => {
    const part = (x: Float32Array): Float32Array => {
      const p = pending.get(x);
      if (!p) return x.subarray(start, end);
      if (p.copy.length < end - start) p.copy = new Float32Array(end - start);
      const copy = p.copy.subarray(0, end - start);
      decodeCopy(p.decode, start, end, copy);
      return copy;
    };
    return {
      inputs: chunk.inputs.map(part),
      base: chunk.base === null ? null : part(chunk.base),
      length: end - start,
      offset: chunk.offset + start,
      rowLength: chunk.rowLength,
    };
  };
}
