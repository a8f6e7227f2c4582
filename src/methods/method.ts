/**
 * The uniform interface of a merge method's kernel, for any backend (CPU typed arrays here; a
 * TensorFlow.js backend can implement the same methods): like TensorFlow.js's kernel registry, one
 * method name has one kernel per backend.
 *
 * The engine evaluates a method over a scope (one tensor, or every tensor of the model for
 * `scope: "global"`). A kernel that needs whole-scope statistics (thresholds, order statistics)
 * gets them from a `StatsSession`: the engine feeds every chunk of the scope once per pass while
 * `needsPass` is true, then calls `apply` chunk by chunk with the session's result.
 */
import type { ResolvedParams } from "../graph/params.js";
import type { Scratch } from "../engine/kernels/scratch.js";

/** One chunk (a contiguous element range of one tensor) of a call's inputs, all of equal length. */
export interface ChunkInputs {
  /** The positional inputs: models, or deltas for the delta operations. */
  inputs: readonly Float32Array[];
  /** The base model's chunk, when the call has a base. */
  base: Float32Array | null;
  length: number;
}

export interface KernelContext {
  /** Reusable buffers for the hot loops. */
  scratch: Scratch;
  /** The tensor being processed (for messages). */
  tensor: string;
}

/** Whole-scope statistics gathered pass by pass over every chunk of the scope. */
export interface StatsSession<S> {
  /** True while another pass over the whole scope is needed. */
  readonly needsPass: boolean;
  accumulate(chunk: ChunkInputs, ctx: KernelContext): void;
  endPass(): void;
  result(): S;
}

export interface MethodKernel<P, S> {
  /** The method name in recipes (or the delta operation's name). */
  readonly name: string;
  readonly backend: string;
  /** What the positional inputs are: models (deltas taken against the base) or deltas. */
  readonly inputKind: "models" | "deltas";
  readonly base: "required" | "optional" | "unused";
  /** Parameters that set whole-scope statistics: one value for the whole model in global scope. */
  readonly scopeParams: readonly string[];
  /** Checks and converts one tensor's resolved parameters; throws a message naming the parameter. */
  parseParams(params: ResolvedParams, inputCount: number): P;
  /** Starts the statistics of one scope of `scopeSize` elements; absent for elementwise methods. */
  beginStats?(params: P, scopeSize: number, inputCount: number): StatsSession<S>;
  /** Writes the result for one chunk into `out` (`stats` is null for elementwise methods). */
  apply(params: P, stats: S | null, chunk: ChunkInputs, out: Float32Array, ctx: KernelContext): void;
}

/** A kernel whose parameter and statistics types are erased, as the registry stores it. */
export type AnyMethodKernel = MethodKernel<unknown, unknown>;
