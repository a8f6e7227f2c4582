/**
 * The tour of the extension in a real VS Code, as a list of steps: install and start everything,
 * then highlighting, diagnostics, completion, hover, the code lens, the interference view and a run.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { lookupFunction } from "../../../src/language/catalog.js";
import { callSnippet } from "../../../src/lsp/completion.js";
import { repoRoot } from "../../support/paths.js";
import { launchChromium } from "./browser.js";
import { CodeServer } from "./code-server.js";
import { isLoopback, listeners } from "./listening.js";
import { assertNotBlank } from "./png.js";
import type { Session } from "./session.js";
import type { Step } from "./steps.js";
import { ensureVscode } from "./vscode-install.js";
import { GiveUp, until, Workbench } from "./workbench.js";
import { makeWorkspace, RECIPES } from "./workspace.js";

/** The text a snippet leaves once its placeholders hold their defaults. */
export function snippetText(snippet: string): string {
  return snippet.replace(/\$\{\d+:([^}]*)\}/g, "$1").replace(/\$\{\d+\}|\$\d+/g, "");
}

/** Like until(), but stops at once when the language server is known to be gone for good. */
function untilServer<T>(s: Session, what: string, ms: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  return until(what, ms, async () => {
    const gone = s.languageServerGaveUp();
    if (gone) throw new GiveUp(`the language server stopped, so no ${what}. The language client's log:\n${gone}`);
    return probe();
  });
}

/**
 * Packs the extension with the project's script. With `dropFromVsix`, stages it instead, removes
 * those files and packs the rest the way the script does (vsce), to see the suite catch the gap.
 */
async function packageExtension(session: Session): Promise<string> {
  const out = join(session.home, "mergelang.vsix");
  const script = join(repoRoot(), "extension", "scripts", "package-extension.mjs");
  const drop = session.options.dropFromVsix ?? [];
  const stage = join(session.home, "extension-stage");
  const args = drop.length ? ["--stage", stage, "--no-vsix"] : ["--out", out];
  const r = spawnSync(process.execPath, [script, ...args], { cwd: repoRoot(), encoding: "utf8", timeout: 180_000 });
  if (r.status !== 0) throw new Error(`package-extension.mjs failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  if (drop.length) {
    for (const path of drop) rmSync(join(stage, path), { force: true });
    const { createVSIX } = await import("@vscode/vsce");
    await createVSIX({ cwd: stage, packagePath: out, dependencies: false, allowMissingRepository: true, skipLicense: true });
  }
  assert.ok(existsSync(out), `no ${out}`);
  return out;
}

const setupSteps: Step[] = [
  {
    name: "set up code-server and Chromium",
    timeoutMs: 9 * 60_000,
    async run(s) {
      s.install = ensureVscode();
    },
  },
  {
    name: "package the extension as a .vsix",
    timeoutMs: 3 * 60_000,
    async run(s) {
      s.vsix = await packageExtension(s);
    },
  },
  {
    name: "install the .vsix into a fresh code-server",
    timeoutMs: 2 * 60_000,
    async run(s) {
      CodeServer.prepareHome(s.home);
      CodeServer.installExtension(s.need("install"), s.home, s.need("vsix"));
      const installed = readdirSync(join(s.home, "extensions")).filter((d) => d.startsWith("mergelang.mergelang-"));
      assert.equal(installed.length, 1, `the extensions folder holds ${readdirSync(join(s.home, "extensions")).join(", ")}`);
    },
  },
  {
    name: "start code-server on 127.0.0.1 with the example models",
    timeoutMs: 2 * 60_000,
    async run(s) {
      s.workspace = await makeWorkspace(join(s.home, "workspace"));
      s.server = await CodeServer.start(s.need("install"), s.home, s.workspace.dir);
    },
  },
  {
    name: "open the workspace in Chromium",
    timeoutMs: 3 * 60_000,
    async run(s) {
      s.browser = await launchChromium(s.need("install").chromium, s.home);
      const page = await s.browser.browser.newPage({ viewport: { width: 1400, height: 860 } });
      page.setDefaultTimeout(30_000);
      s.workbench = new Workbench(page);
      await s.workbench.open(s.need("server").url(s.need("workspace").dir));
      await until("the explorer to list merge.merge", 30_000, async () => (await page.locator(".explorer-folders-view .monaco-list-row", { hasText: RECIPES.merge.file }).count()) > 0);
    },
  },
];

const editorSteps: Step[] = [
  {
    name: "grammar: the .merge file is highlighted by the TextMate grammar",
    timeoutMs: 90_000,
    async run(s) {
      const wb = s.need("workbench");
      await wb.openFile(RECIPES.merge.file);
      const tokens = await until("coloured tokens", 30_000, async () => {
        const t = await wb.tokens();
        return t.some((x) => x.text.startsWith("#")) && t.some((x) => x.text === "ties") ? t : null;
      });
      const plain = tokens.find((t) => t.className === "mtk1");
      const comment = tokens.find((t) => t.text.startsWith("# TIES-merge"));
      const call = tokens.find((t) => t.text === "ties");
      assert.ok(plain && comment && call, `tokens: ${JSON.stringify(tokens.slice(0, 20))}`);
      assert.notEqual(comment.colour, plain.colour, "a comment has the plain text's colour");
      assert.notEqual(call.colour, plain.colour, "ties has the plain text's colour");
      assert.notEqual(comment.colour, call.colour, "a comment and a function call share a colour");
      assert.notEqual(comment.className, call.className);
      // Which scopes the grammar gave `ties`, as VS Code's own token inspector shows them.
      const line = RECIPES.merge.text.findIndex((l) => l.includes("ties(")) + 1;
      await wb.goTo(line, RECIPES.merge.text[line - 1]!.indexOf("ties(") + 2);
      await wb.runCommand("Developer: Inspect Editor Tokens and Scopes");
      const widget = wb.page.locator(".token-inspect-widget");
      const scopes = await until("the token inspector to list the TextMate scopes", 15_000, async () => {
        const text = (await widget.textContent()) ?? "";
        return /textmate scopes/i.test(text) ? text : null;
      });
      assert.match(scopes, /support\.function\.builtin\.mergelang/, `the token inspector shows: ${scopes}`);
      assert.match(scopes, /source\.mergelang/);
    },
  },
  {
    name: "diagnostics: a recipe with errors shows squiggles and its problems",
    timeoutMs: 90_000,
    async run(s) {
      const wb = s.need("workbench");
      await wb.page.keyboard.press("Escape");
      await wb.openFile(RECIPES.errors.file);
      await untilServer(s, `${RECIPES.errors.errorCount} error squiggles from the language server`, 45_000, async () => (await wb.squiggles("error")) === RECIPES.errors.errorCount);
      await wb.runCommand("View: Focus Problems (Errors, Warnings, Infos)");
      const rows = wb.page.locator(".markers-panel .monaco-list-row");
      const problems = await until("the Problems panel to list both errors", 20_000, async () => {
        const labels = await rows.evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? ""));
        const errors = labels.filter((l) => /^Error/i.test(l));
        return errors.length === RECIPES.errors.errorCount ? errors : null;
      });
      assert.ok(problems.some((p) => p.includes("unknown name 'cdoe'")), problems.join("\n"));
      assert.ok(problems.some((p) => p.includes("'density' must be")), problems.join("\n"));
      const status = (await wb.page.locator("#status\\.problems").getAttribute("aria-label")) ?? "";
      assert.match(status, new RegExp(`Errors: ${RECIPES.errors.errorCount}\\b`), `status bar: ${status}`);
      const badge = (await wb.page.locator(".panel .composite-bar .action-item", { hasText: "Problems" }).locator(".badge-content").textContent()) ?? "";
      assert.equal(badge.trim(), String(RECIPES.errors.errorCount), "the count on the Problems tab");
    },
  },
  {
    name: "diagnostics: fixing the text clears them",
    timeoutMs: 60_000,
    async run(s) {
      const wb = s.need("workbench");
      await wb.focusEditor();
      await wb.goTo(RECIPES.errors.brokenLine, 1);
      await wb.page.keyboard.press("Shift+End");
      await wb.page.keyboard.type(RECIPES.errors.fixedLine);
      await wb.waitForLine(RECIPES.errors.fixedLine);
      await until("the squiggles to go", 30_000, async () => (await wb.squiggles("error")) === 0);
      await until("the Problems panel to empty", 20_000, async () => (await wb.page.locator(".markers-panel .monaco-list-row").count()) === 0);
      const status = (await wb.page.locator("#status\\.problems").getAttribute("aria-label")) ?? "";
      assert.match(status, /Errors: 0\b|No Problems/i, `status bar: ${status}`);
    },
  },
  {
    name: "completion: ties(a, b, offers density, lambda and scope",
    timeoutMs: 60_000,
    async run(s) {
      const wb = s.need("workbench");
      await wb.runCommand("View: Hide Panel");
      await wb.openFile(RECIPES.scratch.file);
      await wb.page.keyboard.press("Control+End");
      await wb.page.keyboard.type("merged = ties(a, b, ");
      const suggest = await wb.suggestions();
      const labels = await untilServer(s, "suggestions for ties's parameters", 20_000, async () => {
        const l = await suggest.locator(".monaco-list-row .label-name").allTextContents();
        return l.length ? l : null;
      });
      for (const p of ["density:", "lambda:", "scope:"]) assert.ok(labels.includes(p), `${p} is not among ${labels.join(" ")}`);
      await wb.page.keyboard.type("lamb");
      await until("lambda: to be the selected suggestion", 10_000, async () => ((await suggest.locator(".monaco-list-row.focused .label-name").textContent()) ?? "") === "lambda:");
      await wb.page.screenshot({ path: join(s.results, "completion-list.png") });
      await wb.page.keyboard.press("Enter");
      await wb.page.keyboard.type("0.5");
      await wb.waitForLine("merged = ties(a, b, lambda: 0.5)");
    },
  },
  {
    name: "completion: accepting a function inserts its snippet",
    timeoutMs: 60_000,
    async run(s) {
      const wb = s.need("workbench");
      await wb.page.keyboard.press("End");
      await wb.page.keyboard.press("Enter");
      await wb.page.keyboard.type("mixed = pc");
      const suggest = await wb.suggestions();
      await until("pcb to be the selected suggestion", 20_000, async () => ((await suggest.locator(".monaco-list-row.focused .label-name").textContent()) ?? "") === "pcb");
      await wb.page.keyboard.press("Enter");
      const expanded = `mixed = ${snippetText(callSnippet(lookupFunction("pcb")!))}`;
      await wb.waitForLine(expanded);
      // The placeholders are live: the first holds the models, Tab goes to the next.
      await wb.page.keyboard.type("a, b");
      await wb.dismissSuggestions();
      await wb.page.keyboard.press("Tab");
      await wb.page.keyboard.type("base");
      await wb.dismissSuggestions();
      await wb.page.keyboard.press("Escape");
      await wb.waitForLine("mixed = pcb(a, b, base: base)");
    },
  },
  {
    name: "hover: ties shows its documentation",
    timeoutMs: 45_000,
    async run(s) {
      const wb = s.need("workbench");
      await wb.page.keyboard.press("Escape");
      const spec = lookupFunction("ties")!;
      const hover = wb.page.locator(".monaco-hover:not(.hidden)", { hasText: spec.summary });
      await untilServer(s, "hover with ties's documentation", 30_000, async () => {
        await wb.page.mouse.move(1, 1);
        await wb.token("ties").hover();
        return hover.first().waitFor({ timeout: 3_000 }).then(() => true, () => false);
      });
      const text = (await hover.first().textContent()) ?? "";
      assert.match(text, /density/);
    },
  },
  {
    name: "code lens: the interference estimate above the merge call",
    timeoutMs: 90_000,
    async run(s) {
      const wb = s.need("workbench");
      await wb.page.mouse.move(1, 1);
      await wb.openFile(RECIPES.merge.file);
      const lens = wb.editor().locator(".codelens-decoration a", { hasText: /sign conflict/ });
      await untilServer(s, "code lens with the interference estimate", 60_000, async () => (await lens.count()) > 0);
      const title = (await lens.first().textContent()) ?? "";
      assert.match(title, /^sign conflict \d+(\.\d+)?% · redundancy \d+(\.\d+)?% · lost to election \d+(\.\d+)?% · 2 models · sampled$/, title);
      assert.equal(await lens.count(), 1, "one merge call, one lens");
    },
  },
  {
    name: "inspect interference: the webview shows the per-layer heat map",
    timeoutMs: 120_000,
    async run(s) {
      const wb = s.need("workbench");
      const lens = (await wb.editor().locator(".codelens-decoration a", { hasText: /sign conflict/ }).first().textContent()) ?? "";
      await wb.editor().locator(".codelens-decoration a", { hasText: /sign conflict/ }).first().click();
      const frame = await wb.webviewFrame("svg.ml-heatmap", 90_000);
      const groups = await frame.locator("svg.ml-heatmap g.row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-group") ?? ""));
      for (let layer = 0; layer < 6; layer++) assert.ok(groups.includes(`layers.${layer}`), `the heat map's rows are ${groups.join(", ")}: no row for layer ${layer}`);
      // The lens and the view come from the same sampled report: the lens rounds the view's numbers.
      const cards = await frame.locator(".card").evaluateAll((els) => els.map((e) => [e.querySelector(".label")?.textContent ?? "", e.querySelector(".value")?.textContent ?? ""]));
      for (const metric of ["sign conflict", "redundancy", "lost to election"]) {
        const inLens = Number(new RegExp(`${metric} (\\d+(?:\\.\\d+)?)%`).exec(lens)?.[1]);
        const inView = Number(/([\d.]+)%/.exec(cards.find(([label]) => label === metric)?.[1] ?? "")?.[1]);
        assert.ok(Math.abs(inLens - inView) <= 0.5 + 1e-9, `${metric}: the lens says ${inLens}%, the view ${inView}% (cards ${JSON.stringify(cards)})`);
      }
      const view = join(s.results, "webview-heat-map.png");
      await wb.page.locator("iframe.webview").last().screenshot({ path: view });
      assertNotBlank(view);
    },
  },
  {
    name: "run recipe: writes the output folder and reports completion",
    timeoutMs: 180_000,
    async run(s) {
      const wb = s.need("workbench");
      const ws = s.need("workspace");
      await wb.openFile(RECIPES.merge.file);
      await wb.runCommand("Notifications: Clear All Notifications");
      await wb.runCommand("mergelang: Run Recipe");
      // Progress notifications say "running ..." or "measuring ..."; the result is a message of its own.
      const done = await untilServer(s, "notification that the run finished", 150_000, async () =>
        (await wb.notifications()).find((n) => n.startsWith("mergelang:") && !/^mergelang: (running|measuring)/.test(n)),
      );
      assert.match(done, /^mergelang: wrote .*out\/ties/, done);
      const out = ws.file(RECIPES.merge.output);
      const files = readdirSync(out);
      assert.ok(files.includes("config.json"), `${out} holds ${files.join(", ")}`);
      const weights = files.filter((f) => f.endsWith(".safetensors")).sort();
      assert.ok(weights.length >= 1, `${out} holds ${files.join(", ")}`);
      // The same recipe through the command line writes the same bytes.
      const fromEditor = `${out}-editor`;
      renameSync(out, fromEditor);
      const cli = spawnSync(process.execPath, [fileURLToPath(new URL("../../../src/cli/main.js", import.meta.url)), "run", RECIPES.merge.file], { cwd: ws.dir, encoding: "utf8", timeout: 120_000 });
      assert.equal(cli.status, 0, `mergelang run failed:\n${cli.stdout}${cli.stderr}`);
      for (const f of weights) assert.ok(readFileSync(join(fromEditor, f)).equals(readFileSync(join(out, f))), `${f} differs between the editor's run and the CLI's`);
    },
  },
];

const finalSteps: Step[] = [
  {
    name: "network: code-server and Chromium listen on 127.0.0.1 only",
    timeoutMs: 15_000,
    screenshot: false,
    async run(s) {
      const found = listeners([s.need("server").pid, ...s.need("browser").groups]);
      assert.ok(found.some((l) => l.port === s.need("server").port), `code-server's port ${s.need("server").port} is not among ${JSON.stringify(found)}`);
      const open = found.filter((l) => !isLoopback(l.address));
      assert.deepEqual(open, [], "sockets listening beyond the loopback interface");
    },
  },
];

/** Every step, in order. */
export const SCENARIO: Step[] = [...setupSteps, ...editorSteps, ...finalSteps];
