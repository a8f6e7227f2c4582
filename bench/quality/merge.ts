/**
 * Every merge goes through a real recipe: the language service checks and lowers the text, the
 * recipe runner executes it with the engine (and the inspection module for interference reports).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { checkRecipe, hasErrors } from "../../src/language/service.js";
import { runGraph } from "../../src/runner/recipe-runner.js";
import type { Report } from "../../src/inspect/index.js";

export interface RecipeRun {
  /** Absolute folders written by save(...), in order. */
  saved: string[];
  reports: Report[];
}

/** Checks and runs a recipe as if it were the file `file` (paths in it are relative to its folder). */
export async function runRecipe(recipeText: string, file: string): Promise<RecipeRun> {
  const checked = checkRecipe(recipeText, file);
  const errors = checked.diagnostics.filter((d) => d.severity === "error");
  if (hasErrors(checked.diagnostics) || !checked.graph) {
    const lines = errors.map((d) => `${file}:${d.range.start.line}:${d.range.start.column}: ${d.code}: ${d.message}`);
    throw new Error(`recipe ${file} does not check:\n${lines.join("\n")}`);
  }
  const outcome = await runGraph(checked.graph);
  return { saved: outcome.saved.map((s) => s.path), reports: outcome.reports };
}

/**
 * Writes the recipe to `dir/<name>` (kept as a record of what was run), runs it, and returns the one
 * folder it saves. Model paths in the recipe are relative to `dir`.
 */
export async function mergeWithRecipe(recipeText: string, dir: string, name = "merge.merge"): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = resolve(join(dir, name));
  writeFileSync(file, recipeText);
  const run = await runRecipe(recipeText, file);
  if (run.saved.length !== 1) throw new Error(`recipe ${file} saved ${run.saved.length} models; a merge recipe saves exactly one`);
  return run.saved[0]!;
}
