/**
 * NaN and ±Inf in a model's weights would flow silently into every merge method (TIES elects on
 * them, PCB's softmax turns a whole tensor's weights into NaN): each input chunk is counted as it is
 * read, or (16-bit inputs widened by the threads) as each range is widened (parallel/decode.ts), by
 * a masked add per word (io/non-finite.ts), and refused unless the save allows them.
 */
import type { LoadNode } from "../graph/graph.js";
import { countNonFiniteF32 } from "../io/index.js";
import { EngineError, atOrigin } from "./errors.js";

export interface ReadRange {
  start: number;
  count: number;
  numel: number;
}

/** An input holding NaN or ±Inf: reported as it is, whichever node's evaluation finds it. */
export class NonFiniteInputError extends EngineError {}

function refuse(load: LoadNode, tensor: string, nonFinite: number, range: ReadRange): EngineError {
  const part = range.count === range.numel ? "" : ` (among elements ${range.start}..${range.start + range.count - 1} of ${range.numel})`;
  return new NonFiniteInputError(
    atOrigin(
      load.origin,
      `model ${load.path}: tensor "${tensor}" holds ${nonFinite} NaN or ±Inf value${nonFinite === 1 ? "" : "s"}${part}; ` +
        "the merge would spread them silently. Repair the model, or pass allow_nonfinite: true to save(...) (--allow-nonfinite) to merge it anyway",
    ),
    load.origin,
    tensor,
  );
}

/** Throws when float32 values read from `load` hold NaN or ±Inf (unless allowed). */
export function checkFiniteValues(allowed: boolean | undefined, load: LoadNode, tensor: string, values: Float32Array, range: ReadRange): void {
  if (allowed) return;
  const n = countNonFiniteF32(values.subarray(0, range.count));
  if (n > 0) throw refuse(load, tensor, n, range);
}

