/**
 * The files a save copies beside the weights: chat_template.jinja with the tokenizer, config.json
 * from another model when the base is a lone .safetensors file, and chat_template: "auto" / a file.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { checkRecipe } from "../../src/language/service.js";
import { NAMED_TEMPLATES } from "../../src/vocab/chat-templates.js";
import { bpeTokenizerJson, bpeVocab, readJson, runRecipe, writeFamilyModel, writeRecipe } from "./tokenizer-models.js";
import { tempDir } from "../support/temp-dir.js";

let dir: string;
const V = bpeVocab();
const N = Object.keys(V.vocab).length;

before(async () => {
  dir = tempDir("mergelang-tok-files-");
  for (const [name, k, template] of [["a", 1, NAMED_TEMPLATES.llama3], ["b", 2, NAMED_TEMPLATES.zephyr], ["c", 3, NAMED_TEMPLATES.zephyr]] as const) {
    await writeFamilyModel({ dir: join(dir, name), k, rows: N, tokenizer: bpeTokenizerJson(V.vocab, V.merges, []), chatTemplate: template });
  }
  writeFileSync(join(dir, "a", "chat_template.jinja"), NAMED_TEMPLATES.llama3);
  mkdirSync(join(dir, "lone"));
  copyFileSync(join(dir, "a", "model.safetensors"), join(dir, "lone", "weights.safetensors"));
});

after(() => rmSync(dir, { recursive: true, force: true }));

const run = (name: string, text: string): Promise<string> => runRecipe(dir, name, text);
const json = readJson;

test("chat_template.jinja travels with the tokenizer files", async () => {
  const out = await run("copy", `save(linear(model("a"), model("b")), "copy")`);
  assert.equal(readFileSync(join(out, "chat_template.jinja"), "utf8"), NAMED_TEMPLATES.llama3);
  assert.ok(existsSync(join(out, "tokenizer.json")));
});

test("a lone .safetensors base takes config.json and the tokenizer from the first model that has them", async () => {
  const out = await run("lone-out", `save(linear(model("lone/weights.safetensors"), model("b")), "lone-out", dtype: "bf16")`);
  const config = json(join(out, "config.json"));
  assert.equal(config.torch_dtype, "bfloat16");
  assert.equal(config.vocab_size, N);
  assert.deepEqual(json(join(out, "tokenizer.json")), json(join(dir, "b", "tokenizer.json")));
});

test('chat_template: "auto" takes the template most models share; a .jinja file is read', async () => {
  const auto = await run("auto", `save(linear(model("a"), model("b"), model("c")), "auto", chat_template: "auto")`);
  assert.equal(readFileSync(join(auto, "chat_template.jinja"), "utf8"), NAMED_TEMPLATES.zephyr);
  assert.equal(json(join(auto, "tokenizer_config.json")).chat_template, NAMED_TEMPLATES.zephyr);
  writeFileSync(join(dir, "mine.jinja"), "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}");
  const file = await run("file", `save(linear(model("a"), model("b")), "file", chat_template: "mine.jinja")`);
  assert.match(readFileSync(join(file, "chat_template.jinja"), "utf8"), /^\{% for m in messages %\}\[/);
  const broken = join(dir, "broken.jinja");
  writeFileSync(broken, "line one\n{% if messages %}\n{{ messages[0].content }\n{% endif %}");
  const d = checkRecipe(`save(linear(model("a"), model("b")), "x", chat_template: "broken.jinja")`, join(dir, "broken.merge")).diagnostics;
  assert.match(d.map((x) => `${x.code}: ${x.message}`).join("\n"), /bad-chat-template: chat template line 3: /);
});
