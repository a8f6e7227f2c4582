/**
 * Registers the tfjs kernels in the method registry under backend "tfjs" (importing this module is
 * enough). Methods without one (dare, breadcrumbs, della, slerp, model_stock) run their CPU kernel
 * on the host when a graph is evaluated through TensorFlow.js.
 */
import { getKernel, kernelNames, registerKernel } from "../registry.js";
import { disjointMeanTfjsKernel } from "./disjoint-mean.js";
import { electTfjsKernel } from "./elect.js";
import { type AnyTfjsKernel, isTfjsKernel } from "./kernel.js";
import { linearTfjsKernel } from "./linear.js";
import { pcbTfjsKernel } from "./pcb.js";
import { taskArithmeticTfjsKernel } from "./task-arithmetic.js";
import { tiesTfjsKernel } from "./ties.js";
import { trimTfjsKernel } from "./trim.js";

export const TFJS_BACKEND = "tfjs";

const builtIn = [
  linearTfjsKernel,
  taskArithmeticTfjsKernel,
  tiesTfjsKernel,
  pcbTfjsKernel,
  trimTfjsKernel,
  electTfjsKernel,
  disjointMeanTfjsKernel,
];
for (const k of builtIn) registerKernel<unknown, unknown>(k as unknown as AnyTfjsKernel);

/** The tfjs kernel of a method, or undefined when it has none. */
export function getTfjsKernel(name: string): AnyTfjsKernel | undefined {
  const k = getKernel(name, TFJS_BACKEND);
  return isTfjsKernel(k) ? k : undefined;
}

/** Methods with a tfjs kernel, sorted. */
export function tfjsKernelNames(): string[] {
  return kernelNames(TFJS_BACKEND);
}
