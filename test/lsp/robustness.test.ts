/** Every request on any broken document answers, and the server survives all of it. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { cliPath, LspClient, positionAtOffset } from "./lsp-client.js";
import { withServer, type Workspace } from "./workspace.js";

let ws: Workspace;
let client: LspClient;
let n = 0;

withServer((w, c) => {
  ws = w;
  client = c;
});

const GOOD = [
  'base = model("models/tiny/base")',
  'a = model("models/tiny/task_a")',
  'b = model("models/tiny/task_b")',
  "m = ties(a, b, base: base, density: [0.2, 0.3])",
  '  where "*.mlp.*" { density: ramp(0.5, 0.1) }',
  "  where layers 0..2 { lambda: 0.8 }",
  "t = base + 0.5 * (a - base) - -(b - base) / 2",
  "interference(a, b, base: base, by: \"tensor\")",
  'save(m, "out/m", dtype: "bf16", shard_size: "1MB")',
  "",
].join("\n");

const BROKEN = [
  "",
  "(",
  ")",
  "]]]}}}",
  '"',
  'x = model("',
  "ties(",
  "where",
  "where layers",
  "m = ties(a, b where { density: }",
  "= = = :",
  "x = 1 +",
  "x = -",
  "x = [1, 2,",
  "x = ramp(",
  "save(, , ,)",
  "a..b 1e 20%% \\ @ $ ` ~ ! ?",
  "x = 1\r\ny = x +\r\n",
  "名前 = model(\"ü\") # ☃\n",
  "x = " + "(".repeat(300) + "1" + ")".repeat(300),
  "x = " + "[".repeat(300),
  "m = ties(" + "a, ".repeat(2000),
  // Chains past the depth limit, and one just under it (every feature walks expressions).
  "x = 1\n" + "+ 1\n".repeat(10_000),
  "x = " + "-".repeat(10_000) + "1",
  "x = 1" + " + 1".repeat(990) + "\ny = -x",
  GOOD.slice(0, GOOD.length / 2),
];

/** Sends every request the server offers at `offset`; all must answer without a protocol error. */
async function everything(uri: string, text: string, offset: number): Promise<void> {
  const position = positionAtOffset(text, offset);
  const td = { textDocument: { uri } };
  const whole = { start: { line: 0, character: 0 }, end: positionAtOffset(text, text.length) };
  const requests: [string, unknown][] = [
    ["textDocument/completion", { ...td, position }],
    ["textDocument/hover", { ...td, position }],
    ["textDocument/signatureHelp", { ...td, position }],
    ["textDocument/definition", { ...td, position }],
    ["textDocument/references", { ...td, position, context: { includeDeclaration: true } }],
    ["textDocument/documentHighlight", { ...td, position }],
    ["textDocument/prepareRename", { ...td, position }],
    ["textDocument/documentSymbol", td],
    ["textDocument/foldingRange", td],
    ["textDocument/semanticTokens/full", td],
    ["textDocument/formatting", { ...td, options: { tabSize: 2, insertSpaces: true } }],
    ["textDocument/documentLink", td],
    ["textDocument/codeAction", { ...td, range: whole, context: { diagnostics: [] } }],
    ["textDocument/codeLens", td],
    ["textDocument/inlayHint", { ...td, range: whole }],
    ["mergelang/dryRun", { uri }],
  ];
  await Promise.all(
    requests.map(async ([method, params]) => {
      try {
        await client.request(method, params);
      } catch (e) {
        assert.fail(`${method} at ${offset} of ${JSON.stringify(text.slice(0, 60))} failed: ${(e as Error).message}`);
      }
    }),
  );
}

test("every request on broken documents answers", async () => {
  for (const text of BROKEN) {
    const uri = await client.open(ws.write(`broken${n++}.merge`, text), text);
    await client.diagnosticsFor(uri, 1);
    for (const offset of new Set([0, Math.floor(text.length / 2), text.length])) await everything(uri, text, offset);
  }
  assert.equal(client.process.exitCode, null, "the server is still running");
  assert.doesNotMatch(client.logs.join("\n"), /failed:/, "no handler threw");
});

test("typing a recipe character by character: every prefix gets diagnostics, completion and hover", async () => {
  const uri = await client.open(ws.write("typing.merge", ""), "");
  let text = "";
  for (let i = 0; i < GOOD.length; i += 3) {
    const chunk = GOOD.slice(i, i + 3);
    const end = positionAtOffset(text, text.length);
    await client.edit(uri, { start: end, end }, chunk);
    text += chunk;
    const position = positionAtOffset(text, text.length);
    await client.request("textDocument/completion", { textDocument: { uri }, position });
    await client.request("textDocument/hover", { textDocument: { uri }, position });
    await client.request("textDocument/signatureHelp", { textDocument: { uri }, position });
  }
  assert.equal(client.text(uri), GOOD);
  const final = await client.diagnosticsFor(uri, client.version(uri));
  assert.deepEqual(final.filter((d) => d.severity === 1), [], "the finished recipe is clean");
  assert.doesNotMatch(client.logs.join("\n"), /failed:/);
});

test("brackets nested thousands deep get a diagnostic instead of a stack overflow", async () => {
  const text = "x = " + "[".repeat(20000) + "\n";
  const uri = await client.open(ws.write("deep.merge", text), text);
  const ds = await client.diagnosticsFor(uri, 1);
  assert.ok(ds.some((d) => /nest too deeply/.test(String(d.message))), ds.map((d) => d.message).join("; "));
});

test("requests about documents the server does not have answer empty", async () => {
  const td = { textDocument: { uri: "file:///nowhere/never.merge" } };
  assert.equal(await client.request("textDocument/hover", { ...td, position: { line: 0, character: 0 } }), null);
  assert.deepEqual(await client.request("textDocument/completion", { ...td, position: { line: 0, character: 0 } }), []);
  assert.deepEqual(await client.request("textDocument/documentSymbol", td), []);
  await assert.rejects(client.request("mergelang/run", { uri: "file:///nowhere/never.merge" }), /is not open in the editor/);
});

test("`mergelang lsp` without a transport is a usage error, not a hang", () => {
  const r = spawnSync(process.execPath, [cliPath, "lsp"], { encoding: "utf8", timeout: 20000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /lsp needs a transport/);
  const help = spawnSync(process.execPath, [cliPath, "lsp", "--help"], { encoding: "utf8", timeout: 20000 });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: mergelang lsp --stdio/);
});
