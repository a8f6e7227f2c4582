/**
 * mergekit's tokenizer settings imported and run: tokenizer_source: union with chat_template: chatml
 * over two models with different added tokens, the tokenizer: section, and their errors at YAML lines.
 */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Tokenizer } from "@huggingface/tokenizers";
import { checkMergekitYaml, recipeFromMergekitYaml } from "../../src/mergekit/index.js";
import { runGraph } from "../../src/runner/recipe-runner.js";
import { NAMED_TEMPLATES } from "../../src/vocab/chat-templates.js";
import { readF32 } from "../mergekit/support.js";
import { HIDDEN, bpeTokenizerJson, bpeVocab, readJson, rowValue, writeFamilyModel } from "./tokenizer-models.js";
import { tempDir } from "../support/temp-dir.js";

let dir: string;
const V = bpeVocab();
const N = Object.keys(V.vocab).length;

before(async () => {
  dir = tempDir("mergelang-mk-vocab-");
  await writeFamilyModel({ dir: join(dir, "base"), k: 1, rows: N, tokenizer: bpeTokenizerJson(V.vocab, V.merges, []) });
  await writeFamilyModel({ dir: join(dir, "chat"), k: 2, rows: N + 2, tokenizer: bpeTokenizerJson(V.vocab, V.merges, [{ content: "<|im_start|>" }, { content: "<|im_end|>" }]) });
  await writeFamilyModel({ dir: join(dir, "tool"), k: 3, rows: N + 1, tokenizer: bpeTokenizerJson(V.vocab, V.merges, [{ content: "<tool_call>" }]) });
});

after(() => rmSync(dir, { recursive: true, force: true }));

async function runYaml(name: string, yaml: string): Promise<string> {
  const file = join(dir, `${name}.yml`);
  writeFileSync(file, yaml);
  const checked = checkMergekitYaml(yaml, file);
  assert.deepEqual(checked.diagnostics.filter((d) => d.severity === "error"), []);
  await runGraph(checked.graph!, { threads: 1 });
  return join(dir, `${name}-merged`);
}

const json = readJson;
const row = (w: Float32Array, r: number): number[] => Array.from(w.subarray(r * HIDDEN, (r + 1) * HIDDEN));

test("tokenizer_source: union and chat_template: chatml: tokenizer, config and embeddings agree", async () => {
  const yaml = ["models:", "  - model: chat", "    parameters: {weight: 1}", "  - model: tool", "    parameters: {weight: 1}", "merge_method: task_arithmetic", "base_model: base", "tokenizer_source: union", "chat_template: chatml", "dtype: float32", ""].join("\n");
  const recipe = recipeFromMergekitYaml(yaml, join(dir, "union.yml")).recipe!;
  assert.match(recipe, /save\(merged, "union-merged", dtype: "f32", tokenizer: "union", chat_template: "chatml"\)/);
  const out = await runYaml("union", yaml);

  const tok = new Tokenizer(json(join(out, "tokenizer.json")), json(join(out, "tokenizer_config.json")));
  const ids = { start: tok.token_to_id("<|im_start|>"), end: tok.token_to_id("<|im_end|>"), tool: tok.token_to_id("<tool_call>") };
  assert.deepEqual(ids, { start: N, end: N + 1, tool: N + 2 });
  assert.equal(json(join(out, "config.json")).vocab_size, N + 3);
  assert.equal(json(join(out, "tokenizer_config.json")).chat_template, NAMED_TEMPLATES.chatml);

  const w = readF32(out, "model.embed_tokens.weight");
  assert.equal(w.length, (N + 3) * HIDDEN);
  // base + Σ (m − base): a shared token gets both deltas. A token only one model has is that model's
  // row in every aligned model, so the deltas there are 0 and the result is that row.
  const at = (k: number, r: number): number[] => Array.from({ length: HIDDEN }, (_, c) => Math.fround(rowValue(k, r, c)));
  const shared = Array.from({ length: HIDDEN }, (_, c) => Math.fround(rowValue(2, 5, c) + rowValue(3, 5, c) - rowValue(1, 5, c)));
  assert.deepEqual(row(w, 5), shared);
  assert.deepEqual(row(w, ids.start!), at(2, N));
  assert.deepEqual(row(w, ids.end!), at(2, N + 1));
  assert.deepEqual(row(w, ids.tool!), at(3, N));
  assert.deepEqual(tok.encode("<|im_start|>hello world<tool_call>").ids, [N, V.vocab.hello, V.vocab.world, N + 2]);
});

test("the tokenizer: section: source, tokens and pad_to_multiple_of", async () => {
  const yaml = [
    "models:",
    "  - model: chat",
    "    parameters: {weight: 1}",
    "  - model: tool",
    "    parameters: {weight: 1}",
    "merge_method: linear",
    "tokenizer:",
    "  source: union",
    "  pad_to_multiple_of: 16",
    "  tokens:",
    "    <|im_start|>:",
    "      source: {kind: zero}",
    "    <tool_call>:",
    "      source: {kind: model_token, model: chat, token_id: 3}",
    "      force: true",
    "",
  ].join("\n");
  const recipe = recipeFromMergekitYaml(yaml, join(dir, "section.yml")).recipe!;
  assert.match(recipe, /tokenizer: "union", tokens: \[token\("<\|im_start\|>", "zero"\), token\("<tool_call>", chat, force: true, row: 3\)\], pad_to_multiple_of: 16/);
  const out = await runYaml("section", yaml);
  assert.equal(json(join(out, "config.json")).vocab_size, 48);
  const w = readF32(out, "model.embed_tokens.weight");
  assert.equal(w.length, 48 * HIDDEN);
  const half = (k: number, r: number): number[] => Array.from({ length: HIDDEN }, (_, c) => Math.fround(rowValue(k, r, c) / 2));
  assert.deepEqual(row(w, N), half(2, N)); // <|im_start|>: chat's own; tool gets zeros
  assert.deepEqual(row(w, N + 2), Array.from({ length: HIDDEN }, (_, c) => Math.fround(rowValue(2, 3, c)))); // forced: chat's row 3 for both
  assert.deepEqual(row(w, 47), [0, 0, 0, 0]);
});

test("tokenizer errors point at the YAML", () => {
  const errors = (lines: string[]): string[] =>
    checkMergekitYaml(lines.join("\n"), join(dir, "bad.yml"))
      .diagnostics.filter((d) => d.severity === "error")
      .map((d) => `${d.range.start.line}:${d.range.start.column} ${d.message}`);
  const head = ["models:", "  - model: chat", "    parameters: {weight: 1}", "  - model: tool", "    parameters: {weight: 1}", "merge_method: task_arithmetic", "base_model: base"];
  assert.match(errors([...head, "tokenizer_source: union", "tokenizer: {source: base}"]).join("\n"), /^9:1 give tokenizer_source: or a tokenizer: section, not both/);
  assert.match(errors([...head, "chat_template: chatmel"]).join("\n"), /^8:16 chat_template "chatmel" is not a template/);
  assert.match(errors([...head, "tokenizer:", "  pad_to_multiple_of: 0"]).join("\n"), /^9:23 pad_to_multiple_of takes a whole number from 1/);
});
