/** The screenshot checker's PNG decoder and blank test, on images written here with every row filter. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { deflateSync } from "node:zlib";
import { blankReason, decodePng, imageStats } from "./support/png.js";

function crc32(bytes: Buffer): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])));
  return Buffer.concat([head, body, crc]);
}

/** Encodes 8-bit pixels (`channels` samples each), row y filtered with filter y % 5. */
function encodePng(width: number, height: number, channels: 1 | 3 | 4, pixels: Uint8Array): Buffer {
  const colourType = { 1: 0, 3: 2, 4: 6 }[channels];
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colourType;
  const stride = width * channels;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const filter = y % 5;
    raw[y * (stride + 1)] = filter;
    for (let x = 0; x < stride; x++) {
      const at = (yy: number, xx: number) => (yy < 0 || xx < 0 ? 0 : pixels[yy * stride + xx]!);
      const a = at(y, x - channels);
      const b = at(y - 1, x);
      const c = at(y - 1, x - channels);
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter]!;
      raw[y * (stride + 1) + 1 + x] = (pixels[y * stride + x]! - predictor) & 0xff;
    }
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

/** A seeded pattern: every filter sees neighbours that differ. */
function pattern(width: number, height: number, channels: number): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  let s = 12345;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = (s >>> 16) & 0xff;
  }
  return out;
}

for (const channels of [1, 3, 4] as const) {
  test(`decodes ${channels}-channel images through all five row filters`, () => {
    const [w, h] = [7, 10];
    const pixels = pattern(w, h, channels);
    const image = decodePng(encodePng(w, h, channels, pixels));
    assert.equal(image.width, w);
    assert.equal(image.height, h);
    for (let i = 0; i < w * h; i++) {
      const expected = channels === 1 ? [pixels[i]!, pixels[i]!, pixels[i]!] : [...pixels.subarray(i * channels, i * channels + 3)];
      assert.deepEqual([...image.rgb.subarray(i * 3, i * 3 + 3)], expected, `pixel ${i}`);
    }
  });
}

test("a flat image is blank; a varied one is not", () => {
  const flat = new Uint8Array(40 * 30 * 3).fill(200);
  assert.match(blankReason(imageStats(decodePng(encodePng(40, 30, 3, flat)))) ?? "", /distinct colours/);
  const varied = pattern(40, 30, 3);
  assert.equal(blankReason(imageStats(decodePng(encodePng(40, 30, 3, varied)))), null);
});

test("a white image with a faint strip is blank", () => {
  const faint = new Uint8Array(40 * 30 * 3).fill(255);
  for (let i = 0; i < 40 * 3; i++) faint[i] = 250 - (i % 10); // a nearly invisible top strip
  assert.ok(blankReason(imageStats(decodePng(encodePng(40, 30, 3, faint)))));
});

test("rejects files that are not PNG or are cut short", () => {
  assert.throws(() => decodePng(Buffer.from("GIF89a..."), "x.gif"), /x\.gif is not a PNG/);
  const png = encodePng(8, 8, 3, pattern(8, 8, 3));
  assert.throws(() => decodePng(png.subarray(0, 40), "cut.png"), /cut\.png/);
});
