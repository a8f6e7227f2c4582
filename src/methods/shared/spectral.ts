/**
 * What the SVD-based methods (TSV-Merge, Iso-C, Iso-CTS) share: which tensors are merged as
 * matrices, the task matrices of a tensor, and the result base + α·M.
 *
 * As in the authors' code, only 2-D tensors are merged through their singular vectors; every other
 * tensor (biases, norms: 1-D), and the embedding and output matrices (`embed_tokens`, `lm_head`
 * in the authors' language-model code, CLIP's `text_projection` in their vision code), takes the
 * mean of the task vectors: base + α·mean(δᵢ).
 */
import { type Matrix, type SvdMode, useFastProducts, zeros } from "../../linalg/index.js";
import type { ChunkInputs, KernelContext } from "../method.js";
import { ParamReader } from "../param-reader.js";
import type { ResolvedParams } from "../../graph/params.js";

const AVERAGED_MATRICES = ["embed_tokens", "lm_head", "text_projection"];

export interface SpectralParams {
  alpha: number;
  svd: SvdMode;
}

export function readSpectral(params: ResolvedParams, method: string): { reader: ParamReader; common: SpectralParams } {
  const reader = new ParamReader(params, method);
  return { reader, common: { alpha: reader.number("alpha", 1), svd: reader.string<SvdMode>("svd", ["auto", "exact"], "auto") } };
}

/** Whether a tensor is decomposed as a matrix (2-D, not an embedding or output matrix). */
export function isSpectralMatrix(name: string, dims: number): boolean {
  return dims === 2 && !AVERAGED_MATRICES.some((n) => name.includes(n));
}

/** The tensor's matrix shape when it is merged through its singular vectors, else null. */
export function matrixShape(chunk: ChunkInputs, ctx: KernelContext): { rows: number; cols: number } | null {
  const dims = ctx.shape?.length ?? (chunk.rowLength < chunk.length ? 2 : 1);
  if (chunk.length === 0 || !isSpectralMatrix(ctx.tensor, dims)) return null;
  return { rows: chunk.length / chunk.rowLength, cols: chunk.rowLength };
}

/** δᵢ = mᵢ − base of the whole tensor, as a matrix (float32 differences, as the reference takes them). */
export function taskMatrix(chunk: ChunkInputs, i: number, rows: number, cols: number): Matrix {
  const m = chunk.inputs[i]!;
  const base = chunk.base!;
  const out = zeros(rows, cols);
  for (let j = 0; j < out.data.length; j++) out.data[j] = Math.fround(m[j]! - base[j]!);
  return out;
}

/** Σᵢ δᵢ as a matrix. */
export function taskSum(chunk: ChunkInputs, rows: number, cols: number): Matrix {
  const base = chunk.base!;
  const out = zeros(rows, cols);
  for (const m of chunk.inputs) for (let j = 0; j < out.data.length; j++) out.data[j] += Math.fround(m[j]! - base[j]!);
  return out;
}

/** out = base + α·mean(δᵢ): the tensors the spectral methods do not decompose. */
export function meanTaskInto(chunk: ChunkInputs, alpha: number, out: Float32Array): void {
  const base = chunk.base!;
  const n = chunk.inputs.length;
  for (let j = 0; j < chunk.length; j++) {
    let sum = 0;
    for (const m of chunk.inputs) sum += m[j]! - base[j]!;
    out[j] = base[j]! + (alpha * sum) / n;
  }
}

/** out = base + α·M. */
export function addScaled(chunk: ChunkInputs, alpha: number, m: Matrix, out: Float32Array): void {
  const base = chunk.base!;
  for (let j = 0; j < chunk.length; j++) out[j] = base[j]! + alpha * m.data[j]!;
}

/** Python's round(): halves to even, as the authors' rank arithmetic uses it. */
export function pythonRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * What the three kernels share: models against a required base, whole tensors on the calling thread,
 * and TensorFlow.js's products started before a run.
 */
export const SPECTRAL_KERNEL = {
  backend: "cpu",
  inputKind: "models",
  base: "required",
  scopeParams: [],
  wholeTensor: true,
  prepare: async (): Promise<void> => void (await useFastProducts()),
} as const;
