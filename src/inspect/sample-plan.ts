/**
 * Which elements sampled mode reads: each tensor is cut into equal blocks (the last may be shorter)
 * and a fixed, seeded set of them is drawn without replacement, so every run with the same seed reads
 * the same bytes and the estimate is reproducible. Small tensors are read whole. The budget caps the
 * elements read per model; each tensor gets a share proportional to its size, with a floor so that
 * every tensor has enough blocks for its own variance.
 */

import { mulberry32 } from "../util/random.js";

export interface TensorSample {
  name: string;
  numel: number;
  blockLength: number;
  /** Blocks the tensor is cut into. */
  population: number;
  /** Drawn block indices, ascending. */
  blocks: number[];
}

export interface SampleBudget {
  /** Most elements read per model (default 1,000,000). */
  elements: number;
  seed: number;
}

export const DEFAULT_SAMPLE_ELEMENTS = 1_000_000;
/** Blocks drawn per tensor: enough for a block-level variance, few enough to keep reads few. */
const MIN_BLOCKS = 12;
const MAX_BLOCKS = 48;
const MAX_BLOCK_LENGTH = 4096;
const MIN_BLOCK_LENGTH = 32;

/** FNV-1a of a string, for per-tensor seeds that do not depend on the tensor order. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Seeded uniforms for sample positions. */
export const seededRandom = mulberry32;

/** m distinct integers from [0, population), ascending (Floyd's algorithm: O(m) draws). */
export function drawDistinct(population: number, m: number, random: () => number): number[] {
  if (m > population) throw new RangeError(`cannot draw ${m} of ${population}`);
  const chosen = new Set<number>();
  for (let j = population - m; j < population; j++) {
    const t = Math.floor(random() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}

export function planSample(tensors: readonly { name: string; numel: number }[], budget: SampleBudget): TensorSample[] {
  if (!(budget.elements >= 1)) throw new RangeError(`the sample budget must be at least 1 element, got ${budget.elements}`);
  const total = tensors.reduce((s, t) => s + t.numel, 0);
  const floor = Math.min(4096, Math.max(256, Math.floor(budget.elements / (4 * Math.max(1, tensors.length)))));
  return tensors.map(({ name, numel }) => {
    const share = total > 0 ? Math.floor((budget.elements * numel) / total) : 0;
    const wanted = Math.min(numel, Math.max(floor, share));
    const blocksWanted = Math.min(MAX_BLOCKS, Math.max(MIN_BLOCKS, Math.ceil(wanted / MAX_BLOCK_LENGTH)));
    const blockLength = Math.max(MIN_BLOCK_LENGTH, Math.ceil(wanted / blocksWanted));
    const population = Math.max(1, Math.ceil(numel / blockLength));
    const m = Math.ceil(wanted / blockLength);
    if (m >= population || population < 2 * 2) {
      return { name, numel, blockLength: Math.max(1, numel), population: 1, blocks: [0] };
    }
    const random = seededRandom(hashString(name) ^ Math.imul(budget.seed | 0, 0x9e3779b1));
    return { name, numel, blockLength, population, blocks: drawDistinct(population, Math.max(2, m), random) };
  });
}

/** Element ranges [start, end) of the drawn blocks in tensor order, consecutive blocks merged. */
export function sampleRuns(s: TensorSample): { start: number; end: number }[] {
  const runs: { start: number; end: number }[] = [];
  for (const b of s.blocks) {
    const start = b * s.blockLength;
    const end = Math.min(s.numel, start + s.blockLength);
    const last = runs[runs.length - 1];
    if (last && last.end === start) last.end = end;
    else runs.push({ start, end });
  }
  return runs;
}

/** Boundaries of the drawn blocks inside the concatenated sample: [0, len₀, len₀+len₁, ...]. */
export function sampleBounds(s: TensorSample): number[] {
  const bounds = [0];
  for (const b of s.blocks) {
    const start = b * s.blockLength;
    bounds.push(bounds[bounds.length - 1]! + Math.min(s.numel, start + s.blockLength) - start);
  }
  return bounds;
}
