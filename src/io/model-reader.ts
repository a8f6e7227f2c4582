/**
 * Ranged reads of single tensors from a model's shards. File descriptors stay open per shard; every
 * read goes straight into the destination's bytes (float32 needs no copy; bf16/f16 are read into the
 * upper half of the float32 destination and widened in place).
 */
import { closeSync, fstatSync, openSync, read, readSync } from "node:fs";
import { type HalfDType, dtypeSize, halfToF32, isFloatDType } from "./dtype.js";
import { ModelFormatError, where } from "./errors.js";
import { type ModelHeader, type TensorHeader, readModelHeader } from "./model-header.js";
import { HeaderCache } from "./header-cache.js";
import { readParts } from "./vectored.js";
import type { LoraFactors } from "./lora-model.js";
import { type LoadedFactors, addLoraDelta, transpose } from "./lora-delta.js";

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("mergelang's tensor I/O needs a little-endian machine");
}

function readAsync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  return new Promise((res, rej) => read(fd, buf, offset, length, position, (err, n) => (err ? rej(err) : res(n))));
}

/** Largest single read request (Node refuses lengths ≥ 2 GiB). */
const MAX_CHUNK = 1 << 30;

export class ModelReader {
  readonly header: ModelHeader;
  private readonly fds = new Map<string, number>();
  private closed = false;
  private lastFactors: LoadedFactors | null = null;

  constructor(header: ModelHeader) {
    this.header = header;
  }

  /** Tensor description, or a ModelFormatError naming the model. */
  tensor(name: string): TensorHeader {
    const t = this.header.tensors.get(name);
    if (!t) throw new ModelFormatError("unknown-tensor", this.header.path, `${this.header.path} has no tensor "${name}"`, name);
    return t;
  }

  has(name: string): boolean {
    return this.header.tensors.has(name);
  }

  /** Elements [start, start+count) of a float tensor, as float32. */
  async readF32(name: string, start = 0, count?: number): Promise<Float32Array> {
    const t = this.tensor(name);
    const n = count ?? t.numel - start;
    const out = new Float32Array(n);
    await this.readF32Into(name, out, start, n);
    return out;
  }

  readF32Sync(name: string, start = 0, count?: number): Float32Array {
    const t = this.tensor(name);
    const n = count ?? t.numel - start;
    const out = new Float32Array(n);
    this.readF32IntoSync(name, out, start, n);
    return out;
  }

  /** Reads elements [start, start+count) into out[0..count) (count defaults to out.length). */
  async readF32Into(name: string, out: Float32Array, start = 0, count = out.length): Promise<void> {
    const plan = this.planF32(this.tensor(name), out, start, count);
    await this.fill(plan.t, plan.bytes, plan.position);
    finishF32(plan, out, count);
    if (plan.t.lora) addLoraDelta(out, start, count, plan.t.shape[1]!, this.loraFactors(plan.t.name, plan.t.lora));
  }

  readF32IntoSync(name: string, out: Float32Array, start = 0, count = out.length): void {
    const plan = this.planF32(this.tensor(name), out, start, count);
    this.fillSync(plan.t, plan.bytes, plan.position);
    finishF32(plan, out, count);
    if (plan.t.lora) addLoraDelta(out, start, count, plan.t.shape[1]!, this.loraFactors(plan.t.name, plan.t.lora));
  }

  /** Whether a tensor's values differ from its stored bytes (a LoRA update is added as it is read). */
  isComputed(name: string): boolean {
    return this.tensor(name).lora !== undefined;
  }

  /** A tensor's LoRA factors as float32 in the row-major layouts addLoraDelta takes, kept for the tensor last read. */
  private loraFactors(name: string, f: LoraFactors): LoadedFactors {
    if (this.lastFactors?.name === name) return this.lastFactors;
    const read = (t: TensorHeader): Float32Array => {
      const out = new Float32Array(t.numel);
      const plan = this.planF32(t, out, 0, t.numel);
      this.fillSync(t, plan.bytes, plan.position);
      finishF32(plan, out, t.numel);
      return out;
    };
    const left = f.transposed ? transpose(read(f.b), f.b.shape[0]!, f.b.shape[1]!) : read(f.b);
    const right = f.transposed ? transpose(read(f.a), f.a.shape[0]!, f.a.shape[1]!) : read(f.a);
    this.lastFactors = { name, left, right, rank: f.rank, scale: f.scale };
    return this.lastFactors;
  }

  /**
   * The stored bytes of elements [start, start+count) of a tensor, any dtype, into `parts` in order
   * (their lengths add up to count × the dtype's size): for a caller that converts the values
   * itself, e.g. on other threads, from a layout of its own.
   */
  async readStoredInto(name: string, parts: readonly Uint8Array[], start = 0, count?: number): Promise<void> {
    const t = this.tensor(name);
    if (t.lora) throw new ModelFormatError("read-range", t.file, `${where(t.file, name)} has a LoRA update: read it with readF32Into, not as stored bytes`, name);
    const n = count ?? t.numel - start;
    const bytes = parts.reduce((a, p) => a + p.length, 0);
    if (!Number.isInteger(start) || !Number.isInteger(n) || start < 0 || n < 0 || start + n > t.numel || bytes !== n * dtypeSize(t.dtype)) {
      throw new ModelFormatError(
        "read-range",
        t.file,
        `cannot read elements [${start}, ${start + n}) of ${where(t.file, name)} (${t.numel} elements) into ${bytes} bytes`,
        name,
      );
    }
    const fd = this.fd(t);
    let got: number;
    try {
      got = await readParts(fd, parts, t.byteOffset + start * dtypeSize(t.dtype));
    } catch (e) {
      throw new ModelFormatError("io-error", t.file, `reading ${where(t.file, t.name)} failed: ${(e as Error).message}`, t.name);
    }
    if (got < bytes) throw this.truncated(t, fd);
  }

  /** The stored bytes of a tensor, any dtype. */
  async readRaw(name: string): Promise<Uint8Array> {
    const t = this.tensor(name);
    const bytes = Buffer.allocUnsafeSlow(t.byteLength);
    await this.fill(t, bytes, t.byteOffset);
    return bytes;
  }

  readRawSync(name: string): Uint8Array {
    const t = this.tensor(name);
    const bytes = Buffer.allocUnsafeSlow(t.byteLength);
    this.fillSync(t, bytes, t.byteOffset);
    return bytes;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  private planF32(t: TensorHeader, out: Float32Array, start: number, count: number): F32Plan {
    const name = t.name;
    if (!isFloatDType(t.dtype)) {
      throw new ModelFormatError(
        "dtype-not-float",
        t.file,
        `${where(t.file, name)} is ${t.dtype}, not a float tensor; read it with readRaw`,
        name,
      );
    }
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > t.numel || count > out.length) {
      throw new ModelFormatError(
        "read-range",
        t.file,
        `cannot read elements [${start}, ${start + count}) of ${where(t.file, name)} (${t.numel} elements) into ${out.length} slots`,
        name,
      );
    }
    const size = dtypeSize(t.dtype);
    const position = t.byteOffset + start * size;
    const byteLength = count * size;
    let bytes: Uint8Array;
    if (t.dtype === "F32") bytes = new Uint8Array(out.buffer, out.byteOffset, byteLength);
    else if (size === 2) bytes = new Uint8Array(out.buffer, out.byteOffset + count * 2, byteLength);
    else bytes = new Uint8Array(new ArrayBuffer(byteLength)); // F64: wider than the destination
    return { t, bytes, position };
  }

  private fd(t: TensorHeader): number {
    if (this.closed) throw new ModelFormatError("io-error", t.file, `the reader of ${this.header.path} is closed`, t.name);
    let fd = this.fds.get(t.file);
    if (fd === undefined) {
      try {
        fd = openSync(t.file, "r");
      } catch (e) {
        throw new ModelFormatError("missing-file", t.file, `cannot open ${t.file} to read tensor "${t.name}": ${(e as Error).message}`, t.name);
      }
      this.fds.set(t.file, fd);
    }
    return fd;
  }

  private truncated(t: TensorHeader, fd: number): ModelFormatError {
    let size = "fewer";
    try {
      size = String(fstatSync(fd).size);
    } catch {
      // keep the vaguer wording
    }
    return new ModelFormatError(
      "truncated",
      t.file,
      `${t.file} is truncated: ${where(t.file, t.name)} needs bytes up to ${t.byteOffset + t.byteLength}, the file has ${size}`,
      t.name,
    );
  }

  private async fill(t: TensorHeader, bytes: Uint8Array, position: number): Promise<void> {
    const fd = this.fd(t);
    let done = 0;
    while (done < bytes.length) {
      let n: number;
      try {
        n = await readAsync(fd, bytes, done, Math.min(bytes.length - done, MAX_CHUNK), position + done);
      } catch (e) {
        throw new ModelFormatError("io-error", t.file, `reading ${where(t.file, t.name)} failed: ${(e as Error).message}`, t.name);
      }
      if (n === 0) throw this.truncated(t, fd);
      done += n;
    }
  }

  private fillSync(t: TensorHeader, bytes: Uint8Array, position: number): void {
    const fd = this.fd(t);
    let done = 0;
    while (done < bytes.length) {
      let n: number;
      try {
        n = readSync(fd, bytes, done, Math.min(bytes.length - done, MAX_CHUNK), position + done);
      } catch (e) {
        throw new ModelFormatError("io-error", t.file, `reading ${where(t.file, t.name)} failed: ${(e as Error).message}`, t.name);
      }
      if (n === 0) throw this.truncated(t, fd);
      done += n;
    }
  }
}

interface F32Plan {
  t: TensorHeader;
  bytes: Uint8Array;
  position: number;
}

function finishF32(plan: F32Plan, out: Float32Array, count: number): void {
  const { t, bytes } = plan;
  if (t.dtype === "F32") return;
  if (t.dtype === "F64") {
    out.set(new Float64Array(bytes.buffer, bytes.byteOffset, count));
    return;
  }
  halfToF32(t.dtype as HalfDType, new Uint16Array(bytes.buffer, bytes.byteOffset, count), out.subarray(0, count));
}

/** Opens a model folder or file for reading (headers through `cache` when given). */
export function openModel(path: string, cache?: HeaderCache): ModelReader {
  return new ModelReader(cache ? cache.get(path) : readModelHeader(path));
}
