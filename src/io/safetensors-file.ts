/**
 * Reading and validating the header of one .safetensors file: 8-byte little-endian length N, N bytes
 * of JSON, then the data area. Everything is checked before any tensor memory is allocated.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { type DType, dtypeSize, isDType } from "./dtype.js";
import { ModelFormatError, where } from "./errors.js";
import { jsonErrorWhere } from "./json-error.js";

/** Headers larger than this are refused (the safetensors reference implementation uses the same limit). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface FileTensor {
  name: string;
  dtype: DType;
  shape: number[];
  numel: number;
  /** Absolute byte offset of the tensor's data in the file. */
  byteOffset: number;
  byteLength: number;
}

export interface SafetensorsFileHeader {
  file: string;
  /** File size in bytes and modification time when the header was read. */
  size: number;
  mtimeMs: number;
  /** Offset of the data area (8 + header length). */
  dataStart: number;
  /** Tensors in data order. */
  tensors: FileTensor[];
  metadata: Record<string, string>;
}

/** Reads exactly `length` bytes at `position`, or reports a truncated file. */
function readExactSync(fd: number, file: string, buf: Buffer, position: number, what: string): void {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new ModelFormatError("truncated", file, `${file} ends before its ${what}: the file is truncated`);
    done += n;
  }
}

/** Opens a weights file for reading, or a missing-file error naming it. */
export function openWeightsFile(file: string): number {
  try {
    return openSync(file, "r");
  } catch (e) {
    throw new ModelFormatError("missing-file", file, `cannot open ${file}: ${(e as Error).message}`);
  }
}

/** Opens, reads and validates one safetensors header. `file` should be absolute. */
export function readSafetensorsHeader(file: string): SafetensorsFileHeader {
  const fd = openWeightsFile(file);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ModelFormatError("not-safetensors", file, `${file} is a folder, not a .safetensors file`);
    if (st.size < 8) {
      throw new ModelFormatError("truncated", file, `${file} is ${st.size} bytes long, too short to hold a safetensors header`);
    }
    const lenBuf = Buffer.allocUnsafe(8);
    readExactSync(fd, file, lenBuf, 0, "header length");
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    // The length is not echoed: for a file that is not safetensors at all it is 8 bytes of its text.
    if (headerLen > MAX_HEADER_BYTES) {
      throw new ModelFormatError(
        "header-too-large",
        file,
        `${file} does not start with a plausible safetensors header length (at most ${MAX_HEADER_BYTES} bytes): it is not a safetensors file or it is damaged`,
      );
    }
    if (8 + headerLen > st.size) {
      throw new ModelFormatError(
        "truncated",
        file,
        `${file} declares a header longer than the whole file (${st.size} bytes): it is truncated or not a safetensors file`,
      );
    }
    const headerBuf = Buffer.allocUnsafe(headerLen);
    readExactSync(fd, file, headerBuf, 8, "header");
    const parsed = parseHeaderJson(file, headerBuf);
    const dataStart = 8 + headerLen;
    const { tensors, metadata } = validateHeader(file, parsed, dataStart, st.size - dataStart);
    return { file, size: st.size, mtimeMs: st.mtimeMs, dataStart, tensors, metadata };
  } finally {
    closeSync(fd);
  }
}

function parseHeaderJson(file: string, bytes: Buffer): Record<string, unknown> {
  const text = bytes.toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError("header-json", file, `the header of ${file} is not valid JSON (${jsonErrorWhere(e, text)})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ModelFormatError("header-json", file, `the header of ${file} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

interface Entry extends FileTensor {
  begin: number;
  end: number;
}

/** Checks every entry and the layout of the data area; returns tensors in data order. */
export function validateHeader(
  file: string,
  header: Record<string, unknown>,
  dataStart: number,
  dataSize: number,
): { tensors: FileTensor[]; metadata: Record<string, string> } {
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
        throw new ModelFormatError("header-invalid", file, `the __metadata__ of ${file} is not a JSON object`);
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) metadata[k] = typeof v === "string" ? v : JSON.stringify(v);
      continue;
    }
    entries.push(validateEntry(file, name, raw, dataStart));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let prev: Entry | null = null;
  for (const e of entries) {
    if (prev && e.begin < prev.end) {
      throw new ModelFormatError(
        "offsets-overlap",
        file,
        `${where(file, e.name)} overlaps tensor "${prev.name}": bytes [${e.begin}, ${e.end}) and [${prev.begin}, ${prev.end}) of the data area`,
        e.name,
      );
    }
    if (!prev || e.end > prev.end) prev = e;
  }
  checkDataArea(file, entries, dataSize);
  return { tensors: entries.map(({ begin: _b, end: _e, ...t }) => t), metadata };
}

function validateEntry(file: string, name: string, raw: unknown, dataStart: number): Entry {
  const at = where(file, name);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ModelFormatError("header-invalid", file, `${at} has no {dtype, shape, data_offsets} description`, name);
  }
  const r = raw as Record<string, unknown>;
  if (!isDType(r.dtype)) {
    throw new ModelFormatError("unknown-dtype", file, `${at} has dtype ${JSON.stringify(r.dtype)}, which mergelang cannot read`, name);
  }
  const dtype = r.dtype;
  if (!Array.isArray(r.shape) || !r.shape.every(isNonNegInt)) {
    throw new ModelFormatError("header-invalid", file, `${at} has an invalid shape ${JSON.stringify(r.shape)}`, name);
  }
  const shape = (r.shape as number[]).slice();
  let numel = 1;
  for (const d of shape) numel *= d;
  if (!Number.isSafeInteger(numel)) {
    throw new ModelFormatError("header-invalid", file, `${at} has a shape too large to address: ${JSON.stringify(shape)}`, name);
  }
  const offs = r.data_offsets;
  if (!Array.isArray(offs) || offs.length !== 2 || !isNonNegInt(offs[0]) || !isNonNegInt(offs[1])) {
    throw new ModelFormatError("header-invalid", file, `${at} has invalid data_offsets ${JSON.stringify(offs)}`, name);
  }
  const [begin, end] = offs as [number, number];
  if (end < begin) {
    throw new ModelFormatError("offsets-out-of-range", file, `${at} has data_offsets [${begin}, ${end}] that end before they begin`, name);
  }
  const expected = numel * dtypeSize(dtype);
  if (end - begin !== expected) {
    throw new ModelFormatError(
      "size-mismatch",
      file,
      `${at} holds ${end - begin} bytes but shape ${JSON.stringify(shape)} of ${dtype} needs ${expected}`,
      name,
    );
  }
  return { name, dtype, shape, numel, byteOffset: dataStart + begin, byteLength: end - begin, begin, end };
}

/**
 * Tensors must lie inside the data area. When the tensors tile the data area without gaps (as every
 * writer lays them out) and run past the end, the file lost its tail: "truncated". Otherwise the
 * offsets themselves are wrong: "offsets-out-of-range".
 */
function checkDataArea(file: string, sorted: Entry[], dataSize: number): void {
  const outside = sorted.find((e) => e.end > dataSize);
  if (!outside) return;
  let cursor = 0;
  let tiled = true;
  for (const e of sorted) {
    if (e.begin !== cursor) {
      tiled = false;
      break;
    }
    cursor = e.end;
  }
  if (tiled) {
    throw new ModelFormatError(
      "truncated",
      file,
      `${file} is truncated: ${where(file, outside.name)} needs data up to byte ${outside.end} of the data area, which has only ${dataSize} bytes`,
      outside.name,
    );
  }
  throw new ModelFormatError(
    "offsets-out-of-range",
    file,
    `${where(file, outside.name)} has data_offsets [${outside.begin}, ${outside.end}] past the end of the ${dataSize}-byte data area`,
    outside.name,
  );
}
