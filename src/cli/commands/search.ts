/** `mergelang search FILE`: run the recipe's optimize(...) over its search(...) spaces. */
import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { parseArgs } from "node:util";
import { checkRecipe, hasErrors } from "../../language/service.js";
import type { OptimizeRequest } from "../../language/values.js";
import { toRunError, RunError } from "../../runner/recipe-runner.js";
import { JournalError } from "../../search/journal.js";
import { MetricError } from "../../search/metric-command.js";
import { runSearch, SearchError, type SearchOptions } from "../../search/search-runner.js";
import { SearchTable } from "../../search/table.js";
import { formatDiagnostic } from "../diagnostics-output.js";
import { UsageError, type Command } from "../command.js";

const whole = (name: string, v: string | undefined, min: number): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} takes a whole number ≥ ${min}, not '${v}'`);
  return n;
};

export const searchCommand: Command = {
  name: "search",
  summary: "search a recipe's search(...) coefficients with its optimize(...) statement",
  usage: `usage: mergelang search FILE [--budget N] [--strategy S] [--seed N] [--parallel N] [--fresh]

Runs the recipe's optimize(...): each candidate replaces the search(...) spaces with values, is
merged, and is scored by the metric command (run on the candidate's model folder; {model} is
replaced by it; its last line of output is the score). A live table shows every candidate and the
best so far. Every candidate goes to a journal (OUT/journal.jsonl): run the same command again after
a stop and the search resumes where it stopped. At the end FILE.best.merge holds the recipe with the
best values filled in (run it with mergelang run), and OUT/scores.svg (and OUT/heatmap.svg for a
grid over two spaces) plot the scores. OUT is optimize's out: (default: FILE's name + .search).
  --budget N     most candidates (overrides budget:)
  --strategy S   grid | random | cmaes (overrides strategy:)
  --seed N       seed of random and cmaes (overrides seed:)
  --parallel N   metric commands at the same time (overrides parallel:)
  --threads N    worker threads for each merge (default: every core)
  --fresh        discard the journal and start over`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        budget: { type: "string" },
        strategy: { type: "string" },
        seed: { type: "string" },
        parallel: { type: "string" },
        threads: { type: "string" },
        fresh: { type: "boolean" },
      },
    });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError("search takes one recipe file\n" + this.usage);
    if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
    if (values.strategy !== undefined && !["grid", "random", "cmaes"].includes(values.strategy)) throw new UsageError(`--strategy is grid, random or cmaes, not '${values.strategy}'`);
    const overrides: SearchOptions["overrides"] = {};
    const budget = whole("budget", values.budget, 1);
    const seed = whole("seed", values.seed, 0);
    const parallel = whole("parallel", values.parallel, 1);
    const threads = whole("threads", values.threads, 1);
    if (budget !== undefined) overrides.budget = budget;
    if (seed !== undefined) overrides.seed = seed;
    if (parallel !== undefined) overrides.parallel = parallel;
    if (values.strategy !== undefined) overrides.strategy = values.strategy as OptimizeRequest["strategy"];

    const text = readFileSync(file, "utf8");
    const checked = checkRecipe(text, file);
    for (const d of checked.diagnostics) if (d.severity === "error" || d.severity === "warning") console.error(formatDiagnostic(file, d, text));
    if (hasErrors(checked.diagnostics) || !checked.graph) {
      console.error(`mergelang search: ${file} has errors; nothing was run`);
      return 1;
    }
    if (!checked.analysis.optimize) {
      console.error(`mergelang search: ${file} has no optimize(...) statement: add one, e.g. optimize(merged, metric: "python eval.py {model}", strategy: "cmaes", budget: 30)`);
      return 1;
    }
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once("SIGINT", onSigint);
    const table = new SearchTable((line) => console.log(line));
    try {
      const result = await runSearch(checked, {
        overrides,
        fresh: values.fresh === true,
        signal: controller.signal,
        ...(threads ? { threads } : {}),
        onNote: (line) => console.error(`note: ${line}`),
        onProgress: (p) => table.row(p),
      });
      const rel = (p: string): string => relative(process.cwd(), p) || p;
      console.log(`best: ${result.best.score} with ${result.dimensions.map((d, i) => `${d} ${result.best.values[i]}`).join(", ")} (candidate ${result.best.index} of ${result.candidates.length})`);
      console.log(`wrote ${rel(result.files.bestRecipe)}, ${rel(result.files.plot)}${result.files.heatmap ? `, ${rel(result.files.heatmap)}` : ""}; journal ${rel(result.files.journal)}`);
      return 0;
    } catch (e) {
      if (e instanceof SearchError || e instanceof MetricError || e instanceof JournalError) {
        console.error(`mergelang search: ${e.message}`);
        return 1;
      }
      const err = toRunError(e);
      if (err instanceof RunError) {
        console.error(`mergelang search: ${err.cancelled ? "stopped; the journal keeps every finished candidate: run the same command to resume" : err.message}`);
        return err.cancelled ? 130 : 1;
      }
      throw err;
    } finally {
      process.off("SIGINT", onSigint);
    }
  },
};
