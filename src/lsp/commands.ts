/**
 * The editor's commands, done by the server: run a recipe (in the job worker, with cancellable
 * progress), describe a dry run, and build the interference view's HTML.
 */
import { basename } from "node:path";
import type { CancellationToken, Connection } from "vscode-languageserver/node";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { describePlan } from "../cli/plan-output.js";
import { renderHtml } from "../inspect/render-html.js";
import { summaryLine } from "../inspect/report.js";
import { planGraph } from "../runner/plan.js";
import type { CheckedRecipe } from "../language/service.js";
import { interferenceTargets, type InterferenceEstimates } from "./interference.js";
import { JobError, type JobRunner } from "./jobs/job-runner.js";
import type { DryRunResponse, InspectResponse, MergelangSettings, RunResponse } from "./protocol.js";
import type { RecipeStore } from "./recipes.js";
import type { Position } from "vscode-languageserver-textdocument";

export interface CommandContext {
  connection: Connection;
  store: RecipeStore;
  runs: JobRunner;
  estimates: InterferenceEstimates;
  settings: () => MergelangSettings;
}

function errorCount(checked: CheckedRecipe): number {
  return checked.diagnostics.filter((d) => d.severity === "error").length;
}

function notRunnable(checked: CheckedRecipe): string | null {
  const errors = errorCount(checked);
  if (errors > 0 || !checked.graph) return `${basename(checked.file)} has ${errors} error${errors === 1 ? "" : "s"}: fix ${errors === 1 ? "it" : "them"} first (see Problems)`;
  return null;
}

/** Ties a request's cancellation and the progress notification's Cancel button to one AbortSignal. */
async function withProgress<T>(ctx: CommandContext, title: string, token: CancellationToken, work: (signal: AbortSignal, report: (message: string, done: number, total: number) => void) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  token.onCancellationRequested(() => controller.abort());
  const progress = await ctx.connection.window.createWorkDoneProgress().catch(() => null);
  progress?.begin(title, 0, undefined, true);
  progress?.token.onCancellationRequested(() => controller.abort());
  let lastPercent = -1;
  const report = (message: string, done: number, total: number): void => {
    const percent = total > 0 ? Math.floor((100 * done) / total) : 0;
    if (percent === lastPercent) return;
    lastPercent = percent;
    progress?.report(percent, message);
  };
  try {
    return await work(controller.signal, report);
  } finally {
    progress?.done();
  }
}

export async function runRecipe(ctx: CommandContext, doc: TextDocument, token: CancellationToken): Promise<RunResponse> {
  const checked = ctx.store.check(doc);
  const problem = notRunnable(checked);
  if (problem) return { ok: false, cancelled: false, message: problem, output: [], saved: [] };
  const output: string[] = [];
  const settings = ctx.settings();
  if (settings.device !== "auto" && settings.device !== "cpu") {
    output.push(`note: device "${settings.device}" is not available in this build; the recipe runs on the CPU engine`);
  }
  try {
    const result = await withProgress(ctx, `Running ${basename(checked.file)}`, token, (signal, report) =>
      ctx.runs.run(
        { kind: "run", graph: checked.graph!, inspectMode: settings.inspection },
        { signal, onText: (t) => output.push(t), onProgress: (p) => report(p.label, p.done, p.total) },
      ),
    );
    const saved = result.kind === "run" ? result.saved : [];
    const wrote = saved.map((s) => s.path).join(", ");
    return { ok: true, cancelled: false, message: saved.length ? `wrote ${wrote}` : "done (nothing saved)", output, saved };
  } catch (e) {
    const cancelled = e instanceof JobError && e.cancelled;
    return { ok: false, cancelled, message: cancelled ? "cancelled: no output was written" : (e as Error).message, output, saved: [] };
  }
}

export function dryRun(ctx: CommandContext, doc: TextDocument): DryRunResponse {
  const checked = ctx.store.check(doc);
  const problem = notRunnable(checked);
  if (problem) return { ok: false, message: problem, plan: "" };
  try {
    const plans = planGraph(checked.graph!, ctx.store.headers);
    const effects = checked.graph!.effects.filter((e) => e.kind !== "save").length;
    const plan = describePlan(checked.graph!);
    const message = `${plans.length} model${plans.length === 1 ? "" : "s"} to write, ${effects} other statement${effects === 1 ? "" : "s"} to show`;
    return { ok: true, message, plan };
  } catch (e) {
    return { ok: false, message: (e as Error).message, plan: "" };
  }
}

export async function inspect(ctx: CommandContext, doc: TextDocument, position: Position | undefined, token: CancellationToken): Promise<InspectResponse> {
  const checked = ctx.store.check(doc);
  const targets = interferenceTargets(checked.analysis);
  const offset = position ? doc.offsetAt(position) : -1;
  const target =
    (position && targets.find((t) => t.call.range.start.offset <= offset && offset <= t.call.range.end.offset)) ||
    (position && targets.find((t) => t.call.range.start.line - 1 === position.line)) ||
    (!position ? targets[0] : undefined);
  const fail = (message: string): InspectResponse => ({ ok: false, message, title: "", html: "", summary: "" });
  if (!target) return fail(position ? "no merge call or interference(...) here" : "this recipe has no merge call or interference(...) to inspect");
  const mode = ctx.settings().inspection;
  const source = checked.text.slice(target.call.range.start.offset, target.call.argsRange.end.offset).replace(/\s+/g, " ");
  const title = `Interference: ${source.length > 60 ? source.slice(0, 59) + "…" : source}`;
  try {
    const report = await withProgress(ctx, `Measuring interference (${mode})`, token, (signal, progress) =>
      ctx.estimates.report(target, mode, (done, total) => progress(`${done} of ${total} tensors`, done, total), signal),
    );
    return { ok: true, message: summaryLine(report), title, html: renderHtml(report, { title }), summary: summaryLine(report) };
  } catch (e) {
    return fail(e instanceof JobError && e.cancelled ? "cancelled" : (e as Error).message);
  }
}
