/**
 * One save evaluated through TensorFlow.js: every merge and delta operation bound to its tfjs
 * kernel (or, without one, to its CPU kernel on the host, with a note), chunks sized to the device
 * memory budget, the global statistics by passes over the model on the device, and no tensor left
 * behind when the save ends.
 */
import type { GraphNode, NodeId } from "../../graph/graph.js";
import type { BoundNode } from "../../engine/bound-node.js";
import { uniformScopeParams } from "../../engine/global-stats.js";
import type { FamilyTensor } from "../../engine/model-set.js";
import type { Prefetch, RunContext } from "../../engine/tensor-run.js";
import type { AnyTfjsKernel } from "../../methods/tfjs/kernel.js";
import { getTfjsKernel } from "../../methods/tfjs/registry.js";
import type { SaveBackend, StatsProgress } from "../backend.js";
import { DeviceTensorRun } from "./device-run.js";
import { AFFINE_TEMPS, HISTOGRAM_TEMPS, chunkElementsForBudget } from "./memory.js";
import { type DeviceStatsOptions, DeviceStatsRunner, HostStatsRunner, type StatsSession } from "./stats.js";

/** A merge or delta-operation node and what runs it: a tfjs kernel, or (null) its CPU kernel on the host. */
export interface DeviceNode {
  bound: BoundNode;
  kernel: AnyTfjsKernel | null;
}

export interface TfjsSaveOptions extends DeviceStatsOptions {
  deviceMemoryBytes: number;
  /** Said once per method that runs on the host. */
  note: (message: string) => void;
}

export class TfjsSave implements SaveBackend {
  readonly nodes = new Map<NodeId, DeviceNode>();
  private readonly live = new Set<DeviceTensorRun>();

  constructor(
    readonly ctx: RunContext,
    saveNodes: readonly GraphNode[],
    private readonly opts: TfjsSaveOptions,
  ) {
    let work = AFFINE_TEMPS;
    for (const [id, bound] of ctx.bound) {
      const kernel = getTfjsKernel(bound.name) ?? null;
      if (!kernel) {
        opts.note(
          `${bound.name} has no TensorFlow.js kernel: it runs on the CPU kernel, with its inputs copied from the device and its result copied back`,
        );
      }
      this.nodes.set(id, { bound, kernel });
      const n = bound.inputCount;
      work = Math.max(work, kernel ? kernel.steps.deviceTemps(n) + 1 : 1);
      if (kernel?.steps.seriesTemps) work = Math.max(work, kernel.steps.seriesTemps(n) + HISTOGRAM_TEMPS);
    }
    ctx.maxChunkElements = Math.min(ctx.maxChunkElements, chunkElementsForBudget(opts.deviceMemoryBytes, saveNodes, work));
  }

  statsSession(dn: DeviceNode, params: unknown, scopeSize: number, tensor: string): StatsSession {
    const n = dn.bound.inputCount;
    if (dn.kernel) return new DeviceStatsRunner(dn.kernel, params, scopeSize, n, this.opts);
    return new HostStatsRunner(dn.bound.kernel, params, scopeSize, n, { scratch: this.ctx.scratch, tensor });
  }

  async computeGlobalStats(
    order: readonly NodeId[],
    tensors: readonly FamilyTensor[],
    report: (p: StatsProgress) => void,
  ): Promise<void> {
    const floats = tensors.filter((t) => t.float);
    const total = floats.reduce((a, t) => a + t.numel, 0);
    for (const id of order) {
      const dn = this.nodes.get(id);
      if (!dn || !dn.bound.hasStats || dn.bound.scope !== "global") continue;
      const b = dn.bound;
      const params = uniformScopeParams(b, floats);
      const session = this.statsSession(dn, params, total, "(global)");
      const roots = b.base === null ? b.inputs : [...b.inputs, b.base];
      for (let pass = 1; session.needsPass; pass++) {
        let elementsDone = 0;
        for (let ti = 0; ti < floats.length; ti++) {
          const run = this.tensorRun(floats[ti]!, null);
          try {
            await run.prepare(roots);
            for (let c = 0; c < run.chunks.length; c++) await session.accumulate(await run.inputsOf(dn, c));
          } finally {
            run.release();
          }
          elementsDone += floats[ti]!.numel;
          report({ node: id, pass, tensorsDone: ti + 1, elementsDone });
        }
        session.endPass();
      }
      this.ctx.globalStats.set(id, session.result());
    }
  }

  tensorRun(tensor: FamilyTensor, prefetch: Prefetch | null): DeviceTensorRun {
    // Runs are sequential: the one before has finished (and holds nothing) when the next starts.
    this.releaseRuns();
    const run = new DeviceTensorRun(this, tensor, prefetch);
    this.live.add(run);
    return run;
  }

  /** Frees whatever a failed save left on the device (a finished run holds nothing). */
  end(): void {
    this.releaseRuns();
  }

  private releaseRuns(): void {
    for (const run of this.live) run.release();
    this.live.clear();
  }
}
