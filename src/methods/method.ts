/**
 * The uniform interface of a merge method's kernel, for any backend (CPU typed arrays here; a
 * TensorFlow.js backend can implement the same methods): like TensorFlow.js's kernel registry, one
 * method name has one kernel per backend.
 *
 * The engine evaluates a method over a scope (one tensor, or every tensor of the model for
 * `scope: "global"`). A method that needs whole-scope statistics declares them as stages of exact
 * order statistics: stage k names, for each of its series (e.g. |δᵢ| of each task), the ascending
 * ranks it needs, given the results of the earlier stages; `values` computes the series for any
 * element range. The engine selects them exactly (radix select, streaming, in parallel) and `apply`
 * then produces the result element range by element range. `apply` and `values` must depend only on
 * the elements of the range they are given, so that any chunking or thread split gives the same bits.
 */
import type { ResolvedParams } from "../graph/params.js";
import type { KeyMode } from "../engine/kernels/float-keys.js";
import type { Scratch } from "../engine/kernels/scratch.js";

/** One chunk (a contiguous element range of one tensor) of a call's inputs, all of equal length. */
export interface ChunkInputs {
  /** The positional inputs: models, or deltas for the delta operations. */
  inputs: readonly Float32Array[];
  /** The base model's chunk, when the call has a base. */
  base: Float32Array | null;
  length: number;
  /** Index of the chunk's first element in its tensor (for per-element random draws). */
  offset: number;
  /** Elements per row of the tensor (its last dimensions; the whole tensor when 1-D). */
  rowLength: number;
}

export interface KernelContext {
  /** Reusable buffers for the hot loops (per thread). */
  scratch: Scratch;
  /** The tensor being processed (for messages). */
  tensor: string;
  /** Its shape, where known (methods that treat 2-D tensors as matrices read it). */
  shape?: readonly number[];
}

/**
 * What one series needs over the scope: order statistics at ascending 0-based ranks (may be
 * empty), or its sum (accumulated in float64; results are [sum]).
 */
export type SeriesSelection = { mode: KeyMode; ranks: number[] } | { mode: "sum" };

/** Per stage, per series, the values at the requested ranks (or [sum]). */
export type StageResults = number[][][];

export interface StatsSpec<P, S> {
  /** The selections of stage `stage` (one per series), or null when the statistics are complete. */
  stage(params: P, stage: number, scopeSize: number, inputCount: number, earlier: StageResults): SeriesSelection[] | null;
  /**
   * The values of every series of `stage` for elements [start, end) of the chunk, written to
   * out[series][0 .. end − start). Series without ranks may be left unwritten.
   */
  values(
    params: P,
    stage: number,
    earlier: StageResults,
    chunk: ChunkInputs,
    start: number,
    end: number,
    out: Float32Array[],
    ctx: KernelContext,
  ): void;
  /**
   * Whether the series of `stage` are the plain deltas f32(inputs[i] − base) (deltaSeries): the
   * engine then counts their first histogram pass from the inputs inside its SIMD kernel.
   */
  deltaStage?(params: P, stage: number): boolean;
  /** The statistics `apply` receives (plain data: it is sent to worker threads). */
  result(params: P, scopeSize: number, inputCount: number, stages: StageResults): S;
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
  /** Checks and converts one tensor's resolved parameters (plain data); throws naming the parameter. */
  parseParams(params: ResolvedParams, inputCount: number): P;
  /** Whole-scope statistics; absent for elementwise methods. */
  readonly stats?: StatsSpec<P, S>;
  /** Apply ranges must hold whole rows (the method works row by row). */
  readonly rowwise?: boolean;
  /**
   * `apply` needs the whole tensor in one chunk and runs once, on the calling thread (the SVD-based
   * methods: their matrix products are parallel on their own).
   */
  readonly wholeTensor?: boolean;
  /** Like `wholeTensor`, for some parameter values only (nuslerp's per-column angles). */
  needsWholeTensor?(params: P): boolean;
  /** Started once before a run that uses the kernel (e.g. a faster matrix-product backend). */
  prepare?(): Promise<void>;
  /** Writes the result for one chunk into `out` (`stats` is null for elementwise methods). */
  apply(params: P, stats: S | null, chunk: ChunkInputs, out: Float32Array, ctx: KernelContext): void;
}

/** A kernel whose parameter and statistics types are erased, as the registry stores it. */
export type AnyMethodKernel = MethodKernel<unknown, unknown>;

/** Whether a kernel needs the whole tensor in one chunk (with its parameters, when known). */
export function wholeTensorFor(kernel: AnyMethodKernel, params?: () => unknown): boolean {
  return kernel.wholeTensor === true || (params !== undefined && kernel.needsWholeTensor?.(params()) === true);
}
