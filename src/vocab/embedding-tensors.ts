/** The tensors indexed by token id (input embeddings, the output head) in a model's header. */
import type { ModelHeader } from "../io/index.js";

/** Llama/Mistral/Qwen, GPT-2, BERT-style, GPT-NeoX, Llama's original names, Gemma's tied head. */
const VOCAB_TENSOR = /(^|\.)(embed_tokens|wte|word_embeddings|embed_in|embed_out|lm_head|tok_embeddings|output)\.(weight|bias)$/;

export interface VocabTensors {
  /** Embedding rows: config.json's vocab_size when a tensor has that many rows, else the first match's rows. */
  rows: number;
  names: string[];
}

export function isVocabTensorName(name: string): boolean {
  return VOCAB_TENSOR.test(name);
}

/** The vocabulary-indexed tensors (first dimension = the rows), or null when the model has none. */
export function vocabTensors(header: ModelHeader): VocabTensors | null {
  const candidates = [...header.tensors.values()].filter((t) => isVocabTensorName(t.name) && t.shape.length >= 1);
  if (candidates.length === 0) return null;
  const configured = header.config?.vocab_size;
  const rows = typeof configured === "number" && candidates.some((t) => t.shape[0] === configured) ? configured : candidates[0]!.shape[0]!;
  const names = candidates.filter((t) => t.shape[0] === rows).map((t) => t.name);
  return { rows, names };
}
