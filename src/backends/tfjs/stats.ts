/**
 * Statistics sessions over a scope fed with device chunks. The tfjs kernels' series are computed on
 * the device and counted there into the radix-select histograms (large chunks) or read back and
 * counted by the host selector (small chunks, and scopes small enough to be sorted); either way the
 * CPU engine's `OrderStatisticSelector` turns the counts into the exact order statistics, so the
 * thresholds follow the CPU engine's semantics to the bit. Kernels without a tfjs version run their
 * CPU statistics on the chunk read back to the host.
 */
import * as tf from "@tensorflow/tfjs-core";
import { BLOCK } from "../../engine/kernels/elementwise.js";
import { StagedStatistics, StatsRunner, slotDone, sumOf } from "../../engine/stats-runner.js";
import type { AnyMethodKernel, ChunkInputs, KernelContext } from "../../methods/method.js";
import type { AnyTfjsKernel, TensorChunk } from "../../methods/tfjs/kernel.js";
import { type SearchMethod, deviceHistogram } from "./histogram.js";

export interface StatsSession {
  readonly needsPass: boolean;
  /** Feeds one chunk of the scope to the current pass. */
  accumulate(chunk: TensorChunk): Promise<void>;
  endPass(): void;
  result(): unknown;
}

export interface DeviceStatsOptions {
  search: SearchMethod;
  /** Chunks shorter than this are read back and counted on the host (a histogram download is 256 KiB). */
  deviceHistogramMinElements: number;
}

export class DeviceStatsRunner extends StagedStatistics implements StatsSession {
  constructor(
    protected override readonly kernel: AnyTfjsKernel,
    params: unknown,
    scopeSize: number,
    inputCount: number,
    private readonly opts: DeviceStatsOptions,
  ) {
    super(kernel, params, scopeSize, inputCount);
    if (!kernel.steps.series) throw new Error(`${kernel.name} has no statistics`);
  }

  async accumulate(chunk: TensorChunk): Promise<void> {
    const series = tf.tidy(() => this.kernel.steps.series!(this.params, this.stage, this.earlier, chunk));
    try {
      for (let i = 0; i < this.slots.length; i++) {
        const slot = this.slots[i]!;
        if (slotDone(slot)) continue;
        const values = series[i]!;
        if (slot!.kind === "sum") {
          const host = (await values.data()) as Float32Array;
          for (let s = 0; s < chunk.length; s += BLOCK) slot!.sum += sumOf(host.subarray(s), Math.min(BLOCK, chunk.length - s));
          continue;
        }
        const selector = slot!.selector;
        const pass = selector.histogramPass();
        if (pass === null || chunk.length < this.opts.deviceHistogramMinElements) {
          selector.feed((await values.data()) as Float32Array, 0, chunk.length);
        } else {
          selector.addHistogram(await deviceHistogram(pass, values, this.opts.search), chunk.length);
        }
      }
    } finally {
      tf.dispose(series);
    }
  }
}

/** A chunk read back to the host (the arrays belong to tfjs: read them, never write). */
export async function downloadChunk(chunk: TensorChunk): Promise<ChunkInputs> {
  const inputs: Float32Array[] = [];
  for (const x of chunk.inputs) inputs.push((await x.data()) as Float32Array);
  const base = chunk.base ? ((await chunk.base.data()) as Float32Array) : null;
  return { inputs, base, length: chunk.length, offset: chunk.offset, rowLength: chunk.rowLength };
}

/** A CPU kernel's statistics over device chunks, counted on the host. */
export class HostStatsRunner implements StatsSession {
  private readonly runner: StatsRunner;

  constructor(kernel: AnyMethodKernel, params: unknown, scopeSize: number, inputCount: number, private readonly kctx: KernelContext) {
    this.runner = new StatsRunner(kernel, params, scopeSize, inputCount);
  }

  get needsPass(): boolean {
    return this.runner.needsPass;
  }

  async accumulate(chunk: TensorChunk): Promise<void> {
    this.runner.accumulate(await downloadChunk(chunk), this.kctx);
  }

  endPass(): void {
    this.runner.endPass();
  }

  result(): unknown {
    return this.runner.result();
  }
}
