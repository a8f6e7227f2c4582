/**
 * The benchmark's only source of randomness: a seeded PRNG (mulberry32) with normal draws (Box–Muller)
 * and a Fisher–Yates shuffle, so the same seed gives the same split, weights and batch order.
 */
import { Random } from "../../src/util/random.js";

/** The benchmark's generator is the project's one seeded generator. */
export { Random as Rng };
type Rng = Random;

/** A generator for one named step of an experiment: steps draw independently of each other's order. */
export function streamRng(seed: number, label: string): Rng {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return new Random((h ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0);
}
