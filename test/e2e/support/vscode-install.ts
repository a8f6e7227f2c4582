/** The VS Code (code-server) and Chromium the e2e tests drive, installed by scripts/e2e/setup-vscode.mjs. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../../support/paths.js";

export interface VscodeInstall {
  /** The cache folder holding code-server. */
  dir: string;
  /** code-server's entry script, run with this Node. */
  entry: string;
  /** The Chromium executable. */
  chromium: string;
}

/** Runs the setup script (quick when the cache is ready) and returns where things are. */
export function ensureVscode(): VscodeInstall {
  const script = join(repoRoot(), "scripts", "e2e", "setup-vscode.mjs");
  const r = spawnSync(process.execPath, [script, "--json"], { encoding: "utf8", timeout: 9 * 60_000 });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status ?? r.signal}):\n${r.stderr.trim()}`);
  const last = r.stdout.trim().split("\n").pop() ?? "";
  const parsed = JSON.parse(last) as Partial<VscodeInstall>;
  if (!parsed.dir || !parsed.entry || !parsed.chromium) throw new Error(`${script} printed no install paths: ${last}`);
  return { dir: parsed.dir, entry: parsed.entry, chromium: parsed.chromium };
}
