/**
 * A seeded, stratified split of the digits into disjoint parts: every class is shuffled with the
 * seed and cut by the same fractions, so each part keeps the class balance of the whole set.
 * The test part is never read before the final evaluation; the validation part only chooses merge
 * coefficients.
 */
import { Rng } from "./random.js";

export const SPLIT_PARTS = ["pretrain", "finetune", "validation", "test"] as const;
export type SplitPart = (typeof SPLIT_PARTS)[number];

/** Share of each class that goes to each part; must sum to 1. */
export type SplitFractions = Record<SplitPart, number>;

/** Sample indices of each part, ascending. */
export type Split = Record<SplitPart, Int32Array>;

export function splitDigits(labels: ArrayLike<number>, fractions: SplitFractions, seed: number): Split {
  const total = SPLIT_PARTS.reduce((s, p) => s + fractions[p], 0);
  if (SPLIT_PARTS.some((p) => !(fractions[p] >= 0)) || Math.abs(total - 1) > 1e-9) {
    throw new Error(`split fractions must be non-negative and sum to 1, got ${JSON.stringify(fractions)}`);
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  const rng = new Rng(seed);
  const parts: Record<SplitPart, number[]> = { pretrain: [], finetune: [], validation: [], test: [] };
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = rng.shuffle(byClass.get(c)!);
    let start = 0;
    SPLIT_PARTS.forEach((part, k) => {
      // The last part takes the remainder so every sample lands in exactly one part.
      const left = members.length - start;
      const size = k === SPLIT_PARTS.length - 1 ? left : Math.min(left, Math.round(members.length * fractions[part]));
      parts[part].push(...members.slice(start, start + size));
      start += size;
    });
  }
  const sorted = (xs: number[]): Int32Array => Int32Array.from(xs).sort();
  return { pretrain: sorted(parts.pretrain), finetune: sorted(parts.finetune), validation: sorted(parts.validation), test: sorted(parts.test) };
}
