/**
 * Method kernels on TensorFlow.js tensors, registered in the same registry as the CPU kernels under
 * backend "tfjs" (one method, one kernel per backend). A tfjs kernel mirrors its CPU kernel: the
 * same name, parameters and statistics stages (so both select the same order statistics), with
 * tensor versions of the series and of `apply`. Written against `@tensorflow/tfjs-core` ops only, it
 * runs on any tfjs backend (cpu, wasm, the tensorflow GPU binding).
 *
 * It is also a complete `MethodKernel`: its Float32Array `apply` and `values` upload the chunk, run
 * the tensor steps and download the result, so it can be compared with the CPU kernel on arrays.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { AnyMethodKernel, ChunkInputs, MethodKernel, StageResults } from "../method.js";

/** One chunk of a call's inputs as 1-D tensors of equal length (see `ChunkInputs`). */
export interface TensorChunk {
  inputs: readonly tf.Tensor1D[];
  base: tf.Tensor1D | null;
  length: number;
  offset: number;
  rowLength: number;
}

/** The tensor steps of a method. Every function may leave intermediates to the caller's `tf.tidy`. */
export interface TensorSteps<P, S> {
  /**
   * Chunk-sized float32 tensors the steps hold at their peak besides the inputs (for the device
   * memory budget; checked by the tests with `tf.profile`).
   */
  deviceTemps(inputCount: number): number;
  /** The series of statistics stage `stage`, one tensor of `chunk.length` per series. */
  series?(params: P, stage: number, earlier: StageResults, chunk: TensorChunk): tf.Tensor[];
  /** Chunk-sized tensors the series hold at their peak besides the inputs (with `series`). */
  seriesTemps?(inputCount: number): number;
  /** The result for one chunk. */
  apply(params: P, stats: S | null, chunk: TensorChunk): tf.Tensor;
}

export interface TfjsMethodKernel<P, S> extends MethodKernel<P, S> {
  readonly backend: "tfjs";
  readonly steps: TensorSteps<P, S>;
}

export type AnyTfjsKernel = TfjsMethodKernel<unknown, unknown>;

export function isTfjsKernel(kernel: AnyMethodKernel | undefined): kernel is AnyTfjsKernel {
  return kernel !== undefined && kernel.backend === "tfjs" && "steps" in kernel;
}

/** The chunk's arrays as tensors (the caller disposes them, e.g. with `tf.tidy`). */
export function uploadChunk(chunk: ChunkInputs): TensorChunk {
  return {
    inputs: chunk.inputs.map((x) => tf.tensor1d(x.subarray(0, chunk.length), "float32")),
    base: chunk.base ? tf.tensor1d(chunk.base.subarray(0, chunk.length), "float32") : null,
    length: chunk.length,
    offset: chunk.offset,
    rowLength: chunk.rowLength,
  };
}

/** A tfjs kernel with the CPU kernel's name, parameters and statistics stages, and tensor steps. */
export function tfjsKernel<P, S>(cpu: MethodKernel<P, S>, steps: TensorSteps<P, S>): TfjsMethodKernel<P, S> {
  if (cpu.stats && !(steps.series && steps.seriesTemps)) throw new Error(`tfjs kernel ${cpu.name}: the method has statistics but no tensor series`);
  const series = steps.series;
  return {
    name: cpu.name,
    backend: "tfjs",
    inputKind: cpu.inputKind,
    base: cpu.base,
    scopeParams: cpu.scopeParams,
    rowwise: cpu.rowwise,
    parseParams: cpu.parseParams,
    stats:
      cpu.stats && series
        ? {
            stage: cpu.stats.stage,
            result: cpu.stats.result,
            values(params, stage, earlier, chunk, start, end, out) {
              const part: ChunkInputs = {
                inputs: chunk.inputs.map((x) => x.subarray(start, end)),
                base: chunk.base?.subarray(start, end) ?? null,
                length: end - start,
                offset: chunk.offset + start,
                rowLength: chunk.rowLength,
              };
              const values = tf.tidy(() => series(params, stage, earlier, uploadChunk(part)));
              values.forEach((v, i) => out[i]!.set(v.dataSync()));
              tf.dispose(values);
            },
          }
        : undefined,
    steps,
    apply(params, stats, chunk, out) {
      const result = tf.tidy(() => steps.apply(params, stats, uploadChunk(chunk)));
      out.set(result.dataSync());
      result.dispose();
    },
  };
}
