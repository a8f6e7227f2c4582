/** Merge-method kernels: the backend-neutral interface and the registry of CPU kernels. */
export type {
  MethodKernel,
  AnyMethodKernel,
  ChunkInputs,
  KernelContext,
  StatsSpec,
  SeriesSelection,
  StageResults,
} from "./method.js";
export { registerKernel, getKernel, kernelNames } from "./registry.js";
export { ParamError } from "./param-reader.js";
