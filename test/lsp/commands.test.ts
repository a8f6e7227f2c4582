/** Interference lenses, inlay hints, the inspect view, dry runs and runs (with progress and cancel). */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CancellationTokenSource } from "vscode-jsonrpc/node";
import type { CodeLens, InlayHint } from "vscode-languageserver/node";
import type { DryRunResponse, InspectResponse, RunResponse, SearchResponse } from "../../src/lsp/protocol.js";
import { LspClient, positionOf } from "./lsp-client.js";
import { withServer, writeModel, type Workspace } from "./workspace.js";

let ws: Workspace;
let client: LspClient;

const TEXT = [
  'base = model("models/tiny/base")',
  'a = model("models/tiny/task_a")',
  'b = model("models/tiny/task_b")',
  "merged = ties(a, b, base: base, density: 0.3)",
  '  where "*.self_attn.*" { density: 0.4 }',
  "  where layers 0..1 { lambda: 0.9 }",
  "again = ties(merged, b, base: base)",
  "interference(a, b, base: base)",
  'save(merged, "out/m", dtype: "bf16")',
  "print(1 + 2)",
  "",
].join("\n");

withServer((w, c) => {
  ws = w;
  client = c;
});

async function openRecipe(name: string, text: string): Promise<string> {
  const uri = await client.open(ws.write(name, text));
  await client.diagnosticsFor(uri, 1);
  return uri;
}

test("a code lens above each merge and interference(...) shows the sampled estimate", async () => {
  const uri = await openRecipe("lens.merge", TEXT);
  const lenses = await client.request<CodeLens[]>("textDocument/codeLens", { textDocument: { uri } });
  assert.deepEqual(lenses.map((l) => l.range.start.line), [3, 6, 7]);
  assert.ok(lenses.every((l) => l.command === undefined), "listed unresolved: computed later");
  const [merge, computed, report] = await Promise.all(lenses.map((l) => client.request<CodeLens>("codeLens/resolve", l)));
  assert.match(merge!.command!.title, /^sign conflict \d+% · redundancy \d+% · lost to election \d+% · 2 models · sampled$/);
  assert.equal(merge!.command!.command, "mergelang.inspectInterference");
  assert.deepEqual(merge!.command!.arguments, [uri, { line: 3, character: 9 }]);
  assert.match(computed!.command!.title, /needs models declared with model/);
  assert.equal(computed!.command!.command, "");
  assert.match(report!.command!.title, /· 2 models · sampled$/);
  // The merge is measured at its own density (0.3), interference(...) at the default 0.2.
  assert.notEqual(merge!.command!.title, report!.command!.title);
});

test("inlay hints: tensors matched by where selectors, parameters left at their defaults", async () => {
  const uri = await openRecipe("hints.merge", TEXT);
  const hints = await client.request<InlayHint[]>("textDocument/inlayHint", { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 10, character: 0 } } });
  const label = (h: InlayHint): string => (typeof h.label === "string" ? h.label : h.label.map((p) => p.value).join(""));
  const at = (line: number): string[] => hints.filter((h) => h.position.line === line).map(label);
  assert.deepEqual(at(4), ["16 tensors"]);
  assert.deepEqual(at(5), ["18 tensors"]);
  assert.deepEqual(at(3), [', lambda: 1, scope: "tensor", consensus: "sum", agreement: "delta", normalize: true']);
  const defaults = hints.find((h) => h.position.line === 3)!;
  assert.deepEqual(defaults.position, positionOf(TEXT, ")\n  where"));
  assert.deepEqual(at(8), [", shard_size: \"5GB\", copy_tokenizer: true, overwrite: false, allow_nonfinite: false"]);
});

test("the inspect request measures the call at a position and returns the heat map page", async () => {
  const uri = await openRecipe("inspect.merge", TEXT);
  const r = await client.request<InspectResponse>("mergelang/inspect", { uri, position: positionOf(TEXT, "interference"), workDoneToken: "inspect-1" });
  assert.ok(r.ok, r.message);
  assert.equal(r.title, "Interference: interference(a, b, base: base)");
  assert.match(r.html, /^<!DOCTYPE html>/);
  assert.match(r.html, /<svg/);
  assert.match(r.summary, /sign conflict \d+%/);
  const kinds = client.progress.filter((p) => p.token === "inspect-1").map((p) => (p.value as { kind: string }).kind);
  assert.equal(kinds[0], "begin");
  assert.equal(kinds[kinds.length - 1], "end");
  const none = await client.request<InspectResponse>("mergelang/inspect", { uri, position: { line: 9, character: 2 } });
  assert.equal(none.ok, false);
  assert.match(none.message, /no merge call/);
  const first = await client.request<InspectResponse>("mergelang/inspect", { uri, position: { line: 9, character: 2 }, fallbackToFirst: true });
  assert.match(first.title, /ties\(a, b, base: base, density: 0\.3\)/);
});

test("dry run describes the plan; a recipe with errors is refused with the reason", async () => {
  const uri = await openRecipe("dry.merge", TEXT);
  const r = await client.request<DryRunResponse>("mergelang/dryRun", { uri });
  assert.ok(r.ok, r.message);
  assert.equal(r.message, "1 model to write, 2 other statements to show");
  assert.match(r.plan, /out\/m\s+bf16\s+39\s+197,184/);
  const broken = await openRecipe("broken.merge", "x = tiess(1)\n");
  const refused = await client.request<DryRunResponse>("mergelang/dryRun", { uri: broken });
  assert.equal(refused.ok, false);
  assert.match(refused.message, /broken\.merge has 1 error/);
});

test("run writes the model, reports progress on the client's token and returns what was printed", async () => {
  const uri = await openRecipe("run.merge", TEXT);
  const r = await client.request<RunResponse>("mergelang/run", { uri, workDoneToken: "run-1" });
  assert.ok(r.ok, r.message);
  assert.equal(r.saved.length, 1);
  assert.equal(r.saved[0]!.path, join(ws.dir, "out", "m"));
  assert.ok(existsSync(join(ws.dir, "out", "m", "model.safetensors")));
  assert.ok(existsSync(join(ws.dir, "out", "m", "config.json")));
  assert.ok(r.output.some((t) => /^Interference of task_a, task_b/.test(t)), r.output.join("\n"));
  assert.ok(r.output.includes("3"), "print(1 + 2) shows 3");
  const values = client.progress.filter((p) => p.token === "run-1").map((p) => p.value as { kind: string; percentage?: number });
  assert.equal(values[0]!.kind, "begin");
  assert.ok(values.some((v) => v.kind === "report" && v.percentage === 100));
  assert.equal(values[values.length - 1]!.kind, "end");
});

test("cancelling a run stops it and leaves no half-written model", async () => {
  // Big enough to take a while: four 1024×1024 float32 tensors per model, merged and saved three times.
  const tensors = Array.from({ length: 4 }, (_, i) => ({ name: `model.layers.${i}.mlp.up_proj.weight`, shape: [1024, 1024] }));
  for (const [m, k] of [["base", 0], ["t1", 1], ["t2", 2]] as const) writeModel(join(ws.dir, "big", m), tensors, (t, i) => Math.sin(i * 0.001 + t) + k * 0.01 * Math.cos(i * 0.37 + k));
  const text = [
    'base = model("big/base")',
    'x = model("big/t1")',
    'y = model("big/t2")',
    'm = ties(x, y, base: base, scope: "global")',
    'save(m, "out/big1")',
    'save(m, "out/big2")',
    'save(m, "out/big3")',
    "",
  ].join("\n");
  const uri = await openRecipe("cancel.merge", text);
  const source = new CancellationTokenSource();
  const seen = client.progress.length;
  const pending = client.connection.sendRequest<RunResponse>("mergelang/run", { uri, workDoneToken: "run-cancel" }, source.token);
  await client.until(() => client.progress.slice(seen).some((p) => p.token === "run-cancel" && (p.value as { kind: string }).kind === "report"), "the run to start");
  source.cancel();
  const r = await pending.catch((e: Error) => ({ ok: false, cancelled: true, message: e.message, output: [], saved: [] }) as RunResponse);
  assert.equal(r.ok, false);
  assert.equal(r.cancelled, true, r.message);
  assert.equal(existsSync(join(ws.dir, "out", "big3")), false);
  assert.ok(!existsSync(join(ws.dir, "out", "big1")) || existsSync(join(ws.dir, "out", "big1", "model.safetensors")), "a folder is whole or absent");
});

test("settings from the editor turn lenses and hints off", async () => {
  const quiet = await LspClient.start({ root: ws.dir, settings: { codeLens: false, inlayHints: false, inspection: "exact" } });
  try {
    await quiet.until(() => quiet.configurationRequests > 0, "the server to read the settings");
    const uri = await quiet.open(ws.write("quiet.merge", TEXT));
    await quiet.diagnosticsFor(uri, 1);
    assert.deepEqual(await quiet.request("textDocument/codeLens", { textDocument: { uri } }), []);
    assert.deepEqual(await quiet.request("textDocument/inlayHint", { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 10, character: 0 } } }), []);
    const exact = await quiet.request<InspectResponse>("mergelang/inspect", { uri, position: positionOf(TEXT, "interference") });
    assert.ok(exact.ok, exact.message);
    assert.doesNotMatch(exact.summary, /sampled/, "the view follows mergelang.inspection");
  } finally {
    await quiet.stop();
  }
});

test("search runs optimize(...) in the job worker: progress with the best so far, the table, the best recipe; run refuses it", async () => {
  const text = [
    'base = model("models/tiny/base")',
    'a = model("models/tiny/task_a")',
    'b = model("models/tiny/task_b")',
    "merged = ties(a, b, base: base, lambda: search([0.5, 1.5]))",
    'optimize(merged, metric: "echo 0.25 # {model}", budget: 2)',
    "",
  ].join("\n");
  const uri = await openRecipe("tune.merge", text);
  const r = await client.request<SearchResponse>("mergelang/search", { uri, workDoneToken: "search-1" });
  assert.ok(r.ok, r.message);
  assert.match(r.message, /^best 0\.25 with lambda 0\.5 \(2 evaluations\); wrote tune\.best\.merge$/);
  assert.equal(r.output.filter((l) => /^\s+\d+\s+(0\.5|1\.5)\s+0\.25/.test(l)).length, 2, r.output.join("\n"));
  assert.match(readFileSync(r.bestRecipe!, "utf8"), /lambda: 0\.5\)/);
  const values = client.progress.filter((p) => p.token === "search-1").map((p) => p.value as { kind: string; message?: string });
  assert.ok(values.some((v) => v.kind === "report" && /^best 0\.25 \(lambda 0\.5\)$/.test(v.message ?? "")), JSON.stringify(values));
  const run = await client.request<RunResponse>("mergelang/run", { uri });
  assert.equal(run.ok, false);
  assert.match(run.message, /searches its coefficients .* "mergelang: Search"/);
});
