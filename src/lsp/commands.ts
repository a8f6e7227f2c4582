/**
 * The editor's commands, done by the server: run a recipe (in the job worker, with cancellable
 * progress) and build the interference view's HTML. The dry run is an analysis query.
 */
import { basename } from "node:path";
import {
  WorkDoneProgress,
  type CancellationToken,
  type Connection,
  type ProgressToken,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from "vscode-languageserver/node";
import type { Position } from "vscode-languageserver-textdocument";
import { renderHtml } from "../inspect/render-html.js";
import { summaryLine } from "../inspect/report.js";
import type { AnalysisHost } from "./analysis/analysis-host.js";
import type { InterferenceEstimates } from "./interference.js";
import { JobError, type JobRunner } from "./jobs/job-runner.js";
import type { InspectResponse, MergelangSettings, RunResponse, SearchResponse } from "./protocol.js";

export interface CommandContext {
  connection: Connection;
  analysis: AnalysisHost;
  runs: JobRunner;
  estimates: InterferenceEstimates;
  settings: () => MergelangSettings;
}

interface Reporter {
  begin(title: string): void;
  report(percentage: number, message: string): void;
  done(): void;
}

/**
 * Progress for a long request: on the client's token when the request carries one (the extension
 * shows it as a notification with Cancel), else on a progress the server creates. The request's own
 * cancellation and the progress's Cancel both abort the work.
 */
async function withProgress<T>(
  ctx: CommandContext,
  title: string,
  token: CancellationToken,
  workDoneToken: ProgressToken | undefined,
  work: (signal: AbortSignal, report: (message: string, done: number, total: number) => void) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  token.onCancellationRequested(() => controller.abort());
  let reporter: Reporter | null = null;
  if (workDoneToken !== undefined) {
    const send = (value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd): void =>
      void ctx.connection.sendProgress(WorkDoneProgress.type, workDoneToken, value);
    reporter = {
      begin: (t) => send({ kind: "begin", title: t, cancellable: true, percentage: 0 }),
      report: (percentage, message) => send({ kind: "report", percentage, message }),
      done: () => send({ kind: "end" }),
    };
  } else {
    const created = await ctx.connection.window.createWorkDoneProgress().catch(() => null);
    created?.token.onCancellationRequested(() => controller.abort());
    if (created) reporter = { begin: (t) => created.begin(t, 0, undefined, true), report: (p, m) => created.report(p, m), done: () => created.done() };
  }
  reporter?.begin(title);
  let last = "";
  const report = (message: string, done: number, total: number): void => {
    const percent = total > 0 ? Math.floor((100 * done) / total) : 0;
    const key = `${percent} ${message}`;
    if (key === last) return;
    last = key;
    reporter?.report(percent, message);
  };
  try {
    return await work(controller.signal, report);
  } finally {
    reporter?.done();
  }
}

export async function runRecipe(ctx: CommandContext, uri: string, token: CancellationToken, workDoneToken?: ProgressToken): Promise<RunResponse> {
  const { graph, problem, file } = await ctx.analysis.query("runnable", uri, {});
  if (problem || !graph) return { ok: false, cancelled: false, message: problem ?? "nothing to run", output: [], saved: [] };
  const output: string[] = [];
  const settings = ctx.settings();
  if (settings.device !== "auto" && settings.device !== "cpu") {
    output.push(`note: device "${settings.device}" is not available in this build; the recipe runs on the CPU engine`);
  }
  try {
    const result = await withProgress(ctx, `Running ${basename(file)}`, token, workDoneToken, (signal, report) =>
      ctx.runs.run(
        { kind: "run", graph, inspectMode: settings.inspection, threads: settings.threads },
        { signal, onText: (t) => output.push(t), onProgress: (p) => report(p.label, p.done, p.total) },
      ),
    );
    const saved = result.kind === "run" ? result.saved : [];
    return { ok: true, cancelled: false, message: saved.length ? `wrote ${saved.map((s) => s.path).join(", ")}` : "done (nothing saved)", output, saved };
  } catch (e) {
    const cancelled = e instanceof JobError && e.cancelled;
    return { ok: false, cancelled, message: cancelled ? "cancelled: no output was written" : (e as Error).message, output, saved: [] };
  }
}

/** optimize(...) in the job worker: progress shows the best so far; the output holds the live table. */
export async function searchRecipe(ctx: CommandContext, uri: string, token: CancellationToken, workDoneToken?: ProgressToken): Promise<SearchResponse> {
  const { text, file, problem } = await ctx.analysis.query("searchable", uri, {});
  if (problem) return { ok: false, cancelled: false, message: problem, output: [], bestRecipe: null };
  const output: string[] = [];
  try {
    const result = await withProgress(ctx, `Searching ${basename(file)}`, token, workDoneToken, (signal, report) =>
      ctx.runs.run({ kind: "search", file, text, threads: ctx.settings().threads }, { signal, onText: (t) => output.push(t), onProgress: (p) => report(p.label, p.done, p.total) }),
    );
    if (result.kind !== "search") throw new Error("unexpected job result");
    const o = result.outcome;
    const values = o.dimensions.map((d, i) => `${d} ${o.values[i]}`).join(", ");
    return { ok: true, cancelled: false, message: `best ${o.score} with ${values} (${o.evaluations} evaluations); wrote ${basename(o.bestRecipe)}`, output, bestRecipe: o.bestRecipe };
  } catch (e) {
    const cancelled = e instanceof JobError && e.cancelled;
    return { ok: false, cancelled, message: cancelled ? "search stopped: the journal keeps every finished candidate, search again to resume" : (e as Error).message, output, bestRecipe: null };
  }
}

/** The call at `offset` (a merge or `interference(...)`), else the first one when no position is given. */
export async function inspect(
  ctx: CommandContext,
  uri: string,
  position: Position | undefined,
  offset: number,
  token: CancellationToken,
  workDoneToken?: ProgressToken,
  fallbackToFirst = false,
): Promise<InspectResponse> {
  const targets = await ctx.analysis.query("targets", uri, {});
  const here = position ? (targets.find((t) => t.offset <= offset && offset <= t.end) ?? targets.find((t) => t.start.line === position.line)) : undefined;
  const target = here ?? (!position || fallbackToFirst ? targets[0] : undefined);
  const fail = (message: string): InspectResponse => ({ ok: false, message, title: "", html: "", summary: "" });
  if (!target) return fail(targets.length ? "no merge call or interference(...) here" : "this recipe has no merge call or interference(...) to inspect");
  const mode = ctx.settings().inspection;
  const title = `Interference: ${target.source.length > 60 ? target.source.slice(0, 59) + "…" : target.source}`;
  try {
    const report = await withProgress(ctx, `Measuring interference (${mode})`, token, workDoneToken, (signal, progress) =>
      ctx.estimates.report(target, mode, (done, total) => progress(`${done} of ${total} tensors`, done, total), signal),
    );
    const summary = summaryLine(report);
    return { ok: true, message: summary, title, html: renderHtml(report, { title }), summary };
  } catch (e) {
    return fail(e instanceof JobError && e.cancelled ? "cancelled" : (e as Error).message);
  }
}
