/** The streaming CPU engine: executes and plans execution graphs. */
export {
  executeGraph,
  DEFAULT_MAX_CHUNK_ELEMENTS,
  type ExecuteOptions,
  type ExecuteResult,
  type SaveResult,
  type EngineProgress,
} from "./executor.js";
export { planGraph, type GraphPlan, type SavePlan, type StatsPlan, type PlanOptions } from "./plan.js";
export { EngineError, EngineAbortedError } from "./errors.js";
export { applyMethod, applyNode } from "./in-memory.js";
export { OrderStatisticSelector, selectOrderStatistics, kthLargestMagnitude } from "./kernels/order-statistics.js";
export type { KeyMode } from "./kernels/float-keys.js";
