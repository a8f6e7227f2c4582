/**
 * The VS Code extension as users get it: the packaging script bundles and packs a .vsix offline; the
 * archive holds the manifest, grammar, snippets and bundles; the bundled server starts on its own.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { repoRoot } from "../support/paths.js";
import { LspClient } from "./lsp-client.js";
import { readZip } from "./zip.js";
import { makeWorkspace, type Workspace } from "./workspace.js";
import { tempDir } from "../support/temp-dir.js";

let dir: string;
let entries: Map<string, Buffer>;

before(() => {
  dir = tempDir("mergelang-vsix-");
  const vsix = join(dir, "mergelang.vsix");
  const r = spawnSync(process.execPath, [join(repoRoot(), "extension", "scripts", "package-extension.mjs"), "--out", vsix], {
    cwd: repoRoot(),
    encoding: "utf8",
    timeout: 180_000,
  });
  assert.equal(r.status, 0, `packaging failed:\n${r.stdout}\n${r.stderr}`);
  entries = readZip(readFileSync(vsix));
});

after(() => rmSync(dir, { recursive: true, force: true }));

const json = (name: string): Record<string, unknown> => {
  const b = entries.get(name);
  assert.ok(b, `${name} is in the .vsix (it has ${[...entries.keys()].join(", ")})`);
  return JSON.parse(b.toString("utf8")) as Record<string, unknown>;
};

test("the manifest contributes the language, grammar, snippets, settings and commands", () => {
  const manifest = json("extension/package.json") as {
    main: string;
    engines: { vscode: string };
    contributes: {
      languages: { id: string; extensions: string[]; configuration: string }[];
      grammars: { language: string; scopeName: string; path: string }[];
      snippets: { path: string }[];
      configuration: { properties: Record<string, { enum?: string[] }> };
      commands: { command: string }[];
    };
  };
  assert.equal(manifest.engines.vscode, "^1.99.0");
  const c = manifest.contributes;
  assert.deepEqual(c.languages.map((l) => [l.id, l.extensions]), [["mergelang", [".merge"]]]);
  const grammar = json(`extension/${c.grammars[0]!.path.replace("./", "")}`) as { scopeName: string; patterns: unknown[] };
  assert.equal(grammar.scopeName, c.grammars[0]!.scopeName);
  assert.ok(grammar.patterns.length > 0);
  assert.ok((json(`extension/${c.languages[0]!.configuration.replace("./", "")}`) as { comments: { lineComment: string } }).comments.lineComment === "#");
  assert.ok(Object.keys(json(`extension/${c.snippets[0]!.path.replace("./", "")}`)).length > 0);
  assert.deepEqual(c.configuration.properties["mergelang.device"]!.enum, ["auto", "cpu", "gpu", "tfjs-cpu", "wasm"]);
  assert.deepEqual(c.configuration.properties["mergelang.inspection"]!.enum, ["sampled", "exact"]);
  assert.deepEqual(
    c.commands.map((x) => x.command).sort(),
    ["mergelang.dryRun", "mergelang.formatRecipe", "mergelang.inspectInterference", "mergelang.restartServer", "mergelang.runRecipe", "mergelang.searchRecipe"],
  );
  for (const f of [manifest.main, "./dist/server.cjs", "./dist/lsp-worker.cjs", "./dist/worker.js"]) {
    assert.ok(entries.has(`extension/${f.replace("./", "")}`), `${f} is packed`);
  }
  assert.ok(entries.has("extension.vsixmanifest"));
});

test("the bundled server starts with nothing else installed and checks a recipe", async () => {
  // Only the extension's own files, outside the repository: no node_modules to fall back on.
  const installed = join(dir, "installed");
  for (const [name, data] of entries) {
    if (!name.startsWith("extension/dist/")) continue;
    const path = join(installed, name.slice("extension/".length));
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, data);
  }
  let ws: Workspace | null = null;
  let client: LspClient | null = null;
  try {
    ws = makeWorkspace();
    client = await LspClient.start({ root: ws.dir, command: [process.execPath, join(installed, "dist", "server.cjs"), "--stdio"] });
    assert.ok(client.initializeResult.capabilities.completionProvider);
    assert.equal(client.initializeResult.serverInfo?.name, "mergelang");
    const text = 'base = model("models/tiny/base")\na = model("models/tiny/task_a")\nm = ties(a, base: base, densty: 0.1)\nsave(m, "out/m")\n';
    const uri = await client.open(ws.write("bundled.merge", text));
    const ds = await client.diagnosticsFor(uri, 1);
    assert.deepEqual(ds.map((d) => d.code), ["unknown-parameter"]);
  } finally {
    await client?.stop();
    ws?.cleanup();
  }
});
