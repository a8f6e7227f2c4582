/**
 * TIES trimming thresholds (spec §6): keep every |δ| ≥ the k-th largest magnitude, k = floor(d·density),
 * so ties at the threshold are all kept and the result never depends on element order.
 */
import { kthLargestMagnitude } from "./select.js";

/** k = floor(d·density), as the spec and mergekit define it. */
export function keepCount(elements: number, density: number): number {
  return Math.min(elements, Math.floor(elements * density));
}

/** The magnitude an element must reach to be kept; Infinity when k = 0 (everything is trimmed). */
export function trimThreshold(delta: Float32Array, k: number): number {
  if (k <= 0 || delta.length === 0) return Infinity;
  return kthLargestMagnitude(delta, Math.min(k, delta.length));
}

/**
 * The keep count for a sample of `sampled` elements drawn from a tensor of `elements` where
 * trimming keeps `k`: the same share, at least one element when the tensor keeps any.
 */
export function sampledKeepCount(sampled: number, elements: number, k: number): number {
  if (k <= 0 || sampled === 0) return 0;
  if (k >= elements || sampled >= elements) return Math.min(sampled, k);
  return Math.min(sampled, Math.max(1, Math.round((sampled * k) / elements)));
}
