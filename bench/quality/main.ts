/**
 * `npm run bench:quality`: the merge-quality benchmark on real handwritten digits. Prints the results
 * table; writes results.md, chart.svg, results.json and the model folders to --out
 * (default results/quality).
 *
 *   node dist/bench/quality/main.js [--out DIR] [--seed N] [--quick]
 */
import { relative } from "node:path";
import { DEFAULT_CONFIG, quickConfig, type QualityConfig } from "./config.js";
import { resultsTable } from "./report-markdown.js";
import { runExperiment } from "./run.js";

interface Args {
  out: string;
  seed: number | null;
  quick: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { out: "results/quality", seed: null, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--out") args.out = value();
    else if (a === "--seed") {
      const v = value();
      if (!/^\d+$/.test(v)) throw new Error(`--seed takes a non-negative integer, got "${v}"`);
      args.seed = Number(v);
    } else if (a === "--quick") args.quick = true;
    else if (a === "--help" || a === "-h") {
      console.log("usage: node dist/bench/quality/main.js [--out DIR] [--seed N] [--quick]");
      process.exit(0);
    } else throw new Error(`unknown argument "${a}" (try --help)`);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let config: QualityConfig = args.quick ? quickConfig() : DEFAULT_CONFIG;
  if (args.seed !== null) config = { ...config, seed: args.seed };
  const started = performance.now();
  const log = (line: string): void => {
    process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
  };
  const run = await runExperiment(config, args.out, { log });
  console.log(`\nTest accuracy (%), ${run.results.tasks.length} tasks, ${run.results.testSize} test digits each, seed ${config.seed}\n`);
  console.log(resultsTable(run.results));
  const where = relative(process.cwd(), run.outDir) || ".";
  console.log(`results: ${where}/results.md, ${where}/chart.svg (total ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

main().catch((e: unknown) => {
  console.error(`bench:quality: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
