/**
 * Reusable Float32Array scratch buffers, one per slot, grown on demand, so that the hot loops of a
 * method allocate nothing per chunk. A buffer's contents are garbage when handed out.
 */
export class Scratch {
  private buffers: Float32Array[] = [];
  private buffers64: Float64Array[] = [];

  /** A buffer of exactly `length` elements for `slot` (a view when the slot's buffer is larger). */
  f32(slot: number, length: number): Float32Array {
    let buffer = this.buffers[slot];
    if (buffer === undefined || buffer.length < length) {
      buffer = new Float32Array(length);
      this.buffers[slot] = buffer;
    }
    return buffer.length === length ? buffer : buffer.subarray(0, length);
  }

  /** A float64 buffer of exactly `length` elements for `slot` (slots separate from `f32`'s). */
  f64(slot: number, length: number): Float64Array {
    let buffer = this.buffers64[slot];
    if (buffer === undefined || buffer.length < length) {
      buffer = new Float64Array(length);
      this.buffers64[slot] = buffer;
    }
    return buffer.length === length ? buffer : buffer.subarray(0, length);
  }

  /** Bytes currently held. */
  get bytes(): number {
    let total = 0;
    for (const b of this.buffers) if (b) total += b.byteLength;
    for (const b of this.buffers64) if (b) total += b.byteLength;
    return total;
  }

  /** Drops every buffer (after a large tensor, so that its scratch does not stay alive). */
  clear(): void {
    this.buffers = [];
    this.buffers64 = [];
  }
}
