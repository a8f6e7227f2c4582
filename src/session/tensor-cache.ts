/**
 * Tensors a notebook has read or computed, kept between cells up to a memory cap and evicted least
 * recently used first. Keys include the model files' change stamp, so an edited model is read again.
 */

export interface CacheStats {
  entries: number;
  bytes: number;
  capBytes: number;
  hits: number;
  misses: number;
}

/** Default cap: 1 GB, or the MERGELANG_CACHE environment variable (e.g. "4GB", "0" to turn off). */
export const DEFAULT_CACHE_BYTES = 1e9;

export class TensorCache {
  private readonly entries = new Map<string, Float32Array>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(private cap: number = DEFAULT_CACHE_BYTES) {
    if (!(cap >= 0)) throw new RangeError(`the cache cap must be 0 or more bytes, got ${cap}`);
  }

  get capBytes(): number {
    return this.cap;
  }

  /** A cached tensor (marked as just used), or undefined. */
  get(key: string): Float32Array | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Keeps `value` unless it alone is larger than the cap; evicts the oldest entries to make room. */
  set(key: string, value: Float32Array): void {
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.byteLength;
    }
    if (value.byteLength > this.cap) return;
    this.entries.set(key, value);
    this.bytes += value.byteLength;
    this.evict();
  }

  setCap(bytes: number): void {
    if (!(bytes >= 0)) throw new RangeError(`the cache cap must be 0 or more bytes, got ${bytes}`);
    this.cap = bytes;
    this.evict();
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  stats(): CacheStats {
    return { entries: this.entries.size, bytes: this.bytes, capBytes: this.cap, hits: this.hits, misses: this.misses };
  }

  private evict(): void {
    for (const [key, value] of this.entries) {
      if (this.bytes <= this.cap) break;
      this.entries.delete(key);
      this.bytes -= value.byteLength;
    }
  }
}
