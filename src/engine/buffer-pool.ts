/**
 * Float32 buffers reused from tensor to tensor, so that streaming a model does not allocate (and
 * leave to the garbage collector) a fresh array per node and tensor. A request takes the smallest
 * free buffer that is large enough but at most twice the size (a small tensor never holds a buffer
 * that a large one will need), else allocates; peak memory stays near what the largest tensor needs.
 */
export class BufferPool {
  private free: Float32Array[] = [];
  private allocatedBytes = 0;

  /** `shared`: allocate in SharedArrayBuffers, so that worker threads can work on the buffers. */
  constructor(readonly shared = false) {}

  /** A buffer of exactly `length` elements (contents undefined). */
  acquire(length: number): Float32Array {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const cap = this.free[i]!.length;
      if (cap >= length && cap <= 2 * length + 1024 && (best < 0 || cap < this.free[best]!.length)) best = i;
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

  /** Returns a buffer (or a view from `acquire`) to the pool. */
  release(buffer: Float32Array): void {
    const whole = buffer.byteOffset === 0 && buffer.length * 4 === buffer.buffer.byteLength;
    this.free.push(whole ? buffer : new Float32Array(buffer.buffer));
  }

  /** Bytes ever allocated by this pool (its peak footprint). */
  get bytes(): number {
    return this.allocatedBytes;
  }

  clear(): void {
    this.free = [];
  }
}
