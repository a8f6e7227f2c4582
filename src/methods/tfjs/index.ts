/** Merge-method kernels on TensorFlow.js tensors (registered under backend "tfjs" on import). */
export { type TensorChunk, type TensorSteps, type TfjsMethodKernel, type AnyTfjsKernel, isTfjsKernel, tfjsKernel, uploadChunk } from "./kernel.js";
export { getTfjsKernel, tfjsKernelNames, TFJS_BACKEND } from "./registry.js";
