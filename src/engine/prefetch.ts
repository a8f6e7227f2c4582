/** Reads of the next tensors' inputs, started while the current tensor computes. */
import type { LoadNode, NodeId } from "../graph/graph.js";
import type { FamilyTensor } from "./model-set.js";
import { decodeAll } from "./parallel/decode.js";
import { type StoredInput, readStored } from "./stored-input.js";
import { checkFiniteValues } from "./finite-inputs.js";
import type { RunContext } from "./tensor-run.js";

/** Tensors up to this many elements have their inputs read ahead, while the previous one computes. */
export const PREFETCH_MAX_ELEMENTS = 1 << 24;

/** A float tensor beyond what is read ahead freely (see LARGE_LOOKAHEAD). */
export function isLargeTensor(t: FamilyTensor): boolean {
  return t.float && t.numel > PREFETCH_MAX_ELEMENTS;
}

/** Reads of a whole tensor's inputs, started ahead of its evaluation. */
export class Prefetch {
  private readonly reads = new Map<NodeId, Promise<StoredInput>>();
  private readonly loads = new Map<NodeId, LoadNode>();

  constructor(
    private readonly ctx: RunContext,
    private readonly tensor: FamilyTensor,
    loads: readonly LoadNode[],
  ) {
    for (const load of loads) {
      this.loads.set(load.id, load);
      const read = readStored(ctx, load, tensor.name, 0, tensor.numel);
      read.catch(() => undefined); // reported when taken; never an unhandled rejection
      this.reads.set(load.id, read);
    }
  }

  /** Whether a tensor's inputs are worth reading ahead (one chunk, not too large). */
  static worthIt(ctx: RunContext, tensor: FamilyTensor): boolean {
    return tensor.float && tensor.numel <= Math.min(PREFETCH_MAX_ELEMENTS, ctx.maxChunkElements);
  }

  /** The read of a load's tensor as float32 values (widened on this thread when still stored, and checked then). */
  take(id: NodeId): Promise<Float32Array> | undefined {
    return this.takeStored(id)?.then((input) => {
      if (input.stored) {
        decodeAll([{ dst: input.values, dtype: input.stored, nonFinite: null }]);
        checkFiniteValues(this.ctx.allowNonFinite, this.loads.get(id)!, this.tensor.name, input.values, input.range);
      }
      return input.values;
    });
  }

  /** The read of a load's tensor as it was read (see StoredInput). */
  takeStored(id: NodeId): Promise<StoredInput> | undefined {
    const read = this.reads.get(id);
    this.reads.delete(id);
    return read;
  }

  /** Returns the buffers nobody took to the pool. */
  async discard(): Promise<void> {
    const left = [...this.reads.values()];
    this.reads.clear();
    for (const read of left) {
      try {
        this.ctx.pool.release((await read).values);
      } catch {
        // the read failed: nothing to release
      }
    }
  }
}

/**
 * Read-ahead is kept going until this many elements of the coming tensors are being read: a tiny
 * tensor (a norm's weights) next does not leave the large one after it unread.
 */
export const READ_AHEAD_ELEMENTS = 1 << 20;

/**
 * A large tensor (one chunk, over PREFETCH_MAX_ELEMENTS) within this many tensors is read ahead
 * while small ones compute, when no other large one is being read or computed: its read (hundreds
 * of megabytes) then overlaps their work, and memory stays within one large tensor's inputs plus
 * the small tensors' buffers, below what the large tensor's own evaluation needs.
 */
export const LARGE_LOOKAHEAD = 8;

/** The read-ahead over a list of tensors processed in order. */
export class ReadAhead {
  private readonly started = new Map<number, Prefetch>();

  constructor(
    private readonly ctx: RunContext,
    private readonly tensors: readonly FamilyTensor[],
    private readonly loads: readonly LoadNode[],
  ) {}

  /** The reads started for tensor `i` (taken over by the caller), starting those of the tensors after it. */
  take(i: number): Prefetch | null {
    const mine = this.started.get(i) ?? null;
    this.started.delete(i);
    let ahead = 0;
    for (let j = i + 1; j < this.tensors.length && ahead < READ_AHEAD_ELEMENTS; j++) {
      const t = this.tensors[j]!;
      if (!Prefetch.worthIt(this.ctx, t)) break;
      if (!this.started.has(j)) this.started.set(j, new Prefetch(this.ctx, t, this.loads));
      ahead += t.numel;
    }
    this.startLarge(i);
    return mine;
  }

  /** While tensor `i` is small and no large read is under way: the next large tensor's read, if near. */
  private startLarge(i: number): void {
    const large = isLargeTensor;
    if (large(this.tensors[i]!) || [...this.started.keys()].some((j) => large(this.tensors[j]!))) return;
    for (let j = i + 1; j < Math.min(this.tensors.length, i + 1 + LARGE_LOOKAHEAD); j++) {
      const t = this.tensors[j]!;
      if (!large(t)) continue;
      if (t.numel <= this.ctx.maxChunkElements) this.started.set(j, new Prefetch(this.ctx, t, this.loads));
      return;
    }
  }

  /** Returns the buffers of reads nobody took to the pool. */
  async discard(): Promise<void> {
    const left = [...this.started.values()];
    this.started.clear();
    for (const p of left) await p.discard();
  }
}
