/** Adding a LoRA update to a range of a weight's elements: W[i, j] += scale · Σₖ L[i, k]·R[k, j]. */

/** A tensor's factors in float32: `left` is [rows, rank], `right` is [rank, cols], both row-major. */
export interface LoadedFactors {
  name: string;
  left: Float32Array;
  right: Float32Array;
  rank: number;
  scale: number;
}

/** A row-major [rows, cols] matrix transposed to [cols, rows]. */
export function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = m[i * cols + j]!;
  return out;
}

/** Adds the update to out[0..count), which holds elements [start, start + count) of a [rows, cols] weight. */
export function addLoraDelta(out: Float32Array, start: number, count: number, cols: number, f: LoadedFactors): void {
  const { left, right, rank, scale } = f;
  const end = start + count;
  for (let row = Math.floor(start / cols); row * cols < end; row++) {
    const from = Math.max(start, row * cols) - row * cols;
    const to = Math.min(end, (row + 1) * cols) - row * cols;
    const dst = row * cols - start;
    // One pass over the row segment per rank: the inner loop runs over contiguous memory.
    for (let k = 0; k < rank; k++) {
      const c = scale * left[row * rank + k]!;
      if (c === 0) continue;
      const r = k * cols;
      for (let j = from; j < to; j++) out[dst + j] = out[dst + j]! + c * right[r + j]!;
    }
  }
}
