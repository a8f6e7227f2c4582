/** Small random "digits" for fast tests: distinct images with balanced labels. */
import type { DigitSet } from "../../bench/quality/digits.js";
import { Rng } from "../../bench/quality/random.js";

export function syntheticDigits(count: number, side: number, seed: number): DigitSet {
  const rng = new Rng(seed);
  const images = new Float32Array(count * side * side);
  for (let i = 0; i < images.length; i++) images[i] = rng.uniform();
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { side, count, images, labels };
}
