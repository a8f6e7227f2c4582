/**
 * The whole benchmark: data, pre-training, heads, fine-tuning, saved model folders, a validation grid
 * search per merge method through real recipes, test scores, interference reports, and the outputs
 * (results.md, chart.svg, results.json, interference/*) in `outDir`.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { renderSvg, renderText, reportToJson, type Report } from "../../src/inspect/index.js";
import { useCpuBackend } from "./autograd.js";
import type { QualityConfig } from "./config.js";
import type { DigitSet } from "./digits.js";
import { type Log, type MethodSearch, evaluateEncoder, fineTuneTasks, interferenceFor, prepareData, pretrainBase, saveFamily, searchMethod, zeroShotHeads } from "./experiment.js";
import type { TaskScores } from "./metrics.js";
import { loadWeights } from "./model-folder.js";
import { describePoint } from "./recipes.js";
import { gridTable, resultsTable } from "./report-markdown.js";
import { resultsChart } from "./report-svg.js";
import { type QualityResults, type ResultRow, makeRow } from "./results.js";

export interface RunOutput {
  results: QualityResults;
  searches: MethodSearch[];
  reports: Map<string, Report>;
  /** Seconds per step (not part of results.md, which is identical run to run). */
  timings: Record<string, number>;
  outDir: string;
}

/** The folders under `outDir` this benchmark owns (removed at the start of a run). */
export const OWNED_OUTPUTS = ["models", "merges", "recipes", "grid", "search", "interference", "results.md", "results.json", "chart.svg", "timings.json"];
/** Marks a folder as this benchmark's output, so a rerun may clear it and nothing else is cleared. */
const MARKER = ".mergelang-quality";

function claimOutput(out: string): void {
  mkdirSync(out, { recursive: true });
  if (!existsSync(join(out, MARKER)) && readdirSync(out).length > 0) {
    throw new Error(`${out} is not empty and holds no earlier quality results: give --out a new or empty folder`);
  }
  writeFileSync(join(out, MARKER), "output of the mergelang quality benchmark; a rerun replaces this folder's results\n");
  for (const name of OWNED_OUTPUTS) rmSync(join(out, name), { recursive: true, force: true });
}

export interface RunOptions {
  log?: Log;
  /** The digits to use (default: the mnist package's 10,000); tests pass small synthetic sets. */
  digits?: DigitSet;
}

export async function runExperiment(config: QualityConfig, outDir: string, options: RunOptions = {}): Promise<RunOutput> {
  const log = options.log ?? (() => {});
  await useCpuBackend();
  const out = resolve(outDir);
  claimOutput(out);
  const timings: Record<string, number> = {};
  let clock = performance.now();
  const lap = (step: string): number => {
    const now = performance.now();
    timings[step] = (now - clock) / 1000;
    clock = now;
    return timings[step]!;
  };

  const data = prepareData(config, options.digits);
  log(`data: ${data.split.pretrain.length} pre-training, ${data.split.finetune.length} fine-tuning, ${data.split.validation.length} validation, ${data.split.test.length} test digits (${lap("data").toFixed(1)} s)`);
  const { encoder: base, classifier, curve } = pretrainBase(data, config);
  log(`pre-trained the encoder (loss ${curve.map((l) => l.toFixed(3)).join(" → ")}) in ${lap("pretrain").toFixed(1)} s`);
  const heads = zeroShotHeads(classifier, config.tasks);
  const { encoders } = fineTuneTasks(base, heads, data, config, log);
  lap("finetune");
  const paths = await saveFamily(join(out, "models"), base, encoders, heads, config);
  lap("save");

  const tasks = config.tasks;
  const fineTunedTest: TaskScores = {};
  for (const [name, enc] of encoders) Object.assign(fineTunedTest, evaluateEncoder(enc, heads, data, "test", [name]));
  const rows: ResultRow[] = [
    makeRow("pretrained", "Pre-trained, zero-shot", "lower", "—", null, evaluateEncoder(base, heads, data, "test"), fineTunedTest, tasks),
    makeRow("finetuned", "Fine-tuned, one per task", "upper", "—", null, fineTunedTest, fineTunedTest, tasks),
  ];
  lap("evaluate-bounds");

  const searches: MethodSearch[] = [];
  for (const spec of config.methods) {
    const search = await searchMethod(spec, paths, heads, data, out, log);
    searches.push(search);
    // Scored from the saved folder: exactly what the recipe wrote.
    const test = evaluateEncoder(loadWeights(search.folder), heads, data, "test");
    rows.push(makeRow(spec.id, spec.label, "merge", describePoint(search.best.point), search.best.validationAverage, test, fineTunedTest, tasks));
    lap(`merge-${spec.id}`);
  }

  const reports = new Map<string, Report>();
  const byKey = new Map<string, Report>();
  mkdirSync(join(out, "interference"), { recursive: true });
  for (const s of searches) {
    const key = `${s.best.point.density ?? 0.2}/${s.spec.fn === "pcb" ? (s.best.point.ratio ?? 0.1) : "-"}`;
    let report = byKey.get(key);
    if (!report) byKey.set(key, (report = await interferenceFor(s.spec, s.best.point, paths)));
    reports.set(s.spec.id, report);
    writeFileSync(join(out, "interference", `${s.spec.id}.txt`), renderText(report));
    writeFileSync(join(out, "interference", `${s.spec.id}.svg`), renderSvg(report));
    writeFileSync(join(out, "interference", `${s.spec.id}.json`), JSON.stringify(reportToJson(report), null, 2) + "\n");
  }
  lap("interference");

  const results: QualityResults = { seed: config.seed, tasks, testSize: data.split.test.length, validationSize: data.split.validation.length, rows };
  writeFileSync(join(out, "results.md"), resultsMarkdown(results, searches, reports, config));
  writeFileSync(join(out, "chart.svg"), resultsChart(results));
  writeFileSync(join(out, "results.json"), JSON.stringify({ config, results, grid: searches.map((s) => ({ method: s.spec.id, grid: s.grid })) }, null, 2) + "\n");
  writeFileSync(join(out, "timings.json"), JSON.stringify(timings, null, 2) + "\n");
  return { results, searches, reports, timings, outDir: out };
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? "—" : (100 * x).toFixed(1));

function interferenceTable(report: Report): string {
  const pcb = report.pcb !== null;
  const head = ["Layer", "redundancy", "sign conflict", "lost to election", "cosine", `norms (${report.labels.join(" / ")})`, ...(pcb ? ["PCB β spread"] : [])];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`];
  const rows = [...report.groups.map((g) => ({ label: g.label, m: g.metrics })), { label: "whole encoder", m: report.total }];
  const num = (v: number | null | undefined, digits: number): string => (v === null || v === undefined ? "—" : v.toFixed(digits));
  for (const { label, m } of rows) {
    const norms = m.norm.map((n) => num(n.value, 2)).join(" / ");
    lines.push(`| ${[label, pct(m.redundancy.value), pct(m.sign_conflict.value), pct(m.lost_to_election.value), num(m.cosine.value, 3), norms, ...(pcb ? [num(m.pcb?.beta_spread.value, 4)] : [])].join(" | ")} |`);
  }
  return lines.join("\n") + "\n";
}

/**
 * Grid against CMA-ES over per-task λ, per method: how many candidates each evaluated, the validation
 * score it reached, and what that choice scores on the test digits (PCB-Merging reports the
 * evolutionary search ahead of fixed coefficients).
 */
export function searchComparison(results: QualityResults, searches: readonly MethodSearch[]): string {
  const evolved = searches.filter((s) => s.strategy === "cmaes");
  if (evolved.length === 0) return "";
  const rowOf = new Map(results.rows.map((r) => [r.id, r]));
  const head = ["Method", "Search", "Evaluations", "Validation avg", "Test avg", "Test norm"];
  const lines = [`## Grid vs CMA-ES (per-task λ)\n`, `| ${head.join(" | ")} |`, `|${head.map((_, i) => (i < 2 ? " --- " : " ---: ")).join("|")}|`];
  const families = [...new Set(evolved.map((s) => `${s.spec.fn}/${String(s.spec.fixed["scope"] ?? "tensor")}`))];
  for (const family of families) {
    const members = searches.filter((s) => `${s.spec.fn}/${String(s.spec.fixed["scope"] ?? "tensor")}` === family);
    for (const s of members) {
      const row = rowOf.get(s.spec.id);
      if (!row) continue;
      const how = s.strategy === "cmaes" ? `CMA-ES, seed ${s.spec.evolve!.seed}: ${Object.keys(s.spec.evolve!.spaces).join(", ")}` : `grid: ${Object.keys(s.spec.grid).join(" × ")}`;
      lines.push(`| ${[s.spec.label, how, String(s.grid.length), pct(s.best.validationAverage), pct(row.average), pct(row.normalised)].join(" | ")} |`);
    }
  }
  return lines.join("\n") + "\n";
}

export function resultsMarkdown(results: QualityResults, searches: MethodSearch[], reports: Map<string, Report>, config: QualityConfig): string {
  const s = config.fractions;
  const parts: string[] = [];
  parts.push(`# Merge quality on handwritten digits\n`);
  parts.push(
    `Protocol (a miniature of the TIES-Merging and PCB-Merging experiments): the 10,000 digits of the \`mnist\` package are split per class with seed ${config.seed} ` +
      `into pre-training (${pct(s.pretrain)}%), fine-tuning (${pct(s.finetune)}%), validation (${pct(s.validation)}%) and test (${pct(s.test)}%) digits. ` +
      `An MLP encoder ${config.encoderSizes.join("→")} (ReLU; 14×14 pooled input) and a 10-way classifier are pre-trained on the pre-training digits, each shown in one ` +
      `of the domains ${config.pretrainDomains.join(", ")}, none of which is a task. Each task (${config.tasks.join(", ")}) is read by a copy of that classifier, frozen, ` +
      `as the task-arithmetic and TIES papers read CLIP with frozen zero-shot heads; the encoder alone is fine-tuned per task. So the lower bound is the pre-trained ` +
      `encoder with these heads (zero-shot), and every merged encoder is read by the same heads. Merges run through recipes (\`recipes/*.merge\`); each method's ` +
      `coefficients are chosen by average validation accuracy (${results.validationSize} digits per task); the table is on the test digits (${results.testSize} per task). ` +
      `Norm = accuracy ÷ the fine-tuned model's accuracy on that task, averaged over tasks.\n`,
  );
  parts.push(`## Test accuracy (%)\n`);
  parts.push(resultsTable(results));
  parts.push(`\n![grouped bars per task](chart.svg)\n`);
  parts.push(searchComparison(results, searches));
  parts.push(`## Interference behind each merge\n`);
  parts.push(
    `The inspection module's view of the four task vectors (fine-tuned − pre-trained), per layer, at the trimming density each merge used (0.2 for merges without one); ` +
      `for PCB merges also the spread of PCB's balancing scores at the chosen ratio. Percentages are shares (of L1 mass, or of elements for sign conflict). ` +
      `Full reports: \`interference/<method>.{txt,svg,json}\`.\n`,
  );
  // Merges that share a report (same density, same PCB ratio) share one table.
  const tables = new Map<Report, string[]>();
  for (const search of searches) {
    const report = reports.get(search.spec.id);
    if (report) tables.set(report, [...(tables.get(report) ?? []), search.spec.label]);
  }
  for (const [report, labels] of tables) {
    parts.push(`**Density ${report.density}${report.pcb ? `, PCB ratio ${report.pcb.ratio}` : ""}** (${labels.join(", ")})\n`);
    parts.push(interferenceTable(report));
  }
  parts.push(`## Validation grid (%)\n`);
  for (const search of searches) parts.push(gridTable(search.spec.label, search.grid, results.tasks));
  return parts.join("\n");
}
