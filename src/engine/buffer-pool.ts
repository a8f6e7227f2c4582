/**
 * Float32 buffers reused from tensor to tensor, so that streaming a model does not allocate (and
 * leave to the garbage collector) a fresh array per node and tensor. A request takes the smallest
 * free buffer that is large enough but at most twice the size (a small tensor never holds a buffer
 * that a large one will need), else allocates; peak memory stays near what the largest tensor needs.
 * A buffer may be lent out until a promise settles (a write reading it), and a request that only a
 * lent buffer fits may wait for it (`acquireSoon`) rather than allocate another.
 */
export class BufferPool {
  private free: Float32Array[] = [];
  private allocatedBytes = 0;
  /** Buffers lent out (by their memory): their size, whether they came back meanwhile, the loan's end. */
  private readonly lent = new Map<ArrayBufferLike, Loan>();

  /** `shared`: allocate in SharedArrayBuffers, so that worker threads can work on the buffers. */
  constructor(readonly shared = false) {}

  /** A buffer of exactly `length` elements (contents undefined). */
  acquire(length: number): Float32Array {
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
      buffer = new Float32Array(this.shared ? new SharedArrayBuffer(length * 4) : new ArrayBuffer(length * 4));
      this.allocatedBytes += buffer.byteLength;
    }
    return buffer.length === length ? buffer : buffer.subarray(0, length);
  }

  /** Like `acquire`, but when only a lent buffer would fit, waits for it rather than allocating another. */
  async acquireSoon(length: number): Promise<Float32Array> {
    for (;;) {
      if (this.free.some((b) => fits(b.length, length))) break;
      const loan = [...this.lent.values()].find((l) => fits(l.length, length));
      if (!loan) break;
      await loan.over;
    }
    return this.acquire(length);
  }

  /** Returns a buffer (or a view from `acquire`) to the pool. */
  release(buffer: Float32Array): void {
    const whole = buffer.byteOffset === 0 && buffer.length * 4 === buffer.buffer.byteLength ? buffer : new Float32Array(buffer.buffer);
    const loan = this.lent.get(whole.buffer);
    if (loan) loan.returned = whole;
    else this.free.push(whole);
  }

  /**
   * Keeps a buffer (or a view from `acquire`) from being handed out again until `until` settles,
   * even if it is released before (e.g. while a write still reads it).
   */
  lend(buffer: Float32Array, until: Promise<unknown>): void {
    const key = buffer.buffer;
    const loan: Loan = {
      length: key.byteLength / 4,
      returned: null,
      over: until.then(
        () => undefined,
        () => undefined,
      ),
    };
    this.lent.set(key, loan);
    void loan.over.then(() => {
      this.lent.delete(key);
      if (loan.returned) this.free.push(loan.returned);
    });
  }

  /** Bytes ever allocated by this pool (its peak footprint). */
  get bytes(): number {
    return this.allocatedBytes;
  }

  clear(): void {
    this.free = [];
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
