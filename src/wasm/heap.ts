/**
 * One shared WebAssembly.Memory that holds the engine's tensor buffers and every thread's kernel
 * scratch, so that the SIMD kernels (simd-kernels.ts) work on the buffers where they lie instead of
 * copying each block into a module memory of their own and back (a quarter of TIES's CPU time went
 * into those copies). The main thread allocates (first fit, coalescing); worker threads adopt the
 * same memory (`adoptHeap`, from their workerData) and only make views of it. wasm32 addresses stop
 * at 4 GiB: past that `alloc` answers null and the caller allocates an ordinary buffer, which the
 * kernels then take by copies as before.
 */

/** The part of the WebAssembly API used here (the project's lib setting, ES2022, does not declare it). */
export interface SharedMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}

interface MemoryApi {
  Memory: new (desc: { initial: number; maximum: number; shared: true }) => SharedMemory;
}

export const PAGE_BYTES = 65536;
/** wasm32's whole address space. */
export const MAX_PAGES = 65536;
/** Allocations start on cache lines (the kernels need 16 bytes). */
const ALIGN = 64;
/** Bytes kept free past the last allocation: the kernels may read (never write) a few lanes beyond a buffer's end. */
const TAIL_SLACK = 64;

function blockSize(bytes: number): number {
  return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
}

interface Block {
  at: number;
  bytes: number;
}

export class WasmHeap {
  /** Every SharedArrayBuffer this thread has seen of the memory (it is a new object after each growth). */
  private readonly seen = new WeakSet<ArrayBufferLike>();
  private current: SharedArrayBuffer;
  /** Free blocks by address (main thread only), and the bytes in use at the end of the memory. */
  private free: Block[] = [];
  private readonly used = new Map<number, number>();
  private top = 0;

  /** `allocates`: false in worker threads, which only make views of the main thread's blocks. */
  constructor(
    readonly memory: SharedMemory,
    private readonly allocates = true,
  ) {
    this.current = memory.buffer;
    this.seen.add(this.current);
  }

  /** A fresh memory of `initialBytes` (rounded up to pages), growable to 4 GiB. */
  static create(initialBytes = PAGE_BYTES): WasmHeap {
    const api = (globalThis as unknown as { WebAssembly: MemoryApi }).WebAssembly;
    return new WasmHeap(new api.Memory({ initial: Math.max(1, Math.ceil(initialBytes / PAGE_BYTES)), maximum: MAX_PAGES, shared: true }));
  }

  /** The memory's buffer as it is now (its length follows growth, here or in another thread). */
  get buffer(): SharedArrayBuffer {
    const b = this.memory.buffer;
    if (b !== this.current) {
      this.current = b;
      this.seen.add(b);
    }
    return b;
  }

  /** Whether `view` lies in this memory (and so may be handed to the kernels by address). */
  owns(view: ArrayBufferView): boolean {
    return this.seen.has(view.buffer) || (view.buffer === this.buffer);
  }

  /** `length` float32 elements at byte `at`. */
  f32(at: number, length: number): Float32Array {
    return new Float32Array(this.buffer, at, length);
  }

  /** Bytes in use (allocated and not freed). */
  get bytesInUse(): number {
    let n = 0;
    for (const b of this.used.values()) n += b;
    return n;
  }

  /** Whether `alloc(bytes)` would be served without growing the memory (from pages already there). */
  fitsWithoutGrowth(bytes: number): boolean {
    const size = blockSize(bytes);
    return this.free.some((b) => b.bytes >= size) || this.top + size + TAIL_SLACK <= this.memory.buffer.byteLength;
  }

  /** The byte address of a fresh block of `bytes`, or null when the 4 GiB address space cannot hold it. */
  alloc(bytes: number): number | null {
    if (!this.allocates) throw new Error("wasm heap: only the thread that created the memory allocates in it");
    const size = blockSize(bytes);
    const i = this.free.findIndex((b) => b.bytes >= size);
    let at: number;
    if (i >= 0) {
      const b = this.free[i]!;
      at = b.at;
      if (b.bytes === size) this.free.splice(i, 1);
      else this.free[i] = { at: b.at + size, bytes: b.bytes - size };
    } else {
      at = this.top;
      if (!this.reserve(at + size + TAIL_SLACK)) return null;
      this.top = at + size;
    }
    this.used.set(at, size);
    return at;
  }

  /** Gives back a block from `alloc`. */
  release(at: number): void {
    const size = this.used.get(at);
    if (size === undefined) throw new Error(`wasm heap: no block at ${at}`);
    this.used.delete(at);
    let i = 0;
    while (i < this.free.length && this.free[i]!.at < at) i++;
    this.free.splice(i, 0, { at, bytes: size });
    // Coalesce with the neighbours, then fold a free block at the top back into the top.
    if (i + 1 < this.free.length && this.free[i]!.at + this.free[i]!.bytes === this.free[i + 1]!.at) {
      this.free[i]!.bytes += this.free[i + 1]!.bytes;
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1]!.at + this.free[i - 1]!.bytes === this.free[i]!.at) {
      this.free[i - 1]!.bytes += this.free[i]!.bytes;
      this.free.splice(i, 1);
      i--;
    }
    const last = this.free[this.free.length - 1];
    if (last && last.at + last.bytes === this.top) {
      this.top = last.at;
      this.free.pop();
    }
  }

  /** Grows the memory to at least `bytes`; false past 4 GiB. */
  private reserve(bytes: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return true;
    const pages = Math.ceil((bytes - have) / PAGE_BYTES);
    if (have / PAGE_BYTES + pages > MAX_PAGES) return false;
    try {
      this.memory.grow(pages);
    } catch {
      return false; // the system refused the address space
    }
    void this.buffer;
    return true;
  }
}

let heap: WasmHeap | null = null;
let scratchAt: number | null = null;

/** This thread's heap: the one adopted from the main thread, or else (the main thread) a new one. */
export function threadHeap(): WasmHeap {
  heap ??= WasmHeap.create();
  return heap;
}

/** This thread's heap if it has one yet (nothing is created). */
export function existingHeap(): WasmHeap | null {
  return heap;
}

/** In a worker thread, before any kernel runs: use the main thread's memory, with scratch at `scratch`. */
export function adoptHeap(memory: SharedMemory, scratch: number): void {
  heap = new WasmHeap(memory, false);
  scratchAt = scratch;
}

/** Where this thread's kernel scratch was put by `adoptHeap` (null: the thread allocates its own). */
export function adoptedScratch(): number | null {
  return scratchAt;
}
