/**
 * Just enough PNG decoding to tell whether a screenshot shows something: 8-bit greyscale, RGB and
 * RGBA images (what Chromium writes), with the five scanline filters undone.
 */
import { readFileSync } from "node:fs";
import { inflateSync } from "node:zlib";

export interface Image {
  width: number;
  height: number;
  /** RGB triples, row by row. */
  rgb: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Colour type → samples per pixel. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

export function decodePng(bytes: Buffer, name = "image"): Image {
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(SIGNATURE)) throw new Error(`${name} is not a PNG file`);
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString("latin1", at + 4, at + 8);
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const depth = body[8]!;
      const colour = body[9]!;
      channels = CHANNELS[colour] ?? 0;
      if (depth !== 8 || channels === 0 || body[12] !== 0) throw new Error(`${name}: unsupported PNG (bit depth ${depth}, colour type ${colour}, interlace ${body[12]})`);
    } else if (type === "IDAT") data.push(body);
    else if (type === "IEND") break;
    at += 12 + length;
  }
  if (width === 0 || height === 0 || data.length === 0) throw new Error(`${name}: PNG without a header or pixel data`);
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new Error(`${name}: PNG pixel data is truncated`);
  const pixels = unfilter(raw, width, height, channels);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const p = i * channels;
    const grey = channels <= 2;
    rgb[i * 3] = pixels[p]!;
    rgb[i * 3 + 1] = grey ? pixels[p]! : pixels[p + 1]!;
    rgb[i * 3 + 2] = grey ? pixels[p]! : pixels[p + 2]!;
  }
  return { width, height, rgb };
}

function unfilter(raw: Buffer, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[row + x - bpp]! : 0;
      const b = y > 0 ? out[prev + x]! : 0;
      const c = x >= bpp && y > 0 ? out[prev + x - bpp]! : 0;
      let predictor: number;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = a; break;
        case 2: predictor = b; break;
        case 3: predictor = (a + b) >> 1; break;
        case 4: predictor = paeth(a, b, c); break;
        default: throw new Error(`PNG row ${y} has an unknown filter ${filter}`);
      }
      out[row + x] = (raw[src + x]! + predictor) & 0xff;
    }
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export interface ImageStats {
  /** Standard deviation of the luminance (0–255). */
  lumaSpread: number;
  /** Distinct colours (quantised to 5 bits a channel). */
  colours: number;
}

export function imageStats(image: Image): ImageStats {
  let sum = 0;
  let sumSq = 0;
  const colours = new Set<number>();
  const n = image.width * image.height;
  for (let i = 0; i < n; i++) {
    const r = image.rgb[i * 3]!;
    const g = image.rgb[i * 3 + 1]!;
    const b = image.rgb[i * 3 + 2]!;
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    sum += y;
    sumSq += y * y;
    colours.add(((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3));
  }
  const mean = sum / n;
  return { lumaSpread: Math.sqrt(Math.max(0, sumSq / n - mean * mean)), colours: colours.size };
}

/** A screenshot of a working editor has text, icons and panels: many colours and real contrast. */
export function blankReason(stats: ImageStats): string | null {
  if (stats.colours < 8) return `only ${stats.colours} distinct colours`;
  if (stats.lumaSpread < 4) return `almost uniform brightness (spread ${stats.lumaSpread.toFixed(1)})`;
  return null;
}

/** Throws when the PNG at `path` is blank (one flat colour, or nearly). */
export function assertNotBlank(path: string): ImageStats {
  const stats = imageStats(decodePng(readFileSync(path), path));
  const reason = blankReason(stats);
  if (reason) throw new Error(`screenshot ${path} looks blank: ${reason}`);
  return stats;
}
