/** Seeded random data for the engine tests (mulberry32), so every failure reproduces. */
import { mulberry32 } from "../../src/util/random.js";

export const rng = mulberry32;

/** Roughly normal values with scale `scale`. */
export function normals(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() + r() + r() - 1.5) * scale;
  return out;
}

/** Values with many exact duplicates, negative and positive zeros, and subnormals. */
export function awkward(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    if (u < 0.1) out[i] = -0;
    else if (u < 0.2) out[i] = 0;
    else if (u < 0.3) out[i] = (r() < 0.5 ? -1 : 1) * 1e-40 * Math.floor(r() * 5 + 1); // subnormals
    else if (u < 0.6) out[i] = (Math.floor(r() * 7) - 3) * 0.25; // duplicates of a few values
    else out[i] = (r() - 0.5) * 2e-3;
  }
  return out;
}
