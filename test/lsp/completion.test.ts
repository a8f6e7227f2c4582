/** Completion and signature help over the protocol, one scenario per test; `|` marks the cursor. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CompletionItem, SignatureHelp, TextEdit } from "vscode-languageserver/node";
import { LspClient, positionAtOffset } from "./lsp-client.js";
import { withServer, type Workspace } from "./workspace.js";

let ws: Workspace;
let client: LspClient;
let n = 0;

const HEADER = 'base = model("models/tiny/base")\na = model("models/tiny/task_a")\nb = model("models/tiny/task_b")\n';

withServer((w, c) => {
  ws = w;
  client = c;
});

/** Opens `source` (with `|` at the cursor) as a new recipe, waits for its check, and asks at the cursor. */
async function at<T>(source: string, method: string, context?: unknown): Promise<{ result: T; text: string; offset: number }> {
  const offset = source.indexOf("|");
  assert.ok(offset >= 0, "the source needs a | cursor");
  const text = source.slice(0, offset) + source.slice(offset + 1);
  const uri = await client.open(ws.write(`case${n++}.merge`, text));
  await client.diagnosticsFor(uri, 1);
  const result = await client.request<T>(method, { textDocument: { uri }, position: positionAtOffset(text, offset), ...(context ? { context } : {}) });
  return { result, text, offset };
}

const complete = async (source: string, trigger?: string): Promise<CompletionItem[]> =>
  (await at<CompletionItem[]>(source, "textDocument/completion", trigger ? { triggerKind: 2, triggerCharacter: trigger } : { triggerKind: 1 })).result;
const labels = (items: CompletionItem[]): string[] => items.map((i) => i.label);
const edit = (item: CompletionItem | undefined): TextEdit => {
  assert.ok(item?.textEdit && "range" in item.textEdit, "an item with a text edit");
  return item.textEdit;
};

test("built-in functions come with signature snippets and docs", async () => {
  const items = await complete(`${HEADER}m = |`);
  const ties = items.find((i) => i.label === "ties");
  assert.equal(ties?.kind, 3);
  assert.equal(ties.insertTextFormat, 2);
  assert.equal(edit(ties).newText, "ties(${1:models}, base: ${2:base})$0");
  assert.match(ties.detail ?? "", /^ties\(models\.\.\., base:, density: 0\.2/);
  assert.equal(ties.documentation, undefined, "long docs wait for completionItem/resolve");
  const resolved = await client.request<CompletionItem>("completionItem/resolve", ties);
  assert.match((resolved.documentation as { value: string }).value, /arxiv\.org\/abs\/2306\.01708/);
  assert.match((resolved.documentation as { value: string }).value, /γ = sign/);
  assert.equal(edit(items.find((i) => i.label === "della")).newText, "della(${1:models}, base: ${2:base}, density: ${3:density})$0");
  assert.equal(edit(items.find((i) => i.label === "model")).newText, 'model("${1}")$0');
  assert.equal(edit(items.find((i) => i.label === "slerp")).newText, "slerp(${1:a}, ${2:b})$0");
});

test("inside a call: only the parameters not given yet, with type, default and doc", async () => {
  const items = await complete(`${HEADER}m = ties(a, b, base: base, lambda: 0.5, |)`);
  const params = labels(items).filter((l) => l.endsWith(":"));
  assert.deepEqual(params, ["density:", "weights:", "scope:", "consensus:", "agreement:", "normalize:"]);
  const density = items.find((i) => i.label === "density:")!;
  assert.match(density.detail ?? "", /Number, default 0\.2/);
  assert.match((density.documentation as { value: string }).value, /largest-magnitude/);
  assert.equal(edit(density).newText, "density: ");
  assert.ok(labels(items).includes("a") && labels(items).includes("ties"), "positional arguments: names and functions too");
});

test("a parameter name being typed is replaced as a whole word", async () => {
  const { result, text } = await at<CompletionItem[]>(`${HEADER}m = pcb(a, b, base: base, rat|)`, "textDocument/completion");
  const ratio = result.find((i) => i.label === "ratio:");
  const e = edit(ratio);
  const line = text.split("\n")[3]!;
  assert.equal(line.slice(e.range.start.character, e.range.end.character), "rat");
  assert.ok(!labels(result).includes("base:"));
});

test("enum values inside scope:, consensus:, dtype: and by: strings", async () => {
  const values = async (src: string): Promise<string[]> => labels(await complete(src));
  assert.deepEqual(await values(`${HEADER}m = ties(a, b, base: base, scope: "|")`), ["tensor", "global"]);
  assert.deepEqual(await values(`${HEADER}m = ties(a, b, base: base, consensus: "s|")`), ["sum", "count"]);
  assert.deepEqual(await values(`${HEADER}save(a, "out/x", dtype: "|")`), ["bf16", "f16", "f32"]);
  assert.deepEqual(await values(`${HEADER}interference(a, b, base: base, by: "|")`), ["layer", "tensor"]);
  assert.deepEqual(await values(`${HEADER}m = dare(a, b, base: base, consensus: |)`), ['"none"', '"sum"', '"count"']);
  const inside = (await complete(`${HEADER}m = ties(a, b, base: base, scope: "glo|bal")`)).find((i) => i.label === "global");
  const r = edit(inside).range;
  assert.equal(r.end.character - r.start.character, "global".length, "the whole string content is replaced");
});

test("names in scope are the ones bound before the cursor", async () => {
  const items = await complete(`${HEADER}m = ties(|)\nlater = 1\n`);
  const names = items.filter((i) => i.kind === 6).map((i) => i.label);
  assert.deepEqual(names.sort(), ["a", "b", "base"]);
  assert.match(items.find((i) => i.label === "a")?.detail ?? "", /Model — task_a/);
});

test("folders inside model(\"...\"), relative to the recipe", async () => {
  const top = await complete(`x = model("models/|")`, '"');
  const tiny = top.find((i) => i.label === "tiny");
  assert.equal(tiny?.kind, 19);
  assert.equal(edit(tiny).newText, "tiny/");
  const inside = await complete(`x = model("models/tiny/ta|")`);
  assert.deepEqual(labels(inside), ["base", "task_a", "task_b", "task_c"]);
  assert.ok(inside.every((i) => i.detail === "model folder"));
  const r = edit(inside[1]).range;
  assert.equal(r.end.character - r.start.character, 2, "replaces what was typed after the last /");
});

test("tensor globs in where selectors, from the models' headers", async () => {
  const items = await complete(`${HEADER}m = ties(a, b, base: base) where "|"`);
  const attn = items.find((i) => i.label === "*.self_attn.*");
  assert.match(attn?.detail ?? "", /^16 tensors, e\.g\. model\.layers\.0\.self_attn\./);
  assert.ok(labels(items).includes("*.mlp.*"));
  assert.ok(labels(items).includes("model.embed_tokens.*"));
  assert.ok(labels(items).includes("lm_head.weight"));
  const selector = await complete(`${HEADER}m = ties(a, b, base: base) where |`, " ");
  assert.ok(labels(selector).includes("layers"));
  assert.ok(labels(selector).includes('"*.mlp.*"'));
});

test("layer numbers after where layers", async () => {
  assert.deepEqual(labels(await complete(`${HEADER}m = ties(a, b, base: base) where layers |`, " ")), ["0", "1", "2", "3"]);
  const after = await complete(`${HEADER}m = ties(a, b, base: base)\n  where layers 1..|`, ".");
  assert.deepEqual(labels(after), ["1", "2", "3"]);
  assert.match(after[0]!.detail ?? "", /layer 1: 9 tensors/);
});

test("where blocks offer the parameters that may vary per tensor", async () => {
  const items = await complete(`${HEADER}m = ties(a, b, base: base)\n  where "*.mlp.*" { lambda: 0.5, |`);
  assert.deepEqual(labels(items), ["density:", "weights:"]);
});

test("typed characters open the list only where it helps; comments get nothing", async () => {
  assert.deepEqual(await complete(`${HEADER}m = |`, " "), []);
  assert.deepEqual(await complete(`${HEADER}# a comment |`), []);
  assert.ok((await complete(`${HEADER}m = ties(a, |`, " ")).some((i) => i.label === "base:"));
});

test("signature help follows the argument being written", async () => {
  const named = (await at<SignatureHelp>(`${HEADER}m = ties(a, b, base: base, density: |`, "textDocument/signatureHelp")).result;
  assert.equal(named.signatures.length, 1);
  const sig = named.signatures[0]!;
  assert.match(sig.label, /^ties\(models\.\.\., base:, density: 0\.2/);
  assert.equal(named.activeParameter, 2);
  const [s, e] = sig.parameters![2]!.label as [number, number];
  assert.equal(sig.label.slice(s, e), "density: 0.2");
  const positional = (await at<SignatureHelp>(`${HEADER}x = save(a, |`, "textDocument/signatureHelp")).result;
  assert.equal(positional.activeParameter, 1);
  const nested = (await at<SignatureHelp>(`${HEADER}m = ties(a, b, base: base) where layers 0..1 { density: ramp(0.5, |) }`, "textDocument/signatureHelp")).result;
  assert.match(nested.signatures[0]!.label, /^ramp\(from, to\)/);
  assert.equal(nested.activeParameter, 1);
  const outside = (await at<SignatureHelp | null>(`${HEADER}|x = 1`, "textDocument/signatureHelp")).result;
  assert.equal(outside, null);
});
