/** Backends of the executor: the CPU engine, and TensorFlow.js devices chosen with `--device`. */
export type { Backend, DeviceName, SaveBackend, TensorEvaluator } from "./backend.js";
export { cpuBackend } from "./cpu.js";
export { DeviceError } from "./errors.js";
export { resolveDevice, DEVICE_NAMES, GPU_PACKAGE, WASM_PACKAGE, type DeviceChoice, type DeviceOptions } from "./resolve.js";
export { gpuProblems, CUDA_LIBRARIES } from "./gpu-probe.js";
