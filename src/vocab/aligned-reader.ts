/**
 * A model's tensors as the merge sees them once vocabularies are aligned: its embedding and head
 * rows re-indexed to the output vocabulary (a row it lacks taken from another model, averaged, or
 * zero, as the plan says); every other tensor as stored. Reads of consecutive rows that come from
 * consecutive source rows are one read.
 */
import { type ModelHeader, ModelReader, type TensorHeader } from "../io/index.js";
import type { VocabPlan } from "./vocab-plan.js";

/** The header of a model whose vocabulary tensors have `size` rows (read as float32). */
export function alignedHeader(header: ModelHeader, names: readonly string[], size: number): ModelHeader {
  const tensors = new Map<string, TensorHeader>();
  for (const [name, t] of header.tensors) {
    if (!names.includes(name)) {
      tensors.set(name, t);
      continue;
    }
    const shape = [size, ...t.shape.slice(1)];
    const numel = shape.reduce((a, d) => a * d, 1);
    tensors.set(name, { ...t, shape, numel, dtype: "F32", byteLength: numel * 4 });
  }
  return { ...header, tensors };
}

interface Segment {
  key: string;
  /** Element offsets in the source tensor and in the destination. */
  src: number;
  dst: number;
  length: number;
}

export class AlignedReader extends ModelReader {
  constructor(
    header: ModelHeader,
    private readonly key: string,
    private readonly names: ReadonlySet<string>,
    private readonly plan: VocabPlan,
    /** The stored (unaligned) reader of any merged model, by key. */
    private readonly stored: (key: string) => ModelReader,
  ) {
    super(header);
  }

  override async readF32Into(name: string, out: Float32Array, start = 0, count = out.length): Promise<void> {
    if (!this.names.has(name)) return super.readF32Into(name, out, start, count);
    const t = this.tensor(name);
    const rowSize = t.numel / this.plan.size;
    const own = this.plan.rowOf.get(this.key)!;
    let pending: Segment | null = null;
    const flush = async (): Promise<void> => {
      if (!pending) return;
      const p: Segment = pending;
      pending = null;
      await this.stored(p.key).readF32Into(name, out.subarray(p.dst, p.dst + p.length), p.src, p.length);
    };
    for (let i = start, end = start + count; i < end; ) {
      const row = Math.floor(i / rowSize);
      const col = i - row * rowSize;
      const length = Math.min(rowSize - col, end - i);
      const dst = i - start;
      const mine = this.plan.forced.has(row) ? -1 : own[row]!;
      const fill = this.plan.fill[row]!;
      const source = mine >= 0 ? { key: this.key, row: mine } : fill.kind === "row" ? fill : null;
      if (source) {
        const src = source.row * rowSize + col;
        const p = pending as Segment | null;
        if (p && p.key === source.key && p.src + p.length === src && p.dst + p.length === dst) p.length += length;
        else {
          await flush();
          pending = { key: source.key, src, dst, length };
        }
      } else {
        await flush();
        const target = out.subarray(dst, dst + length);
        target.fill(0);
        if (fill.kind === "mean") {
          const part = new Float32Array(length);
          for (const r of fill.rows) {
            await this.stored(r.key).readF32Into(name, part, r.row * rowSize + col, length);
            for (let k = 0; k < length; k++) target[k]! += part[k]!;
          }
          for (let k = 0; k < length; k++) target[k]! /= fill.rows.length;
        }
      }
      i += length;
    }
    await flush();
  }

  override readF32IntoSync(name: string, out: Float32Array, start = 0, count = out.length): void {
    if (this.names.has(name)) throw new Error(`internal error: tensor "${name}" of ${this.header.path} is re-indexed to the output vocabulary and has no synchronous read`);
    super.readF32IntoSync(name, out, start, count);
  }

  override async readStoredInto(name: string, parts: readonly Uint8Array[], start = 0, count?: number): Promise<void> {
    if (this.names.has(name)) throw new Error(`internal error: tensor "${name}" of ${this.header.path} is re-indexed to the output vocabulary: read it as float32`);
    return super.readStoredInto(name, parts, start, count);
  }
}
