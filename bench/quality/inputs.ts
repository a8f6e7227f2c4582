/**
 * Network inputs from digits: apply the domain's transform at full resolution, average-pool 2×2
 * (28×28 → 14×14: the CPU backend's matrix products are plain JS loops, and the first layer is most
 * of the cost), then map pixels from [0, 1] to [-1, 1] so inverting a digit negates its input.
 * Pooling commutes exactly with rotation, mirroring and inversion, so the domains stay exact.
 */
import type { DigitSet } from "./digits.js";
import type { Domain } from "./domains.js";

/** Rows of network inputs with their labels. */
export interface LabelledInputs {
  count: number;
  width: number;
  inputs: Float32Array;
  labels: Uint8Array;
  /** Which digits (indices into the DigitSet) the rows came from, in row order. */
  sources: Int32Array;
}

/** Average of each 2×2 block; `side` must be even. */
export function pool2x2(image: Float32Array, side: number): Float32Array {
  if (side % 2 !== 0 || image.length !== side * side) throw new Error(`pool2x2 needs an even square image, got ${image.length} pixels for side ${side}`);
  const half = side / 2;
  const out = new Float32Array(half * half);
  for (let r = 0; r < half; r++) {
    for (let c = 0; c < half; c++) {
      const i = 2 * r * side + 2 * c;
      out[r * half + c] = (image[i]! + image[i + 1]! + image[i + side]! + image[i + side + 1]!) / 4;
    }
  }
  return out;
}

export function inputWidth(side: number): number {
  return (side / 2) * (side / 2);
}

/** The network input of one digit in one domain. */
export function digitInput(digits: DigitSet, index: number, domain: Domain): Float32Array {
  const px = digits.side * digits.side;
  if (!(index >= 0 && index < digits.count)) throw new Error(`digit index ${index} out of range 0..${digits.count - 1}`);
  const image = digits.images.subarray(index * px, (index + 1) * px);
  const pooled = pool2x2(domain.transform(image, digits.side), digits.side);
  for (let i = 0; i < pooled.length; i++) pooled[i] = 2 * pooled[i]! - 1;
  return pooled;
}

/** Inputs of the given digits, all in one domain. */
export function domainInputs(digits: DigitSet, indices: Int32Array, domain: Domain): LabelledInputs {
  const width = inputWidth(digits.side);
  const inputs = new Float32Array(indices.length * width);
  const labels = new Uint8Array(indices.length);
  indices.forEach((index, row) => {
    inputs.set(digitInput(digits, index, domain), row * width);
    labels[row] = digits.labels[index]!;
  });
  return { count: indices.length, width, inputs, labels, sources: Int32Array.from(indices) };
}

/** Inputs of the given digits, each in the domain `pick(row)` chooses (the mixed pre-training pool). */
export function mixedInputs(digits: DigitSet, indices: Int32Array, domains: readonly Domain[], pick: (row: number) => number): LabelledInputs {
  const width = inputWidth(digits.side);
  const inputs = new Float32Array(indices.length * width);
  const labels = new Uint8Array(indices.length);
  indices.forEach((index, row) => {
    inputs.set(digitInput(digits, index, domains[pick(row)]!), row * width);
    labels[row] = digits.labels[index]!;
  });
  return { count: indices.length, width, inputs, labels, sources: Int32Array.from(indices) };
}
