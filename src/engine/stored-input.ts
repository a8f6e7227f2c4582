/** A model tensor's elements read into a pool buffer, as float32 or, for 16-bit dtypes, as stored. */
import type { LoadNode } from "../graph/graph.js";
import { type HalfDType, dtypeSize, isHalfDType } from "../io/index.js";
import { EngineError, atOrigin } from "./errors.js";
import { type ReadRange, checkFiniteValues } from "./finite-inputs.js";
import { storedHalves } from "./parallel/decode.js";
import type { RunContext } from "./tensor-run.js";

/**
 * A load's elements as read into a pool buffer: float32 values, or (16-bit dtypes, when worker
 * threads share the widening) the stored bits laid out to be widened in place (`stored` says which).
 * Float32 values are checked for NaN and ±Inf as read; stored bits by the threads that widen them
 * (parallel/decode.ts), and whoever takes them reports what those found (`range` is for the message).
 */
export interface StoredInput {
  values: Float32Array;
  stored: HalfDType | null;
  range: ReadRange;
}

/** Whether 16-bit inputs are read as stored and widened by the threads that use them. */
function widensLater(ctx: RunContext): boolean {
  return ctx.parallel.threads > 1;
}

/** Elements [start, start + count) of a model's tensor, read into a pool buffer. */
export async function readStored(ctx: RunContext, load: LoadNode, tensor: string, start: number, count: number): Promise<StoredInput> {
  const reader = ctx.models.reader(load);
  const buf = await ctx.pool.acquireSoon(count);
  try {
    const { dtype, numel } = reader.tensor(tensor);
    const range = { start, count, numel };
    let stored: HalfDType | null = null;
    if (isHalfDType(dtype) && widensLater(ctx) && !reader.isComputed(tensor)) {
      await reader.readStoredInto(tensor, storedHalves(buf), start, count);
      stored = dtype;
    } else {
      await reader.readF32Into(tensor, buf, start, count);
      checkFiniteValues(ctx.allowNonFinite, load, tensor, buf, range);
    }
    ctx.counters.bytesRead += count * dtypeSize(dtype);
    return { values: buf, stored, range };
  } catch (e) {
    ctx.pool.release(buf);
    if (e instanceof EngineError) throw e;
    throw new EngineError(atOrigin(load.origin, (e as Error).message), load.origin, tensor);
  }
}

