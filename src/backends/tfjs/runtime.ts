/** Starting a TensorFlow.js backend by name ("cpu", "wasm", "tensorflow"), quietly. */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { DeviceError } from "../errors.js";

/** Makes `name` the active tfjs backend (the engine is global to the process). */
export async function activateTfjsBackend(name: string): Promise<void> {
  // Production mode: no debug checks, and no "install the node backend" banner from the cpu backend.
  tf.env().set("PROD", true);
  if (tf.getBackend() !== name) {
    let ok = false;
    try {
      ok = await tf.setBackend(name);
    } catch (e) {
      throw new DeviceError(`TensorFlow.js could not start its "${name}" backend: ${(e as Error).message}`);
    }
    if (!ok) throw new DeviceError(`TensorFlow.js could not start its "${name}" backend (is its package loaded?)`);
  }
  await tf.ready();
}

/** The tfjs version, for descriptions. */
export const TFJS_VERSION = tf.version_core;

/** Whether a tfjs backend of this name is registered (its package was loaded). */
export function hasTfjsBackend(name: string): boolean {
  return tf.findBackendFactory(name) != null;
}
