/**
 * `npm run demo`: generate the example model family (a few MB, seeded, written by the project's own
 * writer), then run every examples/*.merge on it (a recipe with optimize(...) is searched, as
 * `mergelang search` does) and say where the outputs went.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkRecipe, hasErrors } from "../language/service.js";
import { formatDiagnostic } from "../cli/diagnostics-output.js";
import { ProgressBar, progressState } from "../cli/progress.js";
import { formatSize } from "../io/index.js";
import { runGraph, RunError } from "../runner/recipe-runner.js";
import { runSearch } from "../search/search-runner.js";
import { SearchTable } from "../search/table.js";
import { generateExampleModels } from "./example-models.js";

function examplesDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "examples")) && existsSync(join(dir, "package.json"))) return join(dir, "examples");
  }
  return resolve("examples");
}

async function main(): Promise<number> {
  const examples = examplesDir();
  const started = Date.now();
  const family = await generateExampleModels(join(examples, "models"));
  console.log(`example models: ${relative(process.cwd(), family) || family} (${readdirSync(family).join(", ")})`);
  // A search's best recipe (*.best.merge) is its output, not an example.
  const recipes = readdirSync(examples).filter((f) => f.endsWith(".merge") && !f.endsWith(".best.merge")).sort();
  let failed = 0;
  for (const name of recipes) {
    const file = join(examples, name);
    const text = readFileSync(file, "utf8");
    console.log(`\n== ${relative(process.cwd(), file)}`);
    const checked = checkRecipe(text, file);
    for (const d of checked.diagnostics) if (d.severity !== "hint") console.log(formatDiagnostic(file, d, text));
    if (hasErrors(checked.diagnostics) || !checked.graph) {
      failed++;
      continue;
    }
    if (checked.analysis.optimize) {
      const table = new SearchTable((line) => console.log(line));
      try {
        const result = await runSearch(checked, { fresh: true, onProgress: (p) => table.row(p) });
        console.log(`best ${result.best.score} with ${result.dimensions.map((d, i) => `${d} ${result.best.values[i]}`).join(", ")}: wrote ${relative(process.cwd(), result.files.bestRecipe)}`);
      } catch (e) {
        console.error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
        failed++;
      }
      continue;
    }
    const bar = new ProgressBar();
    try {
      const outcome = await runGraph(checked.graph, {
        text: (t) => {
          bar.finish();
          console.log(t);
        },
        progress: (p) => bar.update(progressState(p)),
      });
      bar.finish();
      for (const s of outcome.saved) console.log(`wrote ${relative(process.cwd(), s.path)} (${s.tensors} tensors, ${formatSize(s.bytesWritten)})`);
    } catch (e) {
      bar.finish();
      if (!(e instanceof RunError)) throw e;
      console.error(`${name}: ${e.message}`);
      failed++;
    }
  }
  console.log(`\n${recipes.length - failed} of ${recipes.length} example recipes ran in ${((Date.now() - started) / 1000).toFixed(1)} s; outputs are under ${relative(process.cwd(), join(examples, "out"))}/`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(`demo: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
