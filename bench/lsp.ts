/**
 * Language server latency on a generated 1,000-line recipe over the reference models, measured as an
 * editor sees it (JSON-RPC over stdio to the real server binary): completion after a keystroke
 * (target p95 < 20 ms) and diagnostics after an edit, headers cached (target < 100 ms).
 *   node <build>/bench/lsp.js   runs it standalone.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { CompletionItem } from "vscode-languageserver/node";
import { fixturesDir } from "../test/support/paths.js";
import { LspClient, positionOf } from "../test/lsp/lsp-client.js";
import { generatedRecipe } from "./language.js";

export interface LspBench {
  lines: number;
  openToDiagnosticsMs: number;
  completionMedianMs: number;
  completionP95Ms: number;
  diagnosticsMedianMs: number;
  diagnosticsP95Ms: number;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))]!;
};
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function measureLsp(lines = 1000, completions = 200, edits = 30): Promise<LspBench> {
  const dir = mkdtempSync(join(tmpdir(), "mergelang-lsp-bench-"));
  const client = await LspClient.start({ root: dir });
  try {
    const text = generatedRecipe(lines, fixturesDir("reference", "models", "tiny_f32"));
    const file = join(dir, "bench.merge");
    writeFileSync(file, text);
    let t = performance.now();
    const uri = await client.open(file, text);
    await client.diagnosticsFor(uri, 1);
    const openToDiagnosticsMs = performance.now() - t;

    // Keystrokes in the middle of the file: type `, d` into a ties call's arguments, then ask for completion.
    const middle = Math.floor(text.split("\n").length / 2);
    const anchor = positionOf(text, "lambda: 1.0, weights", "lambda: 1.0".length, Math.floor(middle / 7));
    const times: number[] = [];
    let at = anchor;
    for (let i = 0; i < completions; i++) {
      const insert = i % 2 === 0 ? ", d" : "e";
      await client.edit(uri, { start: at, end: at }, insert);
      at = { line: at.line, character: at.character + insert.length };
      t = performance.now();
      const items = await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: at });
      times.push(performance.now() - t);
      if (!items.some((x) => x.label === "density:" || x.label === "consensus:")) throw new Error("completion did not offer the call's parameters");
      if (i % 2 === 1) {
        // Delete what was typed, as a user trying alternatives does.
        const start = { line: at.line, character: at.character - 4 };
        await client.edit(uri, { start, end: at }, "");
        at = start;
      }
      await pause(40);
    }

    // Diagnostics after an edit: alternately break and fix a parameter name.
    const target = positionOf(client.text(uri), "density: 0.4", 0, Math.floor(middle / 7));
    const diag: number[] = [];
    for (let i = 0; i < edits; i++) {
      const broken = i % 2 === 0;
      t = performance.now();
      const version = await client.edit(uri, { start: target, end: { line: target.line, character: target.character + 7 } }, broken ? "densty" + " " : "density");
      const ds = await client.diagnosticsFor(uri, version);
      diag.push(performance.now() - t);
      if (broken !== ds.some((d) => d.code === "unknown-parameter")) throw new Error("diagnostics did not follow the edit");
      await pause(100);
    }
    return {
      lines: text.split("\n").length - 1,
      openToDiagnosticsMs,
      completionMedianMs: quantile(times, 0.5),
      completionP95Ms: quantile(times, 0.95),
      diagnosticsMedianMs: quantile(diag, 0.5),
      diagnosticsP95Ms: quantile(diag, 0.95),
    };
  } finally {
    await client.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** For `npm run bench`: the figures in milliseconds. */
export async function benchLsp(): Promise<Record<string, number>> {
  const r = await measureLsp();
  return {
    "lines": r.lines,
    "open→diagnostics ms": r.openToDiagnosticsMs,
    "completion median ms": r.completionMedianMs,
    "completion p95 ms (target < 20)": r.completionP95Ms,
    "diagnostics after edit median ms": r.diagnosticsMedianMs,
    "diagnostics after edit p95 ms (target < 100)": r.diagnosticsP95Ms,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  measureLsp().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(`bench lsp: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
