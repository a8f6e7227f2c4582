/**
 * The tasks' domains: the same digits seen upright, rotated a quarter turn, colour-inverted or
 * mirrored; and the pre-training domains: the other symmetries of the square (half and three-quarter
 * turns, the two diagonal reflections), which no task uses. Each is an exact pixel permutation or an
 * exact value map, so the domains differ only in where and how strokes appear.
 */

/** A square greyscale image (row-major, values in [0, 1]) → a new image of the same side. */
export type ImageTransform = (image: Float32Array, side: number) => Float32Array;

export interface Domain {
  name: string;
  describe: string;
  transform: ImageTransform;
}

function checkSquare(image: Float32Array, side: number): void {
  if (image.length !== side * side) throw new Error(`image has ${image.length} pixels, expected ${side}×${side}`);
}

export const identity: ImageTransform = (image, side) => {
  checkSquare(image, side);
  return Float32Array.from(image);
};

/** Quarter turn clockwise: the top row becomes the right column. */
export const rotate90: ImageTransform = (image, side) => {
  checkSquare(image, side);
  const out = new Float32Array(side * side);
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) out[c * side + (side - 1 - r)] = image[r * side + c]!;
  }
  return out;
};

/** Left–right mirror. */
export const mirror: ImageTransform = (image, side) => {
  checkSquare(image, side);
  const out = new Float32Array(side * side);
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) out[r * side + (side - 1 - c)] = image[r * side + c]!;
  }
  return out;
};

/** White digit on black becomes black on white. */
export const invert: ImageTransform = (image, side) => {
  checkSquare(image, side);
  const out = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) out[i] = 1 - image[i]!;
  return out;
};

const compose = (...fs: ImageTransform[]): ImageTransform => (image, side) => fs.reduce((x, f) => f(x, side), identity(image, side));

/** Half turn. */
export const rotate180: ImageTransform = compose(rotate90, rotate90);
/** Quarter turn counter-clockwise. */
export const rotate270: ImageTransform = compose(rotate90, rotate90, rotate90);
/** Reflection in the main diagonal: pixel (r, c) goes to (c, r). */
export const transpose: ImageTransform = compose(rotate90, mirror);
/** Reflection in the other diagonal: pixel (r, c) goes to (side−1−c, side−1−r). */
export const antiTranspose: ImageTransform = compose(mirror, rotate90);

/** The four tasks' domains. */
export const DOMAINS: readonly Domain[] = [
  { name: "upright", describe: "digits as written", transform: identity },
  { name: "rotated", describe: "rotated 90° clockwise", transform: rotate90 },
  { name: "inverted", describe: "colours inverted (dark digit on light ground)", transform: invert },
  { name: "mirrored", describe: "mirrored left to right", transform: mirror },
];

/** The pre-training domains: digits as the tasks never show them. */
export const PRETRAINING_DOMAINS: readonly Domain[] = [
  { name: "rotated180", describe: "rotated 180°", transform: rotate180 },
  { name: "rotated270", describe: "rotated 90° counter-clockwise", transform: rotate270 },
  { name: "transposed", describe: "reflected in the main diagonal", transform: transpose },
  { name: "antitransposed", describe: "reflected in the anti-diagonal", transform: antiTranspose },
];

export function domainByName(name: string): Domain {
  const all = [...DOMAINS, ...PRETRAINING_DOMAINS];
  const d = all.find((x) => x.name === name);
  if (!d) throw new Error(`unknown domain "${name}" (known: ${all.map((x) => x.name).join(", ")})`);
  return d;
}
