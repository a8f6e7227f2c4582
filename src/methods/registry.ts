/**
 * Method kernels by name and backend, like TensorFlow.js's kernel registry: one method, one kernel
 * per backend. The CPU kernels are registered here; another backend registers its own.
 */
import { arceeFusionKernel } from "./arcee-fusion.js";
import { breadcrumbsKernel } from "./breadcrumbs.js";
import { dareKernel } from "./dare.js";
import { dellaKernel } from "./della.js";
import { disjointMeanKernel } from "./disjoint-mean.js";
import { electKernel } from "./elect.js";
import { linearKernel } from "./linear.js";
import type { AnyMethodKernel, MethodKernel } from "./method.js";
import { isoCKernel, isoCtsKernel } from "./iso.js";
import { karcherKernel } from "./karcher.js";
import { modelStockKernel } from "./model-stock.js";
import { multislerpKernel } from "./multislerp.js";
import { nearswapKernel } from "./nearswap.js";
import { nuslerpKernel } from "./nuslerp.js";
import { passthroughKernel } from "./passthrough.js";
import { pcbKernel } from "./pcb.js";
import { ramKernel } from "./ram.js";
import { sceKernel } from "./sce.js";
import { slerpKernel } from "./slerp.js";
import { taskArithmeticKernel } from "./task-arithmetic.js";
import { tiesKernel } from "./ties.js";
import { trimKernel } from "./trim.js";
import { tsvKernel } from "./tsv.js";

const kernels = new Map<string, AnyMethodKernel>();

const key = (name: string, backend: string): string => `${backend}\u0000${name}`;

/** Registers (or replaces) the kernel of `kernel.name` for `kernel.backend`. */
export function registerKernel<P, S>(kernel: MethodKernel<P, S>): void {
  kernels.set(key(kernel.name, kernel.backend), kernel as AnyMethodKernel);
}

export function getKernel(name: string, backend = "cpu"): AnyMethodKernel | undefined {
  return kernels.get(key(name, backend));
}

/** Names with a kernel for `backend`, sorted. */
export function kernelNames(backend = "cpu"): string[] {
  return [...kernels.values()].filter((k) => k.backend === backend).map((k) => k.name).sort();
}

const builtIn = [
  linearKernel,
  taskArithmeticKernel,
  tiesKernel,
  pcbKernel,
  dareKernel,
  breadcrumbsKernel,
  dellaKernel,
  slerpKernel,
  modelStockKernel,
  nuslerpKernel,
  multislerpKernel,
  karcherKernel,
  sceKernel,
  nearswapKernel,
  arceeFusionKernel,
  ramKernel,
  passthroughKernel,
  tsvKernel,
  isoCKernel,
  isoCtsKernel,
  trimKernel,
  electKernel,
  disjointMeanKernel,
];
for (const k of builtIn) registerKernel<unknown, unknown>(k as AnyMethodKernel);
