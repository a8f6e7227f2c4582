/** The streaming CPU engine as a backend: typed arrays, radix-select statistics, worker threads. */
import { computeGlobalStats } from "../engine/global-stats.js";
import { TensorRun } from "../engine/tensor-run.js";
import type { Backend } from "./backend.js";

export const cpuBackend: Backend = {
  device: "cpu",
  description: "the CPU engine",
  usesWorkers: true,
  beginSave(ctx) {
    return Promise.resolve({
      computeGlobalStats: (order, tensors, report) => computeGlobalStats(ctx, order, tensors, report),
      tensorRun: (tensor, prefetch) => new TensorRun(ctx, tensor, prefetch),
      end: () => undefined,
    });
  },
};

/** The CPU engine, with a description that says why it was chosen (for `--device auto`). */
export function cpuBackendBecause(reason: string): Backend {
  return { ...cpuBackend, description: `the CPU engine (${reason})` };
}
