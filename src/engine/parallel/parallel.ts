/**
 * Splitting a kernel's work on one chunk between the main thread and the workers: `apply` by
 * element ranges (each element depends only on its own inputs and the statistics), statistics
 * passes by ranges whose histograms are added up. Both give the same bits as one thread. Small
 * chunks, and chunks not in shared memory, run on the main thread.
 */
import type { AnyMethodKernel, ChunkInputs, KernelContext } from "../../methods/method.js";
import { BLOCK } from "../kernels/elementwise.js";
import type { StatsRunner } from "../stats-runner.js";
import { chunkRef, isShared, toShared } from "./protocol.js";
import { applyRange } from "./range-work.js";
import type { WorkerPool } from "./worker-pool.js";

/** Chunks smaller than this run on one thread (a message round trip costs tens of microseconds). */
export const PARALLEL_MIN_ELEMENTS = 1 << 17;

/** `parts` ranges covering [0, length), cut at multiples of `unit` (BLOCK, or a row). */
export function splitRange(length: number, parts: number, unit = BLOCK): [number, number][] {
  const units = Math.ceil(length / unit);
  const out: [number, number][] = [];
  for (let p = 0; p < parts; p++) {
    const s = Math.min(length, Math.round((units * p) / parts) * unit);
    const e = Math.min(length, Math.round((units * (p + 1)) / parts) * unit);
    if (e > s) out.push([s, e]);
  }
  return out;
}

export class Parallel {
  constructor(readonly pool: WorkerPool | null) {}

  get threads(): number {
    return (this.pool?.size ?? 0) + 1;
  }

  private worthIt(chunk: ChunkInputs, extra: Float32Array[] = []): boolean {
    return (
      this.pool !== null &&
      this.pool.size > 0 &&
      chunk.length >= PARALLEL_MIN_ELEMENTS &&
      chunk.inputs.every(isShared) &&
      (chunk.base === null || isShared(chunk.base)) &&
      extra.every(isShared)
    );
  }

  async apply(
    kernel: AnyMethodKernel,
    params: unknown,
    stats: unknown,
    chunk: ChunkInputs,
    out: Float32Array,
    ctx: KernelContext,
  ): Promise<void> {
    if (!this.worthIt(chunk, [out])) {
      kernel.apply(params, stats, chunk, out, ctx);
      return;
    }
    const pool = this.pool!;
    const [mine, ...theirs] = splitRange(chunk.length, this.threads, kernel.rowwise ? chunk.rowLength : BLOCK);
    const ref = chunkRef(chunk);
    const sharedOut = toShared(out);
    const done = theirs.map(([start, end], i) =>
      pool.run(i, {
        kind: "apply",
        kernel: kernel.name,
        backend: kernel.backend,
        params,
        stats,
        chunk: ref,
        out: sharedOut,
        start,
        end,
        tensor: ctx.tensor,
      }),
    );
    try {
      applyRange(kernel, params, stats, chunk, out, mine![0], mine![1], ctx);
    } finally {
      await Promise.allSettled(done);
    }
    await Promise.all(done);
  }

  async accumulate(
    runner: StatsRunner,
    kernel: AnyMethodKernel,
    params: unknown,
    chunk: ChunkInputs,
    ctx: KernelContext,
  ): Promise<void> {
    if (!this.worthIt(chunk) || !runner.parallelizable) {
      runner.accumulate(chunk, ctx);
      return;
    }
    const pool = this.pool!;
    const [mine, ...theirs] = splitRange(chunk.length, this.threads);
    const ref = chunkRef(chunk);
    const pass = runner.passInfo();
    const done = theirs.map(([start, end], i) =>
      pool.run(i, { kind: "count", kernel: kernel.name, backend: kernel.backend, params, pass, chunk: ref, start, end, tensor: ctx.tensor }),
    );
    try {
      runner.accumulate(chunk, ctx, mine![0], mine![1]);
    } finally {
      await Promise.allSettled(done);
    }
    const replies = await Promise.all(done);
    replies.forEach((r, i) => runner.addCounts(r.counts!, theirs[i]![1] - theirs[i]![0]));
  }
}
