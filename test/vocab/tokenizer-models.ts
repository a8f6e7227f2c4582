/**
 * Small model families whose tokenizers differ the way published fine-tunes do: a BPE tokenizer.json
 * with added tokens per model, a sentencepiece-style (Unigram, ▁ pieces) one, padded embedding rows.
 * Embedding row r of model k holds k·1000 + r + c/100 in column c, so every output row can be traced
 * to the model and row it came from.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ModelWriter } from "../../src/io/index.js";
import { checkRecipe } from "../../src/language/service.js";
import { runGraph } from "../../src/runner/recipe-runner.js";

export const HIDDEN = 4;

export interface Added {
  content: string;
  special?: boolean;
}

const settings = (content: string, special: boolean) => ({ content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special });

/** The base BPE vocabulary: three specials, the letters, and merges that make "hello" and "world" whole. */
export function bpeVocab(extra: string[] = []): { vocab: Record<string, number>; merges: string[] } {
  const tokens = ["<unk>", "<s>", "</s>", ..."abcdefghijklmnopqrstuvwxyz".split(""), "he", "ll", "hell", "hello", "or", "wor", "worl", "world", ...extra];
  const merges = ["h e", "l l", "he ll", "hell o", "o r", "w or", "wor l", "worl d", ...extra.map((t) => `${t[0]} ${t.slice(1)}`)];
  return { vocab: Object.fromEntries(tokens.map((t, i) => [t, i])), merges };
}

export function bpeTokenizerJson(vocab: Record<string, number>, merges: string[], added: Added[]): object {
  const specials = ["<unk>", "<s>", "</s>"].map((t) => ({ id: vocab[t]!, ...settings(t, true) }));
  const n = Object.keys(vocab).length;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [...specials, ...added.map((a, i) => ({ id: n + i, ...settings(a.content, a.special ?? true) }))],
    normalizer: null,
    pre_tokenizer: { type: "Whitespace" },
    post_processor: null,
    decoder: null,
    model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}

/** A Unigram (sentencepiece) tokenizer.json: ids are positions in the piece list. */
export function unigramTokenizerJson(pieces: string[], added: Added[]): object {
  const n = pieces.length;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [
      ...["<unk>", "<s>", "</s>"].map((t) => ({ id: pieces.indexOf(t), ...settings(t, true) })),
      ...added.map((a, i) => ({ id: n + i, ...settings(a.content, a.special ?? true) })),
    ],
    normalizer: null,
    pre_tokenizer: { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true },
    post_processor: null,
    decoder: { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true },
    model: { type: "Unigram", unk_id: 0, byte_fallback: false, vocab: pieces.map((p, i) => [p, i < 3 ? 0 : p.length - 10]) },
  };
}

export const UNIGRAM_PIECES = ["<unk>", "<s>", "</s>", "▁", "▁hello", "▁world", "▁the", ..."abcdefghijklmnopqrstuvwxyz".split("")];

export interface FamilyModel {
  dir: string;
  /** k in the row values k·1000 + r + c/100. */
  k: number;
  rows: number;
  tokenizer: object;
  chatTemplate?: string;
}

/** Embedding value of model k, row r, column c. */
export const rowValue = (k: number, r: number, c: number): number => k * 1000 + r + c / 100;

export async function writeFamilyModel(m: FamilyModel): Promise<void> {
  const H = HIDDEN;
  const embed = (k: number): Float32Array => Float32Array.from({ length: m.rows * H }, (_, i) => rowValue(k, Math.floor(i / H), i % H));
  const tensors = [
    { name: "model.embed_tokens.weight", shape: [m.rows, H], data: embed(m.k) },
    { name: "model.layers.0.mlp.up_proj.weight", shape: [H, H], data: Float32Array.from({ length: H * H }, (_, i) => m.k + i) },
    { name: "model.norm.weight", shape: [H], data: new Float32Array(H).fill(m.k) },
    { name: "lm_head.weight", shape: [m.rows, H], data: embed(m.k + 0.5) },
  ];
  const writer = await ModelWriter.create({ path: m.dir, dtype: "f32", shardSize: 1e9, tensors: tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: "F32" })), metadata: {} });
  for (const t of tensors) await writer.writeF32(t.name, t.data);
  await writer.writeText("config.json", JSON.stringify({ model_type: "llama", num_hidden_layers: 1, vocab_size: m.rows, bos_token_id: 1, eos_token_id: 2, torch_dtype: "float32" }, null, 2));
  await writer.writeText("tokenizer.json", JSON.stringify(m.tokenizer));
  const cfg: Record<string, unknown> = { tokenizer_class: "PreTrainedTokenizerFast", bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>" };
  if (m.chatTemplate) cfg.chat_template = m.chatTemplate;
  await writer.writeText("tokenizer_config.json", JSON.stringify(cfg, null, 2));
  await writer.writeText("special_tokens_map.json", JSON.stringify({ bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>" }));
  await writer.commit();
}

/** Writes `text` as a recipe file in `dir` and returns its path. */
export function writeRecipe(dir: string, name: string, text: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Checks (no errors allowed) and runs a recipe written to `dir`; returns `dir/name`, its output. */
export async function runRecipe(dir: string, name: string, text: string): Promise<string> {
  const file = writeRecipe(dir, `${name}.merge`, text);
  const checked = checkRecipe(text, file);
  assert.deepEqual(checked.diagnostics.filter((d) => d.severity === "error"), []);
  await runGraph(checked.graph!, { threads: 1 });
  return join(dir, name);
}

export const readJson = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
