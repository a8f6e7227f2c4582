/** Hand-built safetensors files for the reader tests (independent of the writer under test). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir as testTempDir } from "../support/temp-dir.js";

export interface RawTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** Header JSON with tensors laid out back to back in the given order. */
export function headerFor(tensors: RawTensor[], metadata?: Record<string, string>): Record<string, unknown> {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  return header;
}

/** A whole file from a header object (or raw header text) and the data area bytes. */
export function fileBytes(header: Record<string, unknown> | string, data: Uint8Array[]): Buffer {
  const json = Buffer.from(typeof header === "string" ? header : JSON.stringify(header), "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, ...data]);
}

export function safetensorsBytes(tensors: RawTensor[], metadata?: Record<string, string>): Buffer {
  return fileBytes(headerFor(tensors, metadata), tensors.map((t) => t.data));
}

export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

export function tempDir(prefix = "mergelang-io-"): string {
  return testTempDir(prefix);
}

export function writeFile(dir: string, name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Deterministic pseudo-random floats (xorshift), so failures reproduce. */
export function randomFloats(n: number, seed = 1, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = ((s / 0xffffffff) * 2 - 1) * scale;
  }
  return out;
}
