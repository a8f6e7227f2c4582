/** A workspace with the tiny reference models, and the CLI run in it, for the data-safety tests. */
import { spawnSync } from "node:child_process";
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fixturesDir } from "../support/paths.js";
import { tempDir } from "../support/temp-dir.js";

const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface CliResult {
  status: number | null;
  out: string;
}

export function mergelang(cwd: string, ...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", cwd, timeout: 60_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** A temporary folder with models/{base,task_a,task_b,task_c} (tiny f32 models) and `recipe` as r.merge. */
export function workspace(recipe?: string, dtype: "f32" | "bf16" = "f32"): string {
  const dir = tempDir("mergelang-safety-");
  cpSync(fixturesDir("reference", "models", `tiny_${dtype}`), join(dir, "models"), { recursive: true });
  if (recipe !== undefined) writeFileSync(join(dir, "r.merge"), recipe);
  return dir;
}

export const HEAD = 'base = model("models/base")\na = model("models/task_a")\nb = model("models/task_b")\nm = ties(a, b, base: base)\n';
