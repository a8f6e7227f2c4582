/** Tests run TensorFlow.js on its cpu backend, quietly. */
import * as tf from "@tensorflow/tfjs-core";
import { activateTfjsBackend } from "../../src/backends/tfjs/runtime.js";

export async function useTfjsCpu(): Promise<typeof tf> {
  await activateTfjsBackend("cpu");
  return tf;
}

/**
 * Chunks from this many elements count their statistics on the device (production: 65536), so that
 * the fixtures' larger tensors (8192 and 16384 elements) take the device path and the rest the host's.
 */
export const HISTOGRAM_MIN = 8192;
