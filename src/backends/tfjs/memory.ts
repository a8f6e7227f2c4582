/**
 * The device memory budget: how many elements a chunk may have so that no step holds more tensor
 * bytes than the budget. While a chunk is evaluated every node under the saved one keeps its
 * output (one float32 per element each), and the node being computed holds its working tensors.
 */
import type { GraphNode } from "../../graph/graph.js";
import { DeviceError } from "../errors.js";

export const DEFAULT_DEVICE_MEMORY_BYTES = 1 << 30;

/**
 * Bytes a statistics pass holds besides its per-element tensors: the search boundaries (up to
 * 2^17 float32, padded), the histograms (65537 int32) and the uploads of small constants.
 */
export const FIXED_BYTES = 2 << 20;

/** Working tensors of a histogram pass per element: |x|, NaN mask, bucket indices, search temporaries. */
export const HISTOGRAM_TEMPS = 10;

/** Working tensors of an affine node: a product and the running sum. */
export const AFFINE_TEMPS = 3;

/** The smallest chunk worth a kernel launch; a budget that cannot hold it is an error. */
export const MIN_CHUNK_ELEMENTS = 1024;

/**
 * Elements per chunk for a save of `nodes` when the busiest node needs `workTensors` chunk-sized
 * tensors besides the cached outputs.
 */
export function chunkElementsForBudget(budgetBytes: number, nodes: readonly GraphNode[], workTensors: number): number {
  const perElement = 4 * (nodes.length + workTensors);
  const elements = Math.floor((budgetBytes - FIXED_BYTES) / perElement);
  if (!(elements >= MIN_CHUNK_ELEMENTS)) {
    const need = FIXED_BYTES + perElement * MIN_CHUNK_ELEMENTS;
    throw new DeviceError(
      `the device memory budget (${budgetBytes} bytes) is too small for this save: chunks of ${MIN_CHUNK_ELEMENTS} elements ` +
        `need ${need} bytes (${nodes.length} cached values and ${workTensors} working tensors)`,
    );
  }
  return elements;
}
