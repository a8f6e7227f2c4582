/**
 * Merges over differing vocabularies, end to end: the output tokenizer's ids, config.json, and every
 * embedding/head row traced to the model and row it came from; the written tokenizer loaded by
 * @huggingface/tokenizers; templates rendered by @huggingface/jinja.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import { checkRecipe } from "../../src/language/service.js";
import { runGraph } from "../../src/runner/recipe-runner.js";
import { NAMED_TEMPLATES } from "../../src/vocab/chat-templates.js";
import { readF32 } from "../mergekit/support.js";
import { HIDDEN, UNIGRAM_PIECES, bpeTokenizerJson, bpeVocab, rowValue, unigramTokenizerJson, readJson, runRecipe, writeFamilyModel, writeRecipe } from "./tokenizer-models.js";
import { tempDir } from "../support/temp-dir.js";

let dir: string;
const BASE = bpeVocab();
const N = Object.keys(BASE.vocab).length; // 37 tokens
const TOOL = bpeVocab(["zz"]);

before(async () => {
  dir = tempDir("mergelang-vocab-");
  await writeFamilyModel({ dir: join(dir, "base"), k: 1, rows: N, tokenizer: bpeTokenizerJson(BASE.vocab, BASE.merges, []) });
  await writeFamilyModel({
    dir: join(dir, "chat"),
    k: 2,
    rows: N + 2,
    tokenizer: bpeTokenizerJson(BASE.vocab, BASE.merges, [{ content: "<|im_start|>" }, { content: "<|im_end|>" }]),
    chatTemplate: NAMED_TEMPLATES.chatml,
  });
  // One ordinary token more, one added token, and a padding row (vocab_size rounded up to 40).
  await writeFamilyModel({ dir: join(dir, "tool"), k: 3, rows: N + 3, tokenizer: bpeTokenizerJson(TOOL.vocab, TOOL.merges, [{ content: "<tool_call>" }]) });
  // Same vocabulary as base, embedding rows padded from 37 to 40.
  await writeFamilyModel({ dir: join(dir, "padded"), k: 4, rows: 40, tokenizer: bpeTokenizerJson(BASE.vocab, BASE.merges, []) });
  const swapped = [...UNIGRAM_PIECES];
  [swapped[4], swapped[5]] = [swapped[5]!, swapped[4]!]; // ▁hello and ▁world trade ids
  await writeFamilyModel({ dir: join(dir, "sp-base"), k: 5, rows: UNIGRAM_PIECES.length, tokenizer: unigramTokenizerJson(UNIGRAM_PIECES, []) });
  await writeFamilyModel({ dir: join(dir, "sp-chat"), k: 6, rows: UNIGRAM_PIECES.length + 1, tokenizer: unigramTokenizerJson(swapped, [{ content: "<|im_start|>" }]) });
});

after(() => rmSync(dir, { recursive: true, force: true }));

const run = (name: string, text: string): Promise<string> => runRecipe(dir, name, text);
const json = readJson;
const row = (data: Float32Array, r: number): number[] => Array.from(data.subarray(r * HIDDEN, (r + 1) * HIDDEN));
const expected = (f: (c: number) => number): number[] => Array.from({ length: HIDDEN }, (_, c) => Math.fround(f(c)));
const close = (a: number[], b: number[]): void => a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-3, `${a} vs ${b}`));

function loadTokenizer(folder: string): Tokenizer {
  return new Tokenizer(json(join(folder, "tokenizer.json")), json(join(folder, "tokenizer_config.json")));
}

test("union: the base's ids, then other models' ordinary tokens, then their added tokens; rows traced to their models", async () => {
  const out = await run("union", `
base = model("base")
chat = model("chat")
tool = model("tool")
save(linear(base, chat, tool), "union", tokenizer: "union", chat_template: "chatml")
`);
  const tok = json(join(out, "tokenizer.json"));
  const added = (tok.added_tokens as { id: number; content: string }[]).map((a) => [a.content, a.id]);
  assert.deepEqual(added, [["<unk>", 0], ["<s>", 1], ["</s>", 2], ["zz", N], ["<|im_start|>", N + 1], ["<|im_end|>", N + 2], ["<tool_call>", N + 3]]);
  const config = json(join(out, "config.json"));
  assert.equal(config.vocab_size, N + 4);
  assert.equal(config.bos_token_id, 1);
  assert.equal(config.eos_token_id, 2);

  for (const [name, dk] of [["model.embed_tokens.weight", 0], ["lm_head.weight", 0.5]] as const) {
    const w = readF32(out, name);
    assert.equal(w.length, (N + 4) * HIDDEN);
    // A token all three have: the mean of their rows. One only one model has: that model's row.
    close(row(w, 7), expected((c) => (rowValue(1 + dk, 7, c) + rowValue(2 + dk, 7, c) + rowValue(3 + dk, 7, c)) / 3));
    close(row(w, N), expected((c) => rowValue(3 + dk, N, c))); // zz: tool's row 37
    close(row(w, N + 1), expected((c) => rowValue(2 + dk, N, c))); // <|im_start|>: chat's row 37
    close(row(w, N + 2), expected((c) => rowValue(2 + dk, N + 1, c)));
    close(row(w, N + 3), expected((c) => rowValue(3 + dk, N + 1, c))); // <tool_call>: tool's row 38
  }
  // Tensors outside the vocabulary merge as before.
  close(Array.from(readF32(out, "model.norm.weight")), [2, 2, 2, 2]);

  const written = loadTokenizer(out);
  const source = loadTokenizer(join(dir, "base"));
  assert.deepEqual(written.encode("hello world he").ids, source.encode("hello world he").ids);
  assert.deepEqual(written.encode("<|im_start|>hello<|im_end|>").ids, [N + 1, BASE.vocab.hello!, N + 2]);

  const cfg = json(join(out, "tokenizer_config.json"));
  assert.equal(cfg.chat_template, NAMED_TEMPLATES.chatml);
  assert.equal(readFileSync(join(out, "chat_template.jinja"), "utf8"), NAMED_TEMPLATES.chatml);
  assert.equal((cfg.added_tokens_decoder as Record<string, { content: string }>)[String(N + 1)]!.content, "<|im_start|>");
  const rendered = new Template(cfg.chat_template as string).render({ messages: [{ role: "user", content: "hello" }], add_generation_prompt: true });
  assert.equal(rendered, "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n");
  assert.deepEqual(written.encode(rendered.split("\n")[0]!).ids.slice(0, 1), [N + 1]);
});

test("sentencepiece vocabularies: rows re-indexed to the chosen model's vocabulary, a permuted vocabulary moved into place", async () => {
  const out = await run("sp", `
base = model("sp-base")
chat = model("sp-chat")
save(linear(base, chat), "sp", tokenizer: chat)
`);
  const w = readF32(out, "model.embed_tokens.weight");
  assert.equal(json(join(out, "config.json")).vocab_size, UNIGRAM_PIECES.length + 1);
  // chat's id 4 is ▁world, which is base's row 5; its id 5 (▁hello) base's row 4.
  close(row(w, 4), expected((c) => (rowValue(5, 5, c) + rowValue(6, 4, c)) / 2));
  close(row(w, 5), expected((c) => (rowValue(5, 4, c) + rowValue(6, 5, c)) / 2));
  close(row(w, 10), expected((c) => (rowValue(5, 10, c) + rowValue(6, 10, c)) / 2));
  close(row(w, UNIGRAM_PIECES.length), expected((c) => rowValue(6, UNIGRAM_PIECES.length, c))); // <|im_start|>: chat's only
  const written = loadTokenizer(out);
  const source = loadTokenizer(join(dir, "sp-chat"));
  assert.deepEqual(written.encode("hello world the").ids, source.encode("hello world the").ids);
  assert.deepEqual(written.encode("hello").ids, [5]);

  const onBase = await run("sp-base-vocab", `
base = model("sp-base")
chat = model("sp-chat")
save(linear(base, chat), "sp-base-vocab", tokenizer: "base")
`);
  const b = readF32(onBase, "model.embed_tokens.weight");
  assert.equal(b.length, UNIGRAM_PIECES.length * HIDDEN);
  close(row(b, 4), expected((c) => (rowValue(5, 4, c) + rowValue(6, 5, c)) / 2)); // ▁hello: base row 4, chat row 5
  assert.deepEqual(loadTokenizer(onBase).encode("hello world").ids, loadTokenizer(join(dir, "sp-base")).encode("hello world").ids);
});

test("padding rows only: merged without tokenizer:, at the base's rows", async () => {
  const out = await run("padded-out", `
base = model("base")
padded = model("padded")
save(linear(base, padded), "padded-out")
`);
  const w = readF32(out, "lm_head.weight");
  assert.equal(w.length, N * HIDDEN);
  close(row(w, N - 1), expected((c) => (rowValue(1.5, N - 1, c) + rowValue(4.5, N - 1, c)) / 2));
  assert.equal(json(join(out, "config.json")).vocab_size, N);
});

test("differing vocabularies without tokenizer: fail before writing, naming a token and the fix", async () => {
  const text = `
base = model("base")
chat = model("chat")
save(linear(base, chat), "differ")
`;
  const file = writeRecipe(dir, "differ.merge", text);
  const checked = checkRecipe(text, file);
  assert.ok(checked.graph);
  await assert.rejects(runGraph(checked.graph, { threads: 1 }), (e: Error) => {
    assert.match(e.message, /differ\.merge:4:1: .*vocabularies differ: "<\|im_start\|>".*tokenizer: "union"/);
    return true;
  });
  assert.equal(existsSync(join(dir, "differ")), false);
});

test("token rules, force, and rows padded to a multiple", async () => {
  const out = await run("rules", `
base = model("base")
chat = model("chat")
save(linear(base, chat), "rules", tokenizer: "union", pad_to_multiple_of: 8,
  tokens: [token("<|im_end|>", "zero"), token("hello", chat, force: true), token("<|im_start|>", chat, from_token: "a")])
`);
  const w = readF32(out, "model.embed_tokens.weight");
  assert.equal(json(join(out, "config.json")).vocab_size, 40);
  assert.equal(w.length, 40 * HIDDEN);
  const hello = BASE.vocab.hello!;
  close(row(w, hello), expected((c) => rowValue(2, hello, c))); // forced: chat's row for every model
  // <|im_start|>: chat keeps its own row 37; base gets chat's row of "a" (3).
  close(row(w, N), expected((c) => (rowValue(2, 3, c) + rowValue(2, N, c)) / 2));
  close(row(w, N + 1), expected((c) => rowValue(2, N + 1, c) / 2)); // <|im_end|>: chat's own, zero for base
  close(row(w, 39), [0, 0, 0, 0]); // padding
});

test("check: bad templates at their line, unknown names, models the save does not merge", () => {
  const cases: [string, RegExp][] = [
    [`save(linear(a, b), "o", chat_template: "{% for m in messages %}\\n{{ m.content }\\n{% endfor %}")`, /chat template line 2: .*closing/i],
    [`save(linear(a, b), "o", chat_template: "chatmll")`, /not a template: give one of chatml/],
    [`save(linear(a, b), "o", tokenizer: c)`, /tokenizer: .* is not one of the models this save merges/],
    [`save(linear(a, b), "o", pad_to_multiple_of: 8)`, /needs tokenizer:/],
    [`save(linear(a, b), "o", tokenizer: "union", tokens: [token("x", c)])`, /is not one of the models this save merges/],
    [`save(linear(a, b), "o", copy_tokenizer: false, chat_template: "chatml")`, /copy_tokenizer: false writes no tokenizer/],
  ];
  for (const [line, message] of cases) {
    const text = `a = model("base")\nb = model("chat")\nc = model("tool")\n${line}\n`;
    const d = checkRecipe(text, join(dir, "check.merge")).diagnostics.filter((x) => x.severity === "error");
    assert.equal(d.length, 1, `${line}: ${JSON.stringify(d)}`);
    assert.match(d[0]!.message, message);
    assert.equal(d[0]!.range.start.line, 4);
  }
});

test("every named template parses and renders a conversation", () => {
  for (const [name, text] of Object.entries(NAMED_TEMPLATES)) {
    const out = new Template(text).render({ messages: [{ role: "user", content: "Q?" }, { role: "assistant", content: "A." }], bos_token: "<s>", eos_token: "</s>", add_generation_prompt: true });
    assert.ok(out.includes("Q?") && out.includes("A."), `${name}: ${out}`);
  }
});
