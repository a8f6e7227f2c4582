/** Messages between the engine and its worker threads (plain, structured-cloneable data). */
import type { HalfDType } from "../../io/index.js";
import type { ChunkInputs } from "../../methods/method.js";
import type { PassInfo } from "../stats-runner.js";
import type { ClaimRef } from "./claims.js";
import type { PendingDecode } from "./decode.js";
import type { HistogramPart } from "./histogram-parts.js";
import { existingHeap, threadHeap } from "../../wasm/heap.js";

/** A typed array over shared memory, as it travels to a worker. */
export interface SharedView {
  /** null: the array lies in the kernels' shared memory (wasm/heap.ts), which each worker holds already (posting that memory's buffer costs milliseconds). */
  buffer: SharedArrayBuffer | null;
  byteOffset: number;
  length: number;
}

/** A Float32Array over shared memory. */
export type SharedF32 = SharedView;

export interface ChunkRef {
  inputs: SharedF32[];
  base: SharedF32 | null;
  length: number;
  offset: number;
  rowLength: number;
}

/** An input still in its stored 16-bit form (see decode.ts). */
export interface DecodeRef {
  dst: SharedF32;
  dtype: HalfDType;
  /** PendingDecode's nonFinite flag (one Int32). */
  nonFinite: SharedArrayBuffer | null;
}

interface TaskBase {
  id: number;
  /** The element ranges to take turns on with the other threads. */
  claims: ClaimRef;
  /** Inputs to widen, range by range, before the range is used. */
  decodes: DecodeRef[];
}

interface KernelTask extends TaskBase {
  kernel: string;
  backend: string;
  params: unknown;
  chunk: ChunkRef;
  tensor: string;
}

export interface ApplyTask extends KernelTask {
  kind: "apply";
  stats: unknown;
  out: SharedF32;
  /** Round each range of `out` to this 16-bit dtype in place once computed (see decode.ts). */
  encode: HalfDType | null;
}

export interface CountTask extends KernelTask {
  kind: "count";
  pass: PassInfo;
  /** Per block of BLOCK elements and series, the block's sum (for series that sum). */
  sums: SharedView | null;
}

export interface DecodeTask extends TaskBase {
  kind: "decode";
}

/** Rounds a float32 buffer to 16 bits in place (see decode.ts). */
export interface EncodeTask extends TaskBase {
  kind: "encode";
  buf: SharedF32;
  dtype: HalfDType;
}

export type WorkerTask = ApplyTask | CountTask | DecodeTask | EncodeTask;

export type WorkerReply =
  | { id: number; ok: true; elements: number; counts?: (HistogramPart | null)[]; kept?: (Uint32Array | null)[] }
  | { id: number; ok: false; message: string };

type SharedArray = Float32Array | Float64Array;

export function isShared(a: SharedArray): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

export function toShared(a: SharedArray): SharedView {
  if (!(a.buffer instanceof SharedArrayBuffer)) throw new Error("engine: a buffer for worker threads is not shared memory");
  return { buffer: existingHeap()?.owns(a) ? null : a.buffer, byteOffset: a.byteOffset, length: a.length };
}

/** The buffer to view `s` in: the thread's memory for heap arrays, whose views the kernels then take by address. */
function bufferOf(s: SharedView): SharedArrayBuffer {
  return s.buffer ?? threadHeap().buffer;
}

export function fromShared(s: SharedF32): Float32Array {
  return new Float32Array(bufferOf(s), s.byteOffset, s.length);
}

export function f64FromShared(s: SharedView): Float64Array {
  return new Float64Array(bufferOf(s), s.byteOffset, s.length);
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

export function decodeRef(d: PendingDecode): DecodeRef {
  return { dst: toShared(d.dst), dtype: d.dtype, nonFinite: d.nonFinite ? (d.nonFinite.buffer as SharedArrayBuffer) : null };
}

export function decodeFromRef(ref: DecodeRef): PendingDecode {
  return { dst: fromShared(ref.dst), dtype: ref.dtype, nonFinite: ref.nonFinite ? new Int32Array(ref.nonFinite) : null };
}
