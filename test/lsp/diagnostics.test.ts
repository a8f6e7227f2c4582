/** Diagnostics over the protocol: codes, related information, edits, late model folders, quick fixes. */
import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import type { CodeAction, Diagnostic } from "vscode-languageserver/node";
import { applyEdit, LspClient, positionOf } from "./lsp-client.js";
import { withServer, writeModel, type Workspace } from "./workspace.js";

let ws: Workspace;
let client: LspClient;

withServer((w, c) => {
  ws = w;
  client = c;
});

const codes = (ds: Diagnostic[]): string[] => ds.map((d) => String(d.code));

test("syntax, type, parameter and model errors arrive with codes, ranges and severities", async () => {
  const text = [
    'base = model("models/tiny/base")',
    'a = model("models/tiny/task_a")',
    'b = model("models/nope")',
    "m = ties(a, base: base, densty: 0.3)",
    "x = a + base",
    'save(m, "out/m"',
    "",
  ].join("\n");
  const uri = await client.open(ws.write("errors.merge", text));
  const ds = await client.diagnosticsFor(uri, 1);
  const byCode = (c: string): Diagnostic => {
    const d = ds.find((x) => x.code === c);
    assert.ok(d, `expected ${c} in ${codes(ds).join(", ")}`);
    return d;
  };
  const missing = byCode("model-not-found");
  assert.equal(missing.range.start.line, 2);
  assert.equal(missing.severity, 1);
  assert.equal(missing.source, "mergelang");
  const param = byCode("unknown-parameter");
  assert.deepEqual(param.range, { start: positionOf(text, "densty"), end: positionOf(text, "densty", 6) });
  assert.match(String(param.message), /did you mean 'density'/);
  assert.equal(byCode("not-affine").range.start.line, 4);
  assert.ok(ds.some((d) => d.range.start.line === 5 && (d.code === "unclosed-bracket" || d.code === "syntax-error")), codes(ds).join(", "));
  const unused = ds.find((d) => d.code === "unused-binding");
  assert.ok(unused && unused.severity === 4 && unused.tags?.includes(1), "unused bindings are faded hints");
});

test("related information points at the other place", async () => {
  const text = "y = z + 1\nz = 2\nprint(y)\n";
  const uri = await client.open(ws.write("related.merge", text));
  const d = (await client.diagnosticsFor(uri, 1)).find((x) => x.code === "unknown-name");
  assert.ok(d);
  assert.equal(d.relatedInformation?.length, 1);
  assert.equal(d.relatedInformation![0]!.location.uri, uri);
  assert.equal(d.relatedInformation![0]!.location.range.start.line, 1);
});

test("a shape mismatch names both models in its related information", async () => {
  writeModel(join(ws.dir, "odd", "m1"), [{ name: "model.layers.0.mlp.up_proj.weight", shape: [2, 2] }]);
  writeModel(join(ws.dir, "odd", "m2"), [{ name: "model.layers.0.mlp.up_proj.weight", shape: [2, 3] }]);
  const text = 'm1 = model("odd/m1")\nm2 = model("odd/m2")\nsave(linear(m1, m2), "out/x")\n';
  const uri = await client.open(ws.write("shapes.merge", text));
  const d = (await client.diagnosticsFor(uri, 1)).find((x) => x.code === "shape-mismatch");
  assert.ok(d, "shape-mismatch expected");
  assert.match(String(d.message), /up_proj/);
  assert.deepEqual(
    d.relatedInformation?.map((r) => r.location.range.start.line),
    [0, 1],
  );
});

test("incremental edits update the diagnostics of each version", async () => {
  const text = 'base = model("models/tiny/base")\na = model("models/tiny/task_a")\nsave(task_arithmetic(a, base: base), "out/t")\n';
  const uri = await client.open(ws.write("edits.merge", text));
  assert.deepEqual(codes(await client.diagnosticsFor(uri, 1)), []);
  const at = positionOf(text, "task_arithmetic");
  const v2 = await client.edit(uri, { start: at, end: { line: at.line, character: at.character + 4 } }, "tsak");
  const ds = await client.diagnosticsFor(uri, v2);
  assert.deepEqual(codes(ds), ["unknown-function"]);
  assert.match(String(ds[0]!.message), /did you mean 'task_arithmetic'/);
  const v3 = await client.edit(uri, { start: at, end: { line: at.line, character: at.character + 4 } }, "task");
  assert.deepEqual(codes(await client.diagnosticsFor(uri, v3)), []);
});

test("a model folder that appears later is picked up when the editor reports the new files", async () => {
  const registration = await client.until(() => client.registrations.find((r) => r.method === "workspace/didChangeWatchedFiles"), "a file watcher registration");
  const globs = (registration.registerOptions as { watchers: { globPattern: string }[] }).watchers.map((w) => w.globPattern);
  assert.ok(globs.some((g) => g.endsWith(".safetensors")), globs.join(", "));

  const text = 'base = model("models/tiny/base")\nlate = model("models/late")\nsave(linear(base, late), "out/l")\n';
  const uri = await client.open(ws.write("late.merge", text));
  assert.deepEqual(codes(await client.diagnosticsFor(uri, 1)), ["model-not-found"]);
  const seen = client.published.length;
  cpSync(join(ws.dir, "models", "tiny", "task_a"), join(ws.dir, "models", "late"), { recursive: true });
  await client.connection.sendNotification("workspace/didChangeWatchedFiles", {
    changes: [{ uri: pathToFileURL(join(ws.dir, "models", "late", "model.safetensors")).href, type: 1 }],
  });
  await client.until(() => client.published.slice(seen).find((p) => p.uri === uri && p.diagnostics.length === 0), "the model-not-found error to go");
  assert.ok(client.logs.includes("codeLens/refresh"), "code lenses are refreshed too");
});

test("quick fixes: did-you-mean, add base:, wrap a + b as linear(a, b)", async () => {
  const text = [
    'base = model("models/tiny/base")',
    'a = model("models/tiny/task_a")',
    'b = model("models/tiny/task_b")',
    "m = ties(a, b, base: base, densty: 0.3)",
    "n = ties(a, b)",
    "s = a + b",
    'save(m, "out/m")',
    'save(n, "out/n")',
    'save(s, "out/s")',
    "",
  ].join("\n");
  const uri = await client.open(ws.write("fixes.merge", text));
  const ds = await client.diagnosticsFor(uri, 1);
  const fixFor = async (code: string): Promise<string> => {
    const d = ds.find((x) => x.code === code);
    assert.ok(d, `${code} expected among ${codes(ds).join(", ")}`);
    const actions = await client.request<CodeAction[]>("textDocument/codeAction", { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } });
    const action = actions.find((a) => a.diagnostics?.some((x) => x.code === code));
    assert.ok(action?.edit?.changes?.[uri], `a fix for ${code}`);
    assert.equal(action.kind, "quickfix");
    let fixed = text;
    for (const e of [...action.edit.changes[uri]!].reverse()) fixed = applyEdit(fixed, e.range, e.newText);
    return fixed;
  };
  assert.match(await fixFor("unknown-parameter"), /ties\(a, b, base: base, density: 0\.3\)/);
  assert.match(await fixFor("missing-parameter"), /n = ties\(a, b, base: base\)/);
  assert.match(await fixFor("not-affine"), /s = linear\(a, b\)/);
});
