/** Series of values that statistics select from: the deltas of a chunk range, or its inputs. */
import type { ChunkInputs } from "../method.js";

/** out[i][k] = f32(inputs[i][start + k] − base[start + k]): the deltas of a range. */
export function deltaSeries(chunk: ChunkInputs, start: number, end: number, out: Float32Array[]): void {
  const base = chunk.base!;
  chunk.inputs.forEach((model, i) => {
    const o = out[i]!;
    for (let j = start, k = 0; j < end; j++, k++) o[k] = model[j]! - base[j]!;
  });
}

/** out[i][k] = inputs[i][start + k]: inputs that already are deltas. */
export function inputSeries(chunk: ChunkInputs, start: number, end: number, out: Float32Array[]): void {
  chunk.inputs.forEach((x, i) => out[i]!.set(x.subarray(start, end)));
}
