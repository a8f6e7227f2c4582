/**
 * Weights to and from Hugging Face style folders (model.safetensors + config.json), through the
 * project's own atomic writer and ranged reader, so the merges read exactly what training wrote.
 */
import { ModelWriter, openModel } from "../../src/io/index.js";
import type { Weights } from "./weights.js";

export interface FolderInfo {
  /** config.json contents (torch_dtype is set by the writer). */
  config: Record<string, unknown>;
  /** Strings for the safetensors `__metadata__`. */
  metadata: Record<string, string>;
}

/** Writes `weights` (float32) to `folder`, replacing any folder there only once the write is complete. */
export async function saveWeights(folder: string, weights: Weights, info: FolderInfo): Promise<string> {
  const writer = await ModelWriter.create({
    path: folder,
    dtype: "f32",
    shardSize: 1 << 30,
    tensors: [...weights].map(([name, t]) => ({ name, shape: t.shape, dtype: "F32" as const })),
    metadata: info.metadata,
  });
  try {
    for (const [name, t] of weights) await writer.writeF32(name, t.data);
    await writer.writeText("config.json", JSON.stringify({ ...info.config, torch_dtype: "float32" }, null, 2) + "\n");
    return (await writer.commit()).path;
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/** Every tensor of a model folder (or .safetensors file) as float32, in the file's order. */
export function loadWeights(path: string): Weights {
  const reader = openModel(path);
  try {
    const out: Weights = new Map();
    for (const [name, t] of reader.header.tensors) out.set(name, { shape: [...t.shape], data: reader.readF32Sync(name) });
    return out;
  } finally {
    reader.close();
  }
}
