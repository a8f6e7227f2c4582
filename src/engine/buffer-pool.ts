/**
 * Float32 buffers reused from tensor to tensor, so that streaming a model does not allocate (and
 * leave to the garbage collector) a fresh array per node and tensor. A request takes the smallest
 * free buffer that is large enough but at most twice the size (a small tensor never holds a buffer
 * that a large one will need), else allocates; peak memory stays near what the largest tensor needs.
 * A buffer may be lent out until a promise settles (a write reading it), and a request that only a
 * lent buffer fits may wait for it (`acquireSoon`) rather than allocate another.
 *
 * With a heap (wasm/heap.ts) the buffers are blocks of the kernels' shared memory, which the SIMD
 * kernels work on in place; `clear` gives the blocks back. Past the heap's 4 GiB they are ordinary
 * buffers again.
 */
import type { WasmHeap } from "../wasm/heap.js";

export class BufferPool {
  private free: Float32Array[] = [];
  private allocatedBytes = 0;
  /** Buffers lent out (whole buffers): their size, whether they came back meanwhile, the loan's end. */
  private readonly lent = new Map<Float32Array, Loan>();
  /** The whole buffer behind each array `acquire` returned. */
  private readonly wholes = new WeakMap<Float32Array, Float32Array>();
  /** Heap blocks by whole buffer. */
  private readonly blocks = new Map<Float32Array, number>();
  private cleared = false;

  /**
   * `shared`: allocate in SharedArrayBuffers, so that worker threads can work on the buffers;
   * `heap`: allocate in the kernels' shared memory (shared as well).
   */
  constructor(
    readonly shared = false,
    private readonly heap: WasmHeap | null = null,
  ) {}

  /** A buffer of exactly `length` elements (contents undefined). */
  acquire(length: number): Float32Array {
    this.cleared = false;
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const cap = this.free[i]!.length;
      if (fits(cap, length) && (best < 0 || cap < this.free[best]!.length)) best = i;
    }
    let buffer: Float32Array;
    if (best >= 0) {
      buffer = this.free[best]!;
      this.free.splice(best, 1);
    } else {
      // On the heap, free buffers that do not fit go back to it first: the new one is then carved
      // from memory already touched (a large tensor's buffers serve the small ones after it) rather
      // than from fresh pages, each of which costs a page fault.
      if (this.heap) for (const b of this.free.splice(0)) this.dispose(b);
      buffer = this.allocate(length);
      this.allocatedBytes += buffer.byteLength;
    }
    if (buffer.length === length) return buffer;
    const view = buffer.subarray(0, length);
    this.wholes.set(view, buffer);
    return view;
  }

  private allocate(length: number): Float32Array {
    const at = this.heap?.alloc(4 * length) ?? null;
    if (at !== null) {
      const buffer = this.heap!.f32(at, length);
      this.blocks.set(buffer, at);
      return buffer;
    }
    return new Float32Array(this.shared || this.heap ? new SharedArrayBuffer(length * 4) : new ArrayBuffer(length * 4));
  }

  /**
   * Like `acquire`, but when only a lent buffer would fit, waits for it rather than allocating
   * another, unless the heap holds the room already (no new memory then).
   */
  async acquireSoon(length: number): Promise<Float32Array> {
    for (;;) {
      if (this.free.some((b) => fits(b.length, length))) break;
      if (this.heap?.fitsWithoutGrowth(4 * length)) break;
      const loan = [...this.lent.values()].find((l) => fits(l.length, length));
      if (!loan) break;
      await loan.over;
    }
    return this.acquire(length);
  }

  /** Returns a buffer (or a view from `acquire`) to the pool. */
  release(buffer: Float32Array): void {
    const whole = this.wholes.get(buffer) ?? buffer;
    const loan = this.lent.get(whole);
    if (loan) loan.returned = whole;
    else this.free.push(whole);
  }

  /**
   * Keeps a buffer (or a view from `acquire`) from being handed out again until `until` settles,
   * even if it is released before (e.g. while a write still reads it).
   */
  lend(buffer: Float32Array, until: Promise<unknown>): void {
    const whole = this.wholes.get(buffer) ?? buffer;
    const loan: Loan = {
      length: whole.length,
      returned: null,
      over: until.then(
        () => undefined,
        () => undefined,
      ),
    };
    this.lent.set(whole, loan);
    void loan.over.then(() => {
      this.lent.delete(whole);
      if (this.cleared) this.dispose(whole);
      else if (loan.returned) this.free.push(loan.returned);
    });
  }

  /** Bytes ever allocated by this pool (its peak footprint). */
  get bytes(): number {
    return this.allocatedBytes;
  }

  /** Forgets the free buffers and gives every heap block back (those lent out when their loan ends). */
  clear(): void {
    this.free = [];
    this.cleared = true;
    for (const whole of [...this.blocks.keys()]) if (!this.lent.has(whole)) this.dispose(whole);
  }

  private dispose(whole: Float32Array): void {
    const at = this.blocks.get(whole);
    if (at === undefined) return;
    this.blocks.delete(whole);
    this.heap!.release(at);
  }
}

interface Loan {
  length: number;
  returned: Float32Array | null;
  over: Promise<void>;
}

/** Whether a buffer of `cap` elements may serve a request for `length`. */
function fits(cap: number, length: number): boolean {
  return cap >= length && cap <= 2 * length + 1024;
}
