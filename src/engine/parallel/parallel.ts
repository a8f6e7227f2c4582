/**
 * Sharing a kernel's work on one chunk between the main thread and the workers: every thread takes
 * ranges of the chunk from a shared cursor until none are left (claims.ts). `apply` goes by element
 * ranges (each element depends only on its own inputs and the statistics), statistics passes by
 * ranges whose histograms are added up and whose block sums are added in block order, so that any
 * number of threads gives the bits of one. Inputs still in their stored 16-bit form are widened by
 * the thread that first takes each range (decode.ts). Small chunks, and chunks not in shared
 * memory, run on the main thread.
 */
import type { HalfDType } from "../../io/index.js";
import { type AnyMethodKernel, type ChunkInputs, type KernelContext, wholeTensorFor } from "../../methods/method.js";
import { BLOCK } from "../kernels/elementwise.js";
import { Scratch } from "../kernels/scratch.js";
import type { StatsRunner } from "../stats-runner.js";
import { grainOf, newClaims } from "./claims.js";
import { type PendingDecode, SEGMENT, decodeAll, encodeAll } from "./decode.js";
import { HistogramBuffers } from "./histogram-parts.js";
import { chunkRef, decodeRef, isShared, toShared } from "./protocol.js";
import { type Counts, applyClaims, countClaims, decodeClaims, encodeClaims } from "./range-work.js";
import type { TaskRequest, TaskSuccess, WorkerPool } from "./worker-pool.js";

/** Chunks smaller than this run on one thread (a message round trip costs tens of microseconds). */
export const PARALLEL_MIN_ELEMENTS = 1 << 17;

/**
 * Threads take a segment (decode.ts) at a time: small enough that they finish together, large
 * enough that taking one costs nothing, and the unit in which inputs are widened and outputs
 * rounded in place. A row-wise kernel's apply takes whole rows, about as many elements.
 */
const ROWWISE_GRAIN = SEGMENT;

type Buffers = Float32Array[];

function chunkBuffers(chunk: ChunkInputs): Buffers {
  return chunk.base === null ? [...chunk.inputs] : [...chunk.inputs, chunk.base];
}

function decodeBuffers(decodes: readonly PendingDecode[]): Buffers {
  return decodes.map((d) => d.dst);
}

export class Parallel {
  /** The main thread's series buffers for statistics passes (kernels use ctx.scratch). */
  private readonly series = new Scratch();
  private readonly hists = new HistogramBuffers();

  constructor(readonly pool: WorkerPool | null) {}

  get threads(): number {
    return (this.pool?.size ?? 0) + 1;
  }

  private worthIt(length: number, buffers: Buffers): boolean {
    return this.pool !== null && this.pool.size > 0 && length >= PARALLEL_MIN_ELEMENTS && buffers.every(isShared);
  }

  /**
   * `kernel.apply` on the chunk into `out`, widening `decodes` (inputs of the chunk) first, and with
   * `encode`, rounding `out` to that 16-bit dtype in place after (see decode.ts).
   */
  async apply(
    kernel: AnyMethodKernel,
    params: unknown,
    stats: unknown,
    chunk: ChunkInputs,
    out: Float32Array,
    ctx: KernelContext,
    decodes: readonly PendingDecode[] = [],
    encode: HalfDType | null = null,
  ): Promise<void> {
    if (wholeTensorFor(kernel, () => params) || !this.worthIt(chunk.length, [...chunkBuffers(chunk), out, ...decodeBuffers(decodes)])) {
      decodeAll(decodes);
      kernel.apply(params, stats, chunk, out, ctx);
      if (encode) encodeAll(encode, out);
      return;
    }
    // Rows need not line up with segments: a row-wise kernel's inputs are widened before, and its
    // output rounded after; other kernels do both range by range.
    const rowwise = kernel.rowwise === true;
    if (rowwise) await this.decode(decodes);
    const fusedDecodes = rowwise ? [] : decodes;
    const fusedEncode = rowwise ? null : encode;
    const claims = newClaims(chunk.length, rowwise ? grainOf(chunk.rowLength, ROWWISE_GRAIN) : SEGMENT);
    const task: TaskRequest = {
      kind: "apply",
      kernel: kernel.name,
      backend: kernel.backend,
      params,
      stats,
      chunk: chunkRef(chunk),
      out: toShared(out),
      tensor: ctx.tensor,
      claims,
      decodes: fusedDecodes.map(decodeRef),
      encode: fusedEncode,
    };
    await this.together(task, () => applyClaims(kernel, params, stats, chunk, out, fusedDecodes, fusedEncode, claims, ctx));
    if (rowwise && encode) await this.encode(encode, out);
  }

  /** Feeds the chunk to the runner's current pass, widening `decodes` (inputs of the chunk) first. */
  async accumulate(
    runner: StatsRunner,
    kernel: AnyMethodKernel,
    params: unknown,
    chunk: ChunkInputs,
    ctx: KernelContext,
    decodes: readonly PendingDecode[] = [],
  ): Promise<void> {
    if (!runner.parallelizable || !this.worthIt(chunk.length, [...chunkBuffers(chunk), ...decodeBuffers(decodes)])) {
      decodeAll(decodes);
      runner.accumulate(chunk, ctx);
      return;
    }
    const pass = runner.passInfo();
    const n = pass.passes.length;
    const summing = pass.passes.some((p) => p?.kind === "sum");
    const sums = summing ? new Float64Array(new SharedArrayBuffer(8 * n * Math.ceil(chunk.length / BLOCK))) : null;
    const claims = newClaims(chunk.length, SEGMENT);
    const task: TaskRequest = {
      kind: "count",
      kernel: kernel.name,
      backend: kernel.backend,
      params,
      pass,
      chunk: chunkRef(chunk),
      tensor: ctx.tensor,
      sums: sums ? toShared(sums) : null,
      claims,
      decodes: decodes.map(decodeRef),
    };
    const counted: Counts[] = [];
    const replies = await this.together(task, () => {
      counted.push(countClaims(kernel, params, pass, chunk, decodes, claims, ctx, this.series, this.hists, sums));
    });
    for (const c of [...counted, ...replies]) runner.addCounts(c.counts!, c.elements, c.kept);
    if (sums) runner.addBlockSums(sums);
  }

  /** Widens inputs still in their stored form (in place). */
  async decode(decodes: readonly PendingDecode[]): Promise<void> {
    if (decodes.length === 0) return;
    const length = decodes[0]!.dst.length;
    if (!this.worthIt(length, decodeBuffers(decodes)) || decodes.some((d) => d.dst.length !== length)) {
      decodeAll(decodes);
      return;
    }
    const claims = newClaims(length, SEGMENT);
    await this.together({ kind: "decode", claims, decodes: decodes.map(decodeRef) }, () => decodeClaims(decodes, claims));
  }

  /** Rounds `buf` to a 16-bit float dtype in place (into its segments' lower halves, see decode.ts). */
  async encode(dtype: HalfDType, buf: Float32Array): Promise<void> {
    if (!this.worthIt(buf.length, [buf])) {
      encodeAll(dtype, buf);
      return;
    }
    const claims = newClaims(buf.length, SEGMENT);
    await this.together({ kind: "encode", buf: toShared(buf), dtype, claims, decodes: [] }, () => encodeClaims(dtype, buf, claims));
  }

  /** Posts `task` to every worker, does the main thread's share meanwhile, then waits for them all. */
  private async together(task: TaskRequest, mine: () => void): Promise<TaskSuccess[]> {
    const done = this.pool!.broadcast(task);
    try {
      mine();
    } finally {
      await Promise.allSettled(done);
    }
    return Promise.all(done);
  }
}
