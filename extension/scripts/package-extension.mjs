#!/usr/bin/env node
// @ts-check
/**
 * Builds the VS Code extension offline: bundles the client, the language server and its worker
 * threads with esbuild (CommonJS for Node 20), copies the grammar, language configuration and
 * snippets, and packs a .vsix with @vscode/vsce. Needs nothing but node_modules.
 *
 *   node extension/scripts/package-extension.mjs [--typecheck] [--out FILE.vsix] [--stage DIR] [--no-vsix]
 *
 * --typecheck first type-checks the client (extension/tsconfig.json: the VS Code API types);
 * --stage keeps the unpacked extension in DIR (default: a temporary folder, removed afterwards);
 * --no-vsix stops after staging (for a quick look or a test of the bundles).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const extensionDir = resolve(here, "..");
const root = resolve(extensionDir, "..");

/** Files the extension takes from elsewhere in the repository: [source, path inside the extension]. */
const COPIED = [
  ["extension/package.json", "package.json"],
  ["extension/README.md", "README.md"],
  ["extension/snippets/mergelang.json", "snippets/mergelang.json"],
  ["grammar/mergelang.tmLanguage.json", "syntaxes/mergelang.tmLanguage.json"],
  ["grammar/language-configuration.json", "language-configuration.json"],
  // vscode-languageclient stops the server's process tree with this script on Linux and macOS.
  ["node_modules/vscode-languageclient/lib/node/terminateProcess.sh", "dist/terminateProcess.sh"],
];

/** Bundles: [entry, output inside the extension]. */
const BUNDLES = [
  ["extension/src/extension.ts", "dist/extension.cjs"],
  ["extension/src/server.ts", "dist/server.cjs"],
  ["src/lsp/worker.ts", "dist/lsp-worker.cjs"],
  // The engine starts its kernel threads from `new URL("./worker.js", import.meta.url)`.
  ["src/engine/parallel/worker.ts", "dist/worker.js"],
];

/** @param {string} message */
function fail(message) {
  console.error(`package-extension: ${message}`);
  process.exit(1);
}

async function main() {
  const { values } = parseArgs({
    options: { out: { type: "string" }, stage: { type: "string" }, "no-vsix": { type: "boolean" }, typecheck: { type: "boolean" } },
  });
  if (values.typecheck) {
    const tsc = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(extensionDir, "tsconfig.json")], { stdio: "inherit" });
    if (tsc.status !== 0) fail("the extension has type errors");
  }
  const manifest = JSON.parse(readFileSync(join(extensionDir, "package.json"), "utf8"));
  const out = resolve(values.out ?? join(root, "dist", `${manifest.name}-${manifest.version}.vsix`));
  const keepStage = values.stage !== undefined;
  const stage = keepStage ? resolve(/** @type {string} */ (values.stage)) : mkdtempSync(join(tmpdir(), "mergelang-extension-"));
  if (keepStage) rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, "dist"), { recursive: true });

  for (const [from] of COPIED) {
    if (!existsSync(join(root, from))) {
      fail(`${from} is missing${from.startsWith("grammar/") ? ": generate it first (npm run grammar)" : ""}`);
    }
  }
  for (const [from, to] of COPIED) {
    mkdirSync(dirname(join(stage, to)), { recursive: true });
    copyFileSync(join(root, from), join(stage, to));
  }

  const esbuild = await import("esbuild");
  // src/language/chevrotain.ts takes Chevrotain's single-file build, which the build copies into dist/;
  // a bundle has no module-loading time to save, so it takes the package itself.
  /** @type {import("esbuild").Plugin} */
  const plainChevrotain = {
    name: "plain-chevrotain",
    setup(build) {
      build.onResolve({ filter: /(^|\/)chevrotain-bundle\.js$/ }, () => ({ path: "chevrotain", namespace: "plain-chevrotain" }));
      build.onLoad({ filter: /.*/, namespace: "plain-chevrotain" }, () => ({ contents: 'export * from "chevrotain";', resolveDir: root, loader: "js" }));
    },
  };
  // CommonJS has no import.meta: give each bundle its own file's URL instead.
  const shim = join(stage, "import-meta-url.js");
  writeFileSync(shim, 'export const import_meta_url = require("node:url").pathToFileURL(__filename).href;\n');
  for (const [entry, to] of BUNDLES) {
    const result = await esbuild.build({
      entryPoints: [join(root, entry)],
      outfile: join(stage, to),
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      external: ["vscode"],
      plugins: [plainChevrotain],
      define: { "import.meta.url": "import_meta_url" },
      inject: [shim],
      minify: true,
      keepNames: true,
      sourcemap: false,
      legalComments: "none",
      logLevel: "silent",
    });
    for (const w of result.warnings) console.warn(`package-extension: ${entry}: ${w.text}`);
  }
  rmSync(shim);

  if (values["no-vsix"]) {
    console.log(`staged the extension in ${stage}`);
    return;
  }
  mkdirSync(dirname(out), { recursive: true });
  const vsce = await import("@vscode/vsce");
  await vsce.createVSIX({
    cwd: stage,
    packagePath: out,
    dependencies: false,
    allowMissingRepository: true,
    skipLicense: true,
  });
  console.log(`packaged ${relative(process.cwd(), out) || out} (${(statSync(out).size / 1024).toFixed(0)} KiB)`);
  if (!keepStage) rmSync(stage, { recursive: true, force: true });
}

main().catch((e) => fail(e instanceof Error ? e.message : String(e)));

