/**
 * Reproducible random draws for the stochastic methods (DARE, DELLA): a counter-based generator, so
 * the draw for element i of a tensor is a pure function of (seed, tensor, model, i). The result
 * never depends on chunking, threads or the order in which tensors are processed.
 */

/** MurmurHash3's 32-bit finaliser: a bijective avalanche mix. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a of a string's UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The key of one random stream: one per seed, tensor and model. */
export function streamKey(seed: number, tensor: string, model: number): number {
  return fmix32(fmix32(seed >>> 0) ^ fmix32(fnv1a(tensor) + Math.imul(model + 1, 0x9e3779b9)));
}

/** A uniform draw in [0, 1) (24 bits) for element `index` of a stream. */
export function uniformAt(key: number, index: number): number {
  const lo = index >>> 0;
  const hi = Math.floor(index / 4294967296);
  const h = fmix32((key ^ fmix32((lo + Math.imul(hi, 0x27d4eb2f)) >>> 0)) >>> 0);
  return (h >>> 8) * (1 / 16777216);
}
