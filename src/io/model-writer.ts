/**
 * Streaming, atomic safetensors writer. The caller announces every output tensor up front, so the
 * shard layout and headers are fixed before data arrives; tensors are then written in that order
 * (in chunks if wanted), converted to the output dtype through two reusable staging buffers (one is
 * written to disk while the next fills), and never held whole in memory. Bytes already in the
 * stored dtype that are larger than a staging buffer, or come in parts, go to disk from where they
 * lie.
 */
import { close, closeSync, copyFileSync, existsSync, fdatasync, fsync, fsyncSync, open, openSync, statSync, write, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { type ReplaceOptions, createTempSibling, publish, removeTemp } from "./atomic-dir.js";
import { type DType, type OutputDType, dtypeSize, f32ToF16, f32ToHalf, isFloatDType, isHalfDType, outputDTypeToDType, torchDTypeName } from "./dtype.js";
import { countNonFinite, countNonFiniteF32 } from "./non-finite.js";
import { ModelFormatError } from "./errors.js";
import { confinedOwnFile } from "./confine.js";
import { CONFIG_FILE, INDEX_FILE, readJsonObject } from "./model-header.js";
import { type PlannedShard, type PlannedTensor, type ShardPlan, indexJson, planShards } from "./shard-plan.js";
import { writeParts } from "./vectored.js";

export interface OutputTensor {
  name: string;
  shape: number[];
  /** The tensor's dtype: float dtypes are stored as the output dtype, others are carried unchanged. */
  dtype: DType;
}

export interface ModelWriterOptions {
  /** Destination folder (created or replaced on commit). */
  path: string;
  dtype: OutputDType;
  /** Largest shard file in bytes (header included) unless one tensor alone is bigger. */
  shardSize: number;
  /** In write order. */
  tensors: OutputTensor[];
  /** Merged into `__metadata__` after `format: "pt"`. */
  metadata: Record<string, string>;
  /** Staging buffer size in bytes (two are used). */
  bufferBytes?: number;
  /** Replace an existing destination whatever it holds (default: only a folder mergelang wrote). */
  overwrite?: boolean;
  /** Write float tensors that hold NaN or ±Inf (default: an error naming the tensor and the count). */
  allowNonFinite?: boolean;
  /** Shard bytes between background syncs (default SYNC_BEHIND_BYTES). */
  syncBehindBytes?: number;
}

export interface CommitResult {
  path: string;
  /** Absolute paths of every file in the output folder, sorted. */
  files: string[];
  /** Total bytes written. */
  bytes: number;
}

/** A misuse of the writer or a failed write; the temporary folder is already removed when thrown. */
export class ModelWriteError extends Error {
  override readonly name = "ModelWriteError";
  constructor(readonly path: string, message: string, readonly tensor?: string) {
    super(message);
  }
}

export const TOKENIZER_FILES = [
  "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model",
  "generation_config.json", "vocab.json", "merges.txt", "added_tokens.json", "chat_template.jinja",
] as const;

const DEFAULT_BUFFER_BYTES = 8 << 20;

/**
 * Shard bytes after which a background fdatasync starts (when none runs): the disk takes the data
 * while the tensors after it compute, instead of all of it in the shard's closing fsync, which
 * otherwise held a 160M merge idle for a tenth of its time.
 */
export const SYNC_BEHIND_BYTES = 32 << 20;

const p = <T>(f: (cb: (err: NodeJS.ErrnoException | null, v: T) => void) => void): Promise<T> =>
  new Promise((res, rej) => f((err, v) => (err ? rej(err) : res(v))));

async function writeAll(fd: number, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    done += await p<number>((cb) => write(fd, bytes, done, bytes.length - done, position + done, cb));
  }
}

export class ModelWriter {
  readonly path: string;
  readonly outputDType: OutputDType;
  readonly plan: ShardPlan;
  private readonly tmp: string;
  private readonly buffers: [Uint8Array, Uint8Array];
  private active = 0;
  private fill = 0;
  private pending: Promise<void> = Promise.resolve();
  /** Index of the tensor being written, and bytes of it written so far. */
  private cursor = 0;
  private written = 0;
  /** Open shard: its index, descriptor and the file offset the staging buffer starts at. */
  private shardIndex = -1;
  private fd: number | null = null;
  private filePos = 0;
  /** Bytes handed to the open shard since the last background sync started, and that sync. */
  private unsynced = 0;
  private syncing: Promise<void> | null = null;
  private readonly syncEvery: number;
  /** Background syncs started so far. */
  backgroundSyncs = 0;
  private extraFiles = new Set<string>();
  private state: "open" | "committed" | "aborted" = "open";
  private busy = false;
  /** NaN and ±Inf values of the tensor being written, as stored. */
  private nonFinite = 0;
  private readonly replace: ReplaceOptions;
  private readonly allowNonFinite: boolean;

  private constructor(path: string, outputDType: OutputDType, plan: ShardPlan, tmp: string, bufferBytes: number, opts: ModelWriterOptions) {
    this.path = path;
    this.outputDType = outputDType;
    this.plan = plan;
    this.tmp = tmp;
    this.replace = { overwrite: opts.overwrite ?? false };
    this.allowNonFinite = opts.allowNonFinite ?? false;
    this.syncEvery = opts.syncBehindBytes ?? SYNC_BEHIND_BYTES;
    this.buffers = [new Uint8Array(new ArrayBuffer(bufferBytes)), new Uint8Array(new ArrayBuffer(bufferBytes))];
  }

  static async create(opts: ModelWriterOptions): Promise<ModelWriter> {
    const path = resolve(opts.path);
    const outDType = outputDTypeToDType(opts.dtype);
    if (!Number.isFinite(opts.shardSize) || opts.shardSize <= 0) {
      throw new ModelWriteError(path, `invalid shard size ${opts.shardSize}: expected a positive number of bytes`);
    }
    const seen = new Set<string>();
    const tensors = opts.tensors.map((t) => {
      if (seen.has(t.name)) throw new ModelWriteError(path, `tensor "${t.name}" is listed twice for ${path}`, t.name);
      seen.add(t.name);
      if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw new ModelWriteError(path, `tensor "${t.name}" has an invalid shape ${JSON.stringify(t.shape)}`, t.name);
      }
      return { name: t.name, shape: t.shape, dtype: isFloatDType(t.dtype) ? outDType : t.dtype };
    });
    const plan = planShards(tensors, { format: "pt", ...opts.metadata }, opts.shardSize);
    const bufferBytes = Math.max(64, Math.floor((opts.bufferBytes ?? DEFAULT_BUFFER_BYTES) / 8) * 8);
    let tmp: string;
    try {
      tmp = createTempSibling(path, { overwrite: opts.overwrite ?? false });
    } catch (e) {
      throw new ModelWriteError(path, (e as Error).message);
    }
    return new ModelWriter(path, opts.dtype, plan, tmp, bufferBytes, opts);
  }

  /** The temporary folder being written (removed on abort, renamed on commit). */
  get tempPath(): string {
    return this.tmp;
  }

  /**
   * Float data for the tensor being written, converted to its stored dtype. `elementOffset` (default:
   * where the previous chunk ended) must continue the tensor in order.
   */
  async writeF32(name: string, data: Float32Array, elementOffset?: number): Promise<void> {
    await this.guard(async () => {
      const t = this.expect(name);
      if (!isFloatDType(t.dtype)) {
        throw new ModelWriteError(this.path, `tensor "${name}" is stored as ${t.dtype}; write it with writeRaw`, name);
      }
      this.checkChunk(t, elementOffset === undefined ? undefined : elementOffset * dtypeSize(t.dtype), data.length * dtypeSize(t.dtype));
      await this.putF32(data, t.dtype);
      await this.advance(t, data.length * dtypeSize(t.dtype));
    });
  }

  /** Bytes already in the tensor's stored dtype (carried tensors, or float data that needs no conversion). */
  async writeRaw(name: string, bytes: Uint8Array, byteOffset?: number): Promise<void> {
    await this.guard(async () => {
      const t = this.expect(name);
      this.checkChunk(t, byteOffset, bytes.length);
      this.nonFinite += countNonFinite(bytes, t.dtype);
      await this.putBytes(bytes);
      await this.advance(t, bytes.length);
    });
  }

  /**
   * Bytes already in the tensor's stored dtype, as consecutive `parts` (written from where they lie,
   * without a copy); the parts must stay unchanged until this resolves.
   */
  async writeRawParts(name: string, parts: readonly Uint8Array[], byteOffset?: number): Promise<void> {
    await this.guard(async () => {
      const t = this.expect(name);
      const length = parts.reduce((a, p) => a + p.length, 0);
      this.checkChunk(t, byteOffset, length);
      for (const part of parts) this.nonFinite += countNonFinite(part, t.dtype);
      await this.ensureShard();
      await this.flush();
      await this.pending;
      const pos = this.filePos;
      this.filePos += length;
      await writeParts(this.fd!, parts, pos);
      this.syncBehind(length);
      await this.advance(t, length);
    });
  }

  /**
   * Copies config.json with torch_dtype set to the output dtype and `overrides` applied (e.g. the
   * number of layers of a stacked model); false when the folder has none.
   */
  async copyConfigFrom(folder: string, overrides: Record<string, unknown> = {}): Promise<boolean> {
    return this.guard(async () => {
      const src = confinedOwnFile(folder, CONFIG_FILE);
      if (!existsSync(src)) return false;
      const config = readJsonObject(src, "config-json");
      Object.assign(config, overrides);
      config.torch_dtype = torchDTypeName(this.outputDType);
      this.writeFileSynced(CONFIG_FILE, JSON.stringify(config, null, 2) + "\n");
      return true;
    });
  }

  /** Copies the tokenizer files present in `folder`; returns the names copied. */
  async copyTokenizerFrom(folder: string): Promise<string[]> {
    return this.guard(async () => {
      const copied: string[] = [];
      for (const name of TOKENIZER_FILES) {
        const src = confinedOwnFile(folder, name);
        if (!existsSync(src)) continue;
        copyFileSync(src, join(this.tmp, name));
        fsyncFile(join(this.tmp, name));
        this.extraFiles.add(name);
        copied.push(name);
      }
      return copied;
    });
  }

  /** A small text file in the output folder (README.md model card, recipe copy). */
  async writeText(relName: string, text: string): Promise<void> {
    await this.guard(async () => {
      if (relName !== basename(relName) || relName === "" || relName.startsWith(".")) {
        throw new ModelWriteError(this.path, `invalid output file name "${relName}": give a plain file name`);
      }
      this.writeFileSynced(relName, text);
    });
  }

  /** Finishes the last shard, writes the index, and moves the folder into place. */
  async commit(): Promise<CommitResult> {
    return this.guard(async () => {
      const missing = this.plan.tensors[this.cursor];
      if (missing) {
        throw new ModelWriteError(
          this.path,
          `cannot save ${this.path}: tensor "${missing.name}" was ${this.written > 0 ? "only partly" : "never"} written`,
          missing.name,
        );
      }
      await this.closeShard();
      // Shards that hold no tensors (an empty model) still need their header file.
      for (let i = this.shardIndex + 1; i < this.plan.shards.length; i++) {
        await this.openShard(i);
        await this.closeShard();
      }
      if (this.plan.shards.length > 1) {
        this.writeFileSynced(INDEX_FILE, indexJson(this.plan));
      }
      const names = [...this.plan.shards.map((s) => s.fileName), ...this.extraFiles].sort();
      const bytes = this.plan.shards.reduce((a, s) => a + s.fileBytes, 0) + this.extraBytes();
      publish(this.tmp, this.path, this.replace);
      this.state = "committed";
      return { path: this.path, files: names.map((n) => join(this.path, n)), bytes };
    });
  }

  /** Stops writing and removes the temporary folder; an existing destination is left untouched. */
  async abort(): Promise<void> {
    if (this.state !== "open") return;
    this.state = "aborted";
    await this.pending.catch(() => undefined);
    await this.syncDone().catch(() => undefined);
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
    removeTemp(this.tmp);
  }

  // ---- internals ----

  /** Runs one operation; any failure aborts the whole write before it is rethrown. */
  private async guard<T>(op: () => Promise<T>): Promise<T> {
    if (this.state !== "open") throw new ModelWriteError(this.path, `the writer for ${this.path} is already ${this.state}`);
    if (this.busy) {
      await this.abort();
      throw new ModelWriteError(this.path, `the writer for ${this.path} got a call before the previous one finished: await each call`);
    }
    this.busy = true;
    try {
      return await op();
    } catch (e) {
      await this.abort();
      if (e instanceof ModelWriteError || e instanceof ModelFormatError) throw e;
      throw new ModelWriteError(this.path, `writing ${this.path} failed: ${(e as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  private expect(name: string): PlannedTensor {
    const t = this.plan.tensors[this.cursor];
    if (!t || t.name !== name) {
      const known = this.plan.tensors.some((x) => x.name === name);
      throw new ModelWriteError(
        this.path,
        !known
          ? `tensor "${name}" was not announced for ${this.path}`
          : t
            ? `tensor "${name}" written out of order: "${t.name}" comes next`
            : `tensor "${name}" was already written`,
        name,
      );
    }
    return t;
  }

  private checkChunk(t: PlannedTensor, byteOffset: number | undefined, length: number): void {
    if (byteOffset !== undefined && byteOffset !== this.written) {
      throw new ModelWriteError(
        this.path,
        `tensor "${t.name}" chunk starts at byte ${byteOffset}, but ${this.written} bytes were written so far: chunks must come in order`,
        t.name,
      );
    }
    if (this.written + length > t.byteLength) {
      throw new ModelWriteError(
        this.path,
        `tensor "${t.name}" gets ${this.written + length} bytes, more than its ${t.byteLength} (shape ${JSON.stringify(t.shape)}, ${t.dtype})`,
        t.name,
      );
    }
  }

  /** Counts the chunk; opens the tensor's shard before its first byte and closes a shard after its last. */
  private async advance(t: PlannedTensor, length: number): Promise<void> {
    this.written += length;
    if (this.written < t.byteLength) return;
    if (this.nonFinite > 0 && !this.allowNonFinite) throw this.nonFiniteError(t);
    this.nonFinite = 0;
    this.cursor++;
    this.written = 0;
    const next = this.plan.tensors[this.cursor];
    if (!next || next.shard !== t.shard) await this.closeShard();
  }

  private nonFiniteError(t: PlannedTensor): ModelWriteError {
    const n = this.nonFinite;
    const overflow = t.dtype === "F16" ? " (f16's largest value is 65504: larger values become ±Inf; save with dtype: \"bf16\" or \"f32\")" : "";
    return new ModelWriteError(
      this.path,
      `tensor "${t.name}" would be saved to ${this.path} with ${n} NaN or ±Inf value${n === 1 ? "" : "s"} as ${t.dtype}${overflow}; ` +
        "pass allow_nonfinite: true to save(...) (--allow-nonfinite) to write them anyway",
      t.name,
    );
  }

  private async ensureShard(): Promise<void> {
    const t = this.plan.tensors[this.cursor]!;
    if (this.shardIndex === t.shard && this.fd !== null) return;
    await this.openShard(t.shard);
  }

  private async openShard(i: number): Promise<void> {
    const shard: PlannedShard = this.plan.shards[i]!;
    this.fd = await p<number>((cb) => open(join(this.tmp, shard.fileName), "w", cb));
    this.shardIndex = i;
    this.filePos = 0;
    this.fill = 0;
    await this.putBytesRaw(shard.header);
  }

  private async closeShard(): Promise<void> {
    if (this.fd === null) return;
    await this.flush();
    await this.pending;
    await this.syncDone();
    const fd = this.fd;
    this.fd = null;
    const shard = this.plan.shards[this.shardIndex]!;
    if (this.filePos !== shard.fileBytes) {
      throw new ModelWriteError(this.path, `internal error: shard ${shard.fileName} has ${this.filePos} bytes, planned ${shard.fileBytes}`);
    }
    await p<void>((cb) => fsync(fd, (err) => cb(err, undefined)));
    await p<void>((cb) => close(fd, (err) => cb(err, undefined)));
  }

  /** Sends the filled part of the active buffer to disk and switches to the other buffer. */
  private async flush(): Promise<void> {
    if (this.fill === 0) return;
    await this.pending;
    const fd = this.fd!;
    const chunk = this.buffers[this.active]!.subarray(0, this.fill);
    const pos = this.filePos;
    this.filePos += this.fill;
    // The write runs while the caller fills the other buffer; the next flush waits for it. The no-op
    // catch only marks the promise as observed: its error still surfaces at that next await.
    this.pending = writeAll(fd, chunk, pos);
    this.pending.catch(() => undefined);
    this.syncBehind(chunk.length);
    this.active ^= 1;
    this.fill = 0;
  }

  private async putBytes(bytes: Uint8Array): Promise<void> {
    await this.ensureShard();
    if (bytes.length < this.buffers[0]!.length) {
      await this.putBytesRaw(bytes);
      return;
    }
    // A large range goes to the file as it is, after what is staged: no copy through the buffers.
    await this.flush();
    await this.pending;
    const pos = this.filePos;
    this.filePos += bytes.length;
    await writeAll(this.fd!, bytes, pos);
    this.syncBehind(bytes.length);
  }

  /** Starts a background fdatasync of the open shard every SYNC_BEHIND_BYTES (see there). */
  private syncBehind(bytes: number): void {
    this.unsynced += bytes;
    if (this.syncing !== null || this.unsynced < this.syncEvery || this.fd === null) return;
    this.unsynced = 0;
    this.backgroundSyncs++;
    const fd = this.fd;
    const sync: Promise<void> = p<void>((cb) => fdatasync(fd, (err) => cb(err, undefined))).finally(() => {
      if (this.syncing === sync) this.syncing = null;
    });
    sync.catch(() => undefined); // surfaces at the shard's close
    this.syncing = sync;
  }

  /** Waits for the background sync (before the descriptor is closed: its number could be reused). */
  private async syncDone(): Promise<void> {
    const sync = this.syncing;
    this.syncing = null;
    this.unsynced = 0;
    await sync;
  }

  private async putBytesRaw(bytes: Uint8Array): Promise<void> {
    let i = 0;
    while (i < bytes.length) {
      if (this.fill === this.buffers[this.active]!.length) await this.flush();
      const buf = this.buffers[this.active]!;
      const n = Math.min(buf.length - this.fill, bytes.length - i);
      buf.set(bytes.subarray(i, i + n), this.fill);
      this.fill += n;
      i += n;
    }
  }

  private async putF32(data: Float32Array, stored: DType): Promise<void> {
    await this.ensureShard();
    const size = dtypeSize(stored);
    let i = 0;
    while (i < data.length) {
      // Typed views need aligned offsets: a carried 1-byte tensor may have left the buffer unaligned.
      if (this.fill % size !== 0) await this.flush();
      let buf = this.buffers[this.active]!;
      if (buf.length - this.fill < size) {
        await this.flush();
        buf = this.buffers[this.active]!;
      }
      const n = Math.min(Math.floor((buf.length - this.fill) / size), data.length - i);
      const src = data.subarray(i, i + n);
      if (stored === "BF16") f32ToHalf("BF16", src, new Uint16Array(buf.buffer, buf.byteOffset + this.fill, n));
      else if (stored === "F16") f32ToF16(src, new Uint16Array(buf.buffer, buf.byteOffset + this.fill, n));
      else if (stored === "F32") new Float32Array(buf.buffer, buf.byteOffset + this.fill, n).set(src);
      else new Float64Array(buf.buffer, buf.byteOffset + this.fill, n).set(src);
      // Counted as stored: a value that overflowed the 16-bit range is ±Inf now.
      this.nonFinite += isHalfDType(stored) ? countNonFinite(buf.subarray(this.fill, this.fill + n * size), stored) : countNonFiniteF32(src);
      this.fill += n * size;
      i += n;
    }
  }

  private writeFileSynced(name: string, text: string): void {
    const file = join(this.tmp, name);
    writeFileSync(file, text);
    fsyncFile(file);
    this.extraFiles.add(name);
  }

  private extraBytes(): number {
    let total = 0;
    for (const n of this.extraFiles) total += statSync(join(this.tmp, n)).size;
    return total;
  }
}

function fsyncFile(file: string): void {
  const fd = openSync(file, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
