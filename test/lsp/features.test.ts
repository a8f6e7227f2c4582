/** Hover, navigation, rename, outline, folding, semantic tokens, formatting and links over the protocol. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type {
  DocumentHighlight,
  DocumentLink,
  DocumentSymbol,
  FoldingRange,
  Hover,
  InitializeResult,
  Location,
  SemanticTokens,
  TextEdit,
  WorkspaceEdit,
} from "vscode-languageserver/node";
import { applyEdit, LspClient, positionOf } from "./lsp-client.js";
import { withServer, type Workspace } from "./workspace.js";

let ws: Workspace;
let client: LspClient;
let uri: string;

const TEXT = [
  "# the models",
  "# (a tiny Llama family)",
  'base = model("models/tiny/base")',
  'a = model("models/tiny/task_a")',
  'b = model("models/tiny/task_b")',
  "",
  "merged = ties(a, b, base: base, density: 0.2)",
  '  where "*.self_attn.*" { density: 0.4 }',
  "  where layers 0..1 { density: ramp(0.6, 0.2) }",
  'save(merged,   "out/m")',
  "",
].join("\n");

withServer(
  (w, c) => {
    ws = w;
    client = c;
  },
  async () => {
    uri = await client.open(ws.write("features.merge", TEXT));
    await client.diagnosticsFor(uri, 1);
  },
);

const doc = { get textDocument() { return { uri }; } };
const hoverAt = async (needle: string, delta = 0, occurrence = 0): Promise<string> => {
  const h = await client.request<Hover | null>("textDocument/hover", { ...doc, position: positionOf(TEXT, needle, delta, occurrence) });
  assert.ok(h, `a hover at ${needle}`);
  return (h.contents as { value: string }).value;
};

test("hover on a merge: docs, formula, paper, and the parameters each layer group resolves to", async () => {
  const md = await hoverAt("ties", 1);
  assert.match(md, /TIES-Merging: trim small deltas/);
  assert.match(md, /γ = sign/);
  assert.match(md, /arxiv\.org\/abs\/2306\.01708/);
  assert.match(md, /\*\*Resolved parameters\*\* \(39 tensors, 4 layers\)/);
  assert.match(md, /everywhere: lambda 1, scope "tensor"/);
  assert.match(md, /\| embeddings \| 0\.2 \|/);
  assert.match(md, /\| layer 0 \| 0\.6 \|/);
  assert.match(md, /\| layer 1 \| 0\.2 \|/);
  assert.match(md, /\| layers 2–3 \| 0\.2–0\.4 \|/);
});

test("hover on a model name: architecture, parameters, dtype, layers, shards", async () => {
  const md = await hoverAt("a, b", 0);
  assert.match(md, /a: Model — task_a/);
  assert.match(md, /architecture: LlamaForCausalLM \(llama\)/);
  assert.match(md, /parameters: 197K \(197,184\) in 39 tensors/);
  assert.match(md, /dtype: F32/);
  assert.match(md, /layers: 4/);
  assert.match(md, /shards: 1 \(model\.safetensors\)/);
});

test("hover on parameters and selectors", async () => {
  assert.match(await hoverAt("density: 0.2"), /`density` \(Number, default 0\.2/);
  assert.match(await hoverAt("density: 0.4"), /`density` \(Number, default 0\.2/);
  assert.match(await hoverAt("*.self_attn.*", 2), /\*\*16 of 39 tensors\*\* match/);
  assert.match(await hoverAt("layers 0..1"), /\*\*18 of 39 tensors\*\* match/);
});

test("definition, references and highlights follow bindings", async () => {
  const def = await client.request<Location | null>("textDocument/definition", { ...doc, position: positionOf(TEXT, "merged,") });
  assert.deepEqual(def?.range.start, positionOf(TEXT, "merged ="));
  const refs = await client.request<Location[]>("textDocument/references", { ...doc, position: positionOf(TEXT, "a = "), context: { includeDeclaration: true } });
  assert.deepEqual(refs.map((r) => r.range.start), [positionOf(TEXT, "a = "), positionOf(TEXT, "a, b")]);
  const highlights = await client.request<DocumentHighlight[]>("textDocument/documentHighlight", { ...doc, position: positionOf(TEXT, "base,") });
  assert.equal(highlights.length, 2);
  assert.equal(await client.request("textDocument/definition", { ...doc, position: positionOf(TEXT, "ties") }), null);
});

test("rename changes a binding and its references, and refuses names that would change the recipe", async () => {
  const prep = await client.request<{ placeholder: string } | null>("textDocument/prepareRename", { ...doc, position: positionOf(TEXT, "merged,", 2) });
  assert.equal(prep?.placeholder, "merged");
  assert.equal(await client.request("textDocument/prepareRename", { ...doc, position: positionOf(TEXT, "save") }), null);
  const edit = await client.request<WorkspaceEdit>("textDocument/rename", { ...doc, position: positionOf(TEXT, "merged ="), newName: "combined" });
  let renamed = TEXT;
  for (const e of [...edit.changes![uri]!].reverse()) renamed = applyEdit(renamed, e.range, e.newText);
  assert.match(renamed, /^combined = ties/m);
  assert.match(renamed, /save\(combined,/);
  for (const bad of ["ties", "where", "2x", "a"]) {
    await assert.rejects(
      client.request("textDocument/rename", { ...doc, position: positionOf(TEXT, "merged ="), newName: bad }),
      (e: Error) => /not a name|built-in|already bound/.test(e.message),
      bad,
    );
  }
});

test("document symbols list bindings, effects and where clauses", async () => {
  const symbols = await client.request<DocumentSymbol[]>("textDocument/documentSymbol", doc);
  assert.deepEqual(symbols.map((s) => s.name), ["base", "a", "b", "merged", "save(…)"]);
  const merged = symbols[3]!;
  assert.match(merged.detail ?? "", /ties of 2 models/);
  assert.deepEqual(merged.children?.map((c) => c.name), ['where "*.self_attn.*"', "where layers 0..1"]);
});

test("folding ranges cover multi-line statements and comment blocks", async () => {
  const ranges = await client.request<FoldingRange[]>("textDocument/foldingRange", doc);
  assert.ok(ranges.some((r) => r.startLine === 0 && r.endLine === 1 && r.kind === "comment"));
  assert.ok(ranges.some((r) => r.startLine === 6 && r.endLine === 8));
});

test("semantic tokens classify functions, names, parameters, keywords and literals", async () => {
  const legend = (client.initializeResult as InitializeResult).capabilities.semanticTokensProvider!.legend;
  const { data } = await client.request<SemanticTokens>("textDocument/semanticTokens/full", doc);
  const tokens: { line: number; char: number; length: number; type: string; mods: string[] }[] = [];
  let line = 0;
  let char = 0;
  for (let i = 0; i < data.length; i += 5) {
    line += data[i]!;
    char = data[i]! === 0 ? char + data[i + 1]! : data[i + 1]!;
    const mods = legend.tokenModifiers.filter((_, bit) => (data[i + 4]! >> bit) & 1);
    tokens.push({ line, char, length: data[i + 2]!, type: legend.tokenTypes[data[i + 3]!]!, mods });
  }
  const lines = TEXT.split("\n");
  /** The token starting at `needle`, which must span `word`. */
  const at = (needle: string, word: string) => {
    const p = positionOf(TEXT, needle);
    const t = tokens.find((x) => x.line === p.line && x.char === p.character);
    assert.ok(t, `a token at ${needle}`);
    assert.equal(lines[p.line]!.slice(t.char, t.char + t.length), word);
    return t;
  };
  assert.deepEqual([at("ties", "ties").type, at("ties", "ties").mods], ["function", ["defaultLibrary"]]);
  assert.deepEqual([at("merged =", "merged").type, at("merged =", "merged").mods], ["variable", ["declaration"]]);
  assert.equal(at("density", "density").type, "parameter");
  assert.equal(at("where", "where").type, "keyword");
  assert.equal(at("0.2", "0.2").type, "number");
  assert.equal(at('"out/m"', '"out/m"').type, "string");
  assert.equal(at("# the", "# the models").type, "comment");
});

test("formatting gives the canonical layout as one edit", async () => {
  const edits = await client.request<TextEdit[]>("textDocument/formatting", { ...doc, options: { tabSize: 2, insertSpaces: true } });
  assert.equal(edits.length, 1);
  const formatted = applyEdit(TEXT, edits[0]!.range, edits[0]!.newText);
  assert.match(formatted, /^save\(merged, "out\/m"\)$/m);
  assert.match(formatted, /^ {2}where "\*\.self_attn\.\*" \{ density: 0\.4 \}$/m);
});

test("model paths are links to the model's config.json", async () => {
  const links = await client.request<DocumentLink[]>("textDocument/documentLink", doc);
  assert.equal(links.length, 3);
  assert.match(links[0]!.target!, /models\/tiny\/base\/config\.json$/);
  assert.deepEqual(links[0]!.range.start, positionOf(TEXT, "models/tiny/base"));
});
