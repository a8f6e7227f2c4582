/**
 * The kernel's logo, drawn in code: two strands (two fine-tuned models) flowing into one on a dark
 * rounded square. Supersampled for smooth edges; written as logo-32x32.png and logo-64x64.png.
 */
import { encodePng } from "./png.js";

type RGB = [number, number, number];

const BACKGROUND: RGB = [38, 50, 72];
const LEFT: RGB = [240, 144, 110];
const RIGHT: RGB = [110, 190, 240];
const MERGED: RGB = [245, 245, 245];

/** Distance from point p to the segment a–b (unit square coordinates). */
function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Colour and coverage of one sample at (x, y) in [0, 1]². */
function sample(x: number, y: number): [RGB, number] | null {
  const r = 0.18; // corner radius
  const cx = Math.min(Math.max(x, r), 1 - r);
  const cy = Math.min(Math.max(y, r), 1 - r);
  if (Math.hypot(x - cx, y - cy) > r) return null;
  const width = 0.075;
  if (segmentDistance(x, y, 0.5, 0.55, 0.5, 0.85) < width) return [MERGED, 1];
  if (segmentDistance(x, y, 0.24, 0.15, 0.5, 0.55) < width) return [LEFT, 1];
  if (segmentDistance(x, y, 0.76, 0.15, 0.5, 0.55) < width) return [RIGHT, 1];
  return [BACKGROUND, 1];
}

export function logoPixels(size: number, samples = 4): Uint8Array {
  const out = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const hit = sample((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size);
          if (!hit) continue;
          r += hit[0][0];
          g += hit[0][1];
          b += hit[0][2];
          a++;
        }
      }
      const i = (py * size + px) * 4;
      if (a > 0) {
        out[i] = Math.round(r / a);
        out[i + 1] = Math.round(g / a);
        out[i + 2] = Math.round(b / a);
      }
      out[i + 3] = Math.round((255 * a) / (samples * samples));
    }
  }
  return out;
}

export function logoPng(size: number): Buffer {
  return encodePng(size, size, logoPixels(size));
}
