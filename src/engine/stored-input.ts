/** A model tensor's elements read into a pool buffer, as float32 or, for 16-bit dtypes, as stored. */
import type { LoadNode } from "../graph/graph.js";
import { type HalfDType, dtypeSize, isHalfDType } from "../io/index.js";
import { EngineError, atOrigin } from "./errors.js";
import { checkFiniteStored, checkFiniteValues } from "./finite-inputs.js";
import { storedHalves } from "./parallel/decode.js";
import type { RunContext } from "./tensor-run.js";

/**
 * A load's elements as read into a pool buffer: float32 values, or (16-bit dtypes, when worker
 * threads share the widening) the stored bits laid out to be widened in place (`stored` says which).
 */
export interface StoredInput {
  values: Float32Array;
  stored: HalfDType | null;
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
    let stored: HalfDType | null = null;
    if (isHalfDType(dtype) && widensLater(ctx) && !reader.isComputed(tensor)) {
      const parts = storedHalves(buf);
      await reader.readStoredInto(tensor, parts, start, count);
      checkFiniteStored(ctx.allowNonFinite, load, tensor, parts, dtype, { start, count, numel });
      stored = dtype;
    } else {
      await reader.readF32Into(tensor, buf, start, count);
      checkFiniteValues(ctx.allowNonFinite, load, tensor, buf, { start, count, numel });
    }
    ctx.counters.bytesRead += count * dtypeSize(dtype);
    return { values: buf, stored };
  } catch (e) {
    ctx.pool.release(buf);
    if (e instanceof EngineError) throw e;
    throw new EngineError(atOrigin(load.origin, (e as Error).message), load.origin, tensor);
  }
}

