/**
 * The seam between the executor and what evaluates tensors. The executor owns the graph walk over
 * effects, the model readers and the atomic writer; a backend owns, for one save, the whole-model
 * statistics of global-scope nodes and the evaluation of each tensor chunk by chunk. The CPU engine
 * (typed arrays, worker threads) is one backend; TensorFlow.js (any tfjs backend: cpu, wasm, the
 * tensorflow GPU binding) is the other.
 */
import type { GraphNode, NodeId } from "../graph/graph.js";
import type { FamilyTensor } from "../engine/model-set.js";
import type { ChunkRange, Prefetch, RunContext } from "../engine/tensor-run.js";

/** What `--device` names: the CPU engine, or TensorFlow.js on its CPU, WASM or GPU backend. */
export type DeviceName = "cpu" | "tfjs-cpu" | "wasm" | "gpu";

/** One tensor's evaluation, chunk by chunk (the CPU engine's TensorRun is one). */
export interface TensorEvaluator {
  readonly chunks: readonly ChunkRange[];
  /** Tensor-scope statistics of the nodes under `roots` when the tensor takes several chunks. */
  prepare(roots: readonly NodeId[]): Promise<void>;
  /** Node `id`'s values for chunk `c`, on the host (valid until another chunk is evaluated or `release`). */
  evaluate(id: NodeId, c: number): Promise<Float32Array>;
  /** Frees everything the tensor holds. */
  release(): void;
}

/** Where a statistics pass is: after each tensor of pass `pass` (from 1) of node `node`'s statistics. */
export interface StatsProgress {
  node: NodeId;
  pass: number;
  /** Float tensors of the node's scope counted so far this pass. */
  tensorsDone: number;
  /** Elements of the pass's scope counted so far (of the node's float tensors). */
  elementsDone: number;
}

/** One save's evaluation on a backend. */
export interface SaveBackend {
  /** Whole-model statistics of the global-scope nodes among `order`, into `ctx.globalStats`. */
  computeGlobalStats(order: readonly NodeId[], tensors: readonly FamilyTensor[], report: (p: StatsProgress) => void): Promise<void>;
  tensorRun(tensor: FamilyTensor, prefetch: Prefetch | null): TensorEvaluator;
  /** Called once when the save ends, whether it succeeded or not. */
  end(): void;
}

export interface Backend {
  readonly device: DeviceName;
  /** One line for logs: what evaluates the tensors (and, for `auto`, why). */
  readonly description: string;
  /** Whether the executor should start the CPU engine's worker threads. */
  readonly usesWorkers: boolean;
  /**
   * Starts a save of the value computed by `nodes` (every node under the saved one). A device
   * backend may lower `ctx.maxChunkElements` so that no step needs more than its memory budget.
   */
  beginSave(ctx: RunContext, nodes: readonly GraphNode[]): Promise<SaveBackend>;
}
