/**
 * The whole benchmark: data, pre-training, heads, fine-tuning, saved model folders, a validation grid
 * search per merge method through real recipes, test scores, interference reports, and the outputs
 * (results.md, chart.svg, results.json, interference/*) in `outDir`.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { renderSvg, renderText, reportToJson, type Report } from "../../src/inspect/index.js";
import { useCpuBackend } from "./autograd.js";
import type { QualityConfig } from "./config.js";
import { type Log, type MethodSearch, evaluateEncoder, fineTuneTasks, interferenceFor, prepareData, pretrainBase, saveFamily, searchMethod, trainTaskHeads } from "./experiment.js";
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
export const OWNED_OUTPUTS = ["models", "merges", "recipes", "grid", "interference", "results.md", "results.json", "chart.svg", "timings.json"];

export async function runExperiment(config: QualityConfig, outDir: string, log: Log = () => {}): Promise<RunOutput> {
  await useCpuBackend();
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  for (const name of OWNED_OUTPUTS) rmSync(join(out, name), { recursive: true, force: true });
  const timings: Record<string, number> = {};
  let clock = performance.now();
  const lap = (step: string): number => {
    const now = performance.now();
    timings[step] = (now - clock) / 1000;
    clock = now;
    return timings[step]!;
  };

  const data = prepareData(config);
  log(`data: ${data.split.pretrain.length} pre-training, ${data.split.finetune.length} fine-tuning, ${data.split.validation.length} validation, ${data.split.test.length} test digits (${lap("data").toFixed(1)} s)`);
  const { encoder: base, curve } = pretrainBase(data, config);
  log(`pre-trained the encoder (loss ${curve.map((l) => l.toFixed(3)).join(" → ")}) in ${lap("pretrain").toFixed(1)} s`);
  const { heads } = trainTaskHeads(base, data, config);
  log(`trained ${config.tasks.length} heads on the frozen encoder in ${lap("heads").toFixed(1)} s`);
  const { encoders } = fineTuneTasks(base, heads, data, config, log);
  lap("finetune");
  const paths = await saveFamily(join(out, "models"), base, encoders, heads, config);
  lap("save");

  const tasks = config.tasks;
  const fineTunedTest: TaskScores = {};
  for (const [name, enc] of encoders) Object.assign(fineTunedTest, evaluateEncoder(enc, heads, data, "test", [name]));
  const rows: ResultRow[] = [
    makeRow("pretrained", "Pre-trained encoder", "lower", "—", null, evaluateEncoder(base, heads, data, "test"), fineTunedTest, tasks),
    makeRow("finetuned", "Fine-tuned (one per task)", "upper", "—", null, fineTunedTest, fineTunedTest, tasks),
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
  rmSync(join(out, "grid"), { recursive: true, force: true });

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
  const head = ["Layer", "redundancy", "sign conflict", "lost to election", "cosine", ...(pcb ? ["PCB dropped"] : [])];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`];
  const rows = [...report.groups.map((g) => ({ label: g.label, m: g.metrics })), { label: "whole encoder", m: report.total }];
  for (const { label, m } of rows) {
    const cosine = m.cosine.value === null ? "—" : m.cosine.value.toFixed(3);
    lines.push(`| ${[label, pct(m.redundancy.value), pct(m.sign_conflict.value), pct(m.lost_to_election.value), cosine, ...(pcb ? [pct(m.pcb?.dropped.value)] : [])].join(" | ")} |`);
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
      `An MLP encoder ${config.encoderSizes.join("→")} (ReLU; 14×14 pooled input) is pre-trained on the pre-training digits, each shown in one randomly drawn domain. ` +
      `Each task (${config.tasks.join(", ")}) gets a linear head trained on the frozen pre-trained encoder; the head stays frozen while the encoder is fine-tuned on that task, ` +
      `as the task-arithmetic and TIES papers freeze their classification heads. So the lower bound is the pre-trained encoder read by these heads, and every merged encoder ` +
      `is read by the same heads. Merges run through recipes (\`recipes/*.merge\`); each method's coefficients are chosen by average validation accuracy; the table is on the test digits ` +
      `(${results.testSize} per task). Norm = accuracy ÷ the fine-tuned model's accuracy, averaged over tasks.\n`,
  );
  parts.push(`## Test accuracy (%)\n`);
  parts.push(resultsTable(results));
  parts.push(`\n![grouped bars per task](chart.svg)\n`);
  parts.push(`## Interference behind each merge\n`);
  parts.push(`TIES's view of the four task vectors at the trimming density the merge used (0.2 when it has none); PCB rows add the share of elements PCB's balancing drops at the chosen ratio (per tensor). Full reports: \`interference/<method>.{txt,svg,json}\`.\n`);
  for (const search of searches) {
    const report = reports.get(search.spec.id);
    if (!report) continue;
    parts.push(`**${search.spec.label}** (density ${report.density}${report.pcb ? `, ratio ${report.pcb.ratio}` : ""})\n`);
    parts.push(interferenceTable(report));
  }
  parts.push(`## Validation grid (%)\n`);
  for (const search of searches) parts.push(gridTable(search.spec.label, search.grid, results.tasks));
  return parts.join("\n");
}
