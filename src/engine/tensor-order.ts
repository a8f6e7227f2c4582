/**
 * The order a save processes and writes its tensors in. Tensors too large to be read ahead while
 * another large one computes (the embedding and output matrices, listed first in a name-sorted
 * file) are spread among the others rather than left first and side by side: the first tensor's
 * read then takes milliseconds instead of leaving every thread idle, and each large tensor's
 * inputs are read while small ones compute (prefetch.ts). Loaders find tensors by name in the
 * safetensors header, so the order within the files is free; it is deterministic.
 */
import type { FamilyTensor } from "./model-set.js";
import { isLargeTensor } from "./prefetch.js";

/** The small tensors in their order, with large tensor k placed after (k + 1)/(L + 1) of them. */
export function processingOrder(tensors: readonly FamilyTensor[]): FamilyTensor[] {
  const small = tensors.filter((t) => !isLargeTensor(t));
  const large = tensors.filter(isLargeTensor);
  if (large.length === 0 || small.length === 0) return [...tensors];
  const out: FamilyTensor[] = [];
  let s = 0;
  large.forEach((t, k) => {
    const upTo = Math.max(1, Math.round(((k + 1) * small.length) / (large.length + 1)));
    while (s < upTo) out.push(small[s++]!);
    out.push(t);
  });
  while (s < small.length) out.push(small[s++]!);
  return out;
}
