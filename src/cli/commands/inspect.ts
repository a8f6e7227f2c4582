/**
 * `mergelang inspect FILE [--exact] [--html F] [--svg F] [--json] [--all]`: evaluate only the recipe's
 * interference(...) statements (and, with --all, one report per merge call with that call's models
 * and density), as aligned tables, a self-contained HTML heat map, SVG or JSON.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { extname } from "node:path";
import type { Graph, MergeNode } from "../../graph/graph.js";
import { HeaderCache } from "../../io/index.js";
import { inspectInterference, renderHtml, renderSvg, renderText, type InterferenceOptions, type Report } from "../../inspect/index.js";
import { SPECTRAL_METHODS } from "../../inspect/spectral.js";
import { checkRecipe, hasErrors } from "../../language/service.js";
import { loadPath, RunError, toRunError } from "../../runner/recipe-runner.js";
import { formatDiagnostic } from "../diagnostics-output.js";
import { UsageError, type Command } from "../command.js";
import { parseCommandArgs } from "../args.js";
import { displayPath } from "../../util/display-path.js";

interface Request {
  title: string;
  options: Omit<InterferenceOptions, "mode" | "headers">;
}

/** The reports a recipe asks for: its interference statements, plus every merge call with --all. */
export function interferenceRequests(graph: Graph, all: boolean): Request[] {
  const out: Request[] = [];
  for (const e of graph.effects) {
    if (e.kind !== "interference") continue;
    const models = e.models.map((m) => loadPath(graph, m));
    const base = loadPath(graph, e.base);
    if (models.some((m) => m === null) || base === null) {
      throw new RunError(`${e.origin.file}:${e.origin.line}:${e.origin.column}: interference() reads model folders: pass models declared with model(...)`);
    }
    out.push({ title: `${displayPath(e.origin.file)}:${e.origin.line}: interference()`, options: { models: models as string[], base, density: e.density, by: e.by, spectral: e.spectral } });
  }
  if (!all) return out;
  for (const node of graph.nodes) {
    if (node.kind !== "merge" || node.base === null) continue;
    const models = node.models.map((m) => loadPath(graph, m));
    const base = loadPath(graph, node.base);
    if (models.some((m) => m === null) || base === null) continue;
    out.push({
      title: `${displayPath(node.origin.file)}:${node.origin.line}: ${node.method}()`,
      options: { models: models as string[], base, density: densityOf(node), by: "layer", pcb: node.method === "pcb" ? pcbOf(node) : null, spectral: SPECTRAL_METHODS.has(node.method) },
    });
  }
  return out;
}

function densityOf(node: MergeNode): number {
  // PCB keeps `ratio` of each task vector: its TIES columns trim to the same share.
  const d = node.method === "pcb" ? (node.params.values["ratio"] ?? 0.1) : node.params.values["density"];
  if (typeof d === "number") return d;
  if (Array.isArray(d) && d.length > 0) return d.reduce((a, b) => a + b, 0) / d.length;
  return 0.2;
}

function pcbOf(node: MergeNode): { ratio: number; clip: number } {
  const r = node.params.values["ratio"];
  const c = node.params.values["clip"];
  return { ratio: typeof r === "number" ? r : 0.1, clip: typeof c === "number" ? c : 0.0001 };
}

/** out.html, out-2.html, out-3.html ... for several reports. */
function numbered(path: string, i: number): string {
  if (i === 0) return path;
  const ext = extname(path);
  return `${path.slice(0, path.length - ext.length)}-${i + 1}${ext}`;
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export const inspectCommand: Command = {
  name: "inspect",
  summary: "per-layer interference reports (text, HTML, SVG, JSON)",
  usage: `usage: mergelang inspect FILE [--exact] [--html OUT.html] [--svg OUT.svg] [--json] [--all]

Evaluates the recipe's interference(...) statements only (no merge is run) and prints a
per-layer table. By default the report is the fast sampled estimate with confidence
intervals; --exact reads every element.
  --all          also report on every merge call, with that call's own models and density
  --spectral     add the spectral interference of the 2-D tensors (overlap of the tasks' top
                 singular subspaces, TSV); fast (top 16, randomized SVD), exact with --exact
  --html FILE    write a self-contained HTML heat map (several reports: FILE-2.html, ...)
  --svg FILE     write the heat map as SVG
  --json         print the reports as JSON instead of tables`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs("inspect", argv, { exact: { type: "boolean" }, spectral: { type: "boolean" }, html: { type: "string" }, svg: { type: "string" }, json: { type: "boolean" }, all: { type: "boolean" } });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError("inspect takes one recipe file\n" + this.usage);
    if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
    const text = readFileSync(file, "utf8");
    const checked = checkRecipe(text, file);
    for (const d of checked.diagnostics) if (d.severity === "error" || d.severity === "warning") console.error(formatDiagnostic(file, d, text));
    if (hasErrors(checked.diagnostics) || !checked.graph) {
      console.error(`mergelang inspect: ${file} has errors`);
      return 1;
    }
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once("SIGINT", onSigint);
    try {
      const requests = interferenceRequests(checked.graph, values.all === true);
      if (requests.length === 0) {
        console.error(`mergelang inspect: ${file} has no interference(...) statement${values.all ? " and no merge call with a base" : " (use --all to inspect its merge calls)"}`);
        return 1;
      }
      const headers = new HeaderCache();
      const reports: Report[] = [];
      for (const r of requests) {
        const report = await inspectInterference({
          ...r.options,
          mode: values.exact ? "exact" : "sampled",
          ...(values.spectral ? { spectral: true } : {}),
          headers,
          signal: controller.signal,
        });
        reports.push(report);
        if (!values.json) console.log(`${r.title}\n${renderText(report)}`);
      }
      if (values.json) console.log(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
      reports.forEach((report, i) => {
        if (values.html) writeAtomically(numbered(values.html, i), renderHtml(report, { title: requests[i]!.title }));
        if (values.svg) writeAtomically(numbered(values.svg, i), renderSvg(report, { title: requests[i]!.title }));
      });
      if (values.html) console.error(`wrote ${reports.map((_, i) => numbered(values.html!, i)).join(", ")}`);
      if (values.svg) console.error(`wrote ${reports.map((_, i) => numbered(values.svg!, i)).join(", ")}`);
      return 0;
    } catch (e) {
      const err = toRunError(e);
      if (err instanceof RunError) {
        console.error(`mergelang inspect: ${err.message}`);
        return 1;
      }
      throw err;
    } finally {
      process.off("SIGINT", onSigint);
    }
  },
};
