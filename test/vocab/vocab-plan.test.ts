/** The output vocabulary and row sources, on vocabularies built in memory and read from slow-tokenizer files. */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { VocabError } from "../../src/vocab/errors.js";
import { type VocabModel, planVocabulary } from "../../src/vocab/vocab-plan.js";
import { vocabConfigOverrides } from "../../src/vocab/tokenizer-output.js";
import { type Vocabulary, readVocabulary } from "../../src/vocab/vocabulary.js";
import { tempDir } from "../support/temp-dir.js";

function vocab(name: string, tokens: string[], added: string[] = []): Vocabulary {
  const ids = new Map<string, number>(tokens.map((t, i) => [t, i]));
  const extra = added.map((content, i) => ({ id: tokens.length + i, settings: { content, special: true } }));
  for (const a of extra) ids.set(a.settings.content, a.id);
  return { folder: name, ids, added: extra, file: `${name}/tokenizer.json` };
}

const model = (key: string, v: Vocabulary | null, rows: number): VocabModel => ({ key, vocab: v, rows });

test("a token two models add and the base lacks: the mean of theirs for the base; a model without files is the base", () => {
  const base = model("base", vocab("base", ["a", "b"]), 2);
  const x = model("x", vocab("x", ["b", "a"], ["<t>"]), 3); // its own order for a and b
  const y = model("y", vocab("y", ["a", "b"], ["<t>"]), 3);
  const bare = model("bare", null, 2);
  const plan = planVocabulary({ source: { kind: "union" }, base, models: [base, x, y, bare] });
  assert.deepEqual(plan.tokens, ["a", "b", "<t>"]);
  assert.deepEqual([...plan.rowOf.get("x")!], [1, 0, 2]);
  assert.deepEqual([...plan.rowOf.get("bare")!], [0, 1, -1]);
  assert.deepEqual(plan.fill[2], { kind: "mean", rows: [{ key: "x", row: 2 }, { key: "y", row: 2 }] });
  assert.deepEqual(plan.fill[0], { kind: "row", key: "base", row: 0 });
  assert.deepEqual(plan.added.map((a) => [a.id, a.settings.content, a.settings.special]), [[2, "<t>", true]]);
});

test("tokens at ids beyond a model's rows are its tokenizer's padding, not vocabulary", () => {
  const base = model("base", vocab("base", ["a", "b"], ["<unused>"]), 2);
  const other = model("other", vocab("other", ["a", "b"], ["<new>", "<pad-only>"]), 3);
  const plan = planVocabulary({ source: { kind: "union" }, base, models: [base, other] });
  assert.deepEqual(plan.tokens, ["a", "b", "<new>"]);
});

test("override errors name the token and the model", () => {
  const base = model("base", vocab("base", ["a"]), 1);
  const other = model("other", vocab("other", ["a"], ["<x>"]), 2);
  const run = (token: string, row?: number) =>
    planVocabulary({ source: { kind: "union" }, base, models: [base, other], overrides: [{ token, force: false, source: { kind: "model", key: "base", ...(row !== undefined ? { tokenId: row } : {}) } }] });
  assert.throws(() => run("<y>"), (e: Error) => e instanceof VocabError && /token "<y>" is not in the output vocabulary/.test(e.message));
  assert.throws(() => run("<x>"), /base has no token "<x>" \(it has 1 embedding rows\)/);
  assert.throws(() => run("a", 5), /base has no row 5/);
});

test("vocab.json with added_tokens.json and tokenizer_config.json's added_tokens_decoder", () => {
  const dir = tempDir("mergelang-vocabjson-");
  try {
    writeFileSync(join(dir, "vocab.json"), JSON.stringify({ "<|endoftext|>": 0, h: 1, i: 2 }));
    writeFileSync(join(dir, "added_tokens.json"), JSON.stringify({ "<tool>": 4 }));
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({ added_tokens_decoder: { "3": { content: "<|im_start|>", special: true } } }));
    const v = readVocabulary(dir);
    assert.equal(v.ids.get("i"), 2);
    assert.deepEqual(v.added.map((a) => [a.id, a.settings.content]), [[3, "<|im_start|>"], [4, "<tool>"]]);
    writeFileSync(join(dir, "vocab.json"), "{ not json");
    assert.throws(() => readVocabulary(dir), (e: Error) => e instanceof VocabError && e.message.includes(join(dir, "vocab.json")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("config.json's special token ids move to where the output vocabulary has those tokens", () => {
  const dir = tempDir("mergelang-config-ids-");
  try {
    writeFileSync(join(dir, "vocab.json"), JSON.stringify({ "<s>": 0, "</s>": 1, a: 2 }));
    const base = model("base", readVocabulary(dir), 3);
    const other = model("other", vocab("other", ["a", "<s>", "</s>", "<eot>"]), 4);
    const plan = planVocabulary({ source: { kind: "model", key: "other" }, base, models: [base, other] });
    const config = { bos_token_id: 0, eos_token_id: [1, 7], pad_token_id: null, hidden_size: 8 };
    assert.deepEqual(vocabConfigOverrides(plan, config, dir, { eos_token_id: 3 }), { vocab_size: 4, bos_token_id: 1, eos_token_id: [2, 3] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
