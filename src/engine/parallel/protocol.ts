/** Messages between the engine and its worker threads (plain, structured-cloneable data). */
import type { ChunkInputs } from "../../methods/method.js";
import type { PassInfo } from "../stats-runner.js";

/** A Float32Array over shared memory, as it travels to a worker. */
export interface SharedF32 {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  length: number;
}

export interface ChunkRef {
  inputs: SharedF32[];
  base: SharedF32 | null;
  length: number;
  offset: number;
  rowLength: number;
}

interface TaskBase {
  id: number;
  kernel: string;
  backend: string;
  params: unknown;
  chunk: ChunkRef;
  /** The element range [start, end) of the chunk this task covers. */
  start: number;
  end: number;
  tensor: string;
}

export interface ApplyTask extends TaskBase {
  kind: "apply";
  stats: unknown;
  out: SharedF32;
}

export interface CountTask extends TaskBase {
  kind: "count";
  pass: PassInfo;
}

export type WorkerTask = ApplyTask | CountTask;

export type WorkerReply =
  | { id: number; ok: true; counts?: (Float64Array | null)[] }
  | { id: number; ok: false; message: string };

export function toShared(a: Float32Array): SharedF32 {
  if (!(a.buffer instanceof SharedArrayBuffer)) throw new Error("engine: a buffer for worker threads is not shared memory");
  return { buffer: a.buffer, byteOffset: a.byteOffset, length: a.length };
}

export function fromShared(s: SharedF32): Float32Array {
  return new Float32Array(s.buffer, s.byteOffset, s.length);
}

export function isShared(a: Float32Array): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

export function chunkRef(chunk: ChunkInputs): ChunkRef {
  return {
    inputs: chunk.inputs.map(toShared),
    base: chunk.base ? toShared(chunk.base) : null,
    length: chunk.length,
    offset: chunk.offset,
    rowLength: chunk.rowLength,
  };
}

export function chunkFromRef(ref: ChunkRef): ChunkInputs {
  return {
    inputs: ref.inputs.map(fromShared),
    base: ref.base ? fromShared(ref.base) : null,
    length: ref.length,
    offset: ref.offset,
    rowLength: ref.rowLength,
  };
}
