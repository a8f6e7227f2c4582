/**
 * The job worker: interference reports and recipe runs, off the language server's thread so that
 * typing never waits for them. One message in per job, progress and text out, then done or failed.
 */
import { basename } from "node:path";
import { parentPort } from "node:worker_threads";
import { inspectInterference } from "../../inspect/inspect.js";
import { HeaderCache } from "../../io/header-cache.js";
import { runGraph, toRunError, RunError, type RunHooks } from "../../runner/recipe-runner.js";
import { checkRecipe } from "../../language/service.js";
import { headerLookup } from "../../language/header-lookup.js";
import { runSearch } from "../../search/search-runner.js";
import { SearchTable } from "../../search/table.js";
import type { FromWorker, Job, JobResult, ToWorker } from "./protocol.js";

const headers = new HeaderCache();
const running = new Map<number, AbortController>();

function post(message: FromWorker): void {
  parentPort!.postMessage(message);
}

async function execute(id: number, job: Job, signal: AbortSignal): Promise<JobResult> {
  if (job.kind === "interference") {
    const report = await inspectInterference({
      models: job.models,
      base: job.base,
      density: job.density,
      by: job.by,
      mode: job.mode,
      spectral: job.spectral,
      headers,
      signal,
      onProgress: (p) => post({ type: "progress", id, progress: { label: p.tensor, done: p.done, total: p.total } }),
    });
    return { kind: "interference", report };
  }
  if (job.kind === "search") {
    const checked = checkRecipe(job.text, job.file, { models: headerLookup(headers) });
    const table = new SearchTable((text) => post({ type: "text", id, text }));
    const result = await runSearch(checked, {
      headers,
      signal,
      ...(job.threads > 0 ? { threads: job.threads } : {}),
      onNote: (text) => post({ type: "text", id, text: `note: ${text}` }),
      onProgress: (p) => {
        table.row(p);
        const best = p.dimensions.map((d, i) => `${d} ${p.best.values[i]}`).join(", ");
        post({ type: "progress", id, progress: { label: `best ${p.best.score} (${best})`, done: p.done, total: p.total } });
      },
    });
    const outcome = { dimensions: result.dimensions, values: result.best.values, score: result.best.score, evaluations: result.candidates.length, bestRecipe: result.files.bestRecipe, plot: result.files.plot };
    return { kind: "search", outcome };
  }
  // The thread count goes to the runner as the engine's `threads` option once the runner forwards it.
  const hooks: RunHooks & { threads?: number } = {
    headers,
    signal,
    inspectMode: job.inspectMode,
    text: (text) => post({ type: "text", id, text }),
    // The share of the save's whole work (byte-weighted, statistics passes included), not of its tensors.
    progress: (p) => post({ type: "progress", id, progress: { label: `${basename(p.path)}: ${p.step}`, done: p.workDone, total: p.workTotal } }),
    ...(job.threads > 0 ? { threads: job.threads } : {}),
  };
  const outcome = await runGraph(job.graph, hooks);
  return {
    kind: "run",
    saved: outcome.saved.map((s) => ({ path: s.path, files: s.files, bytesWritten: s.bytesWritten, tensors: s.tensors })),
  };
}

async function start(id: number, job: Job): Promise<void> {
  const controller = new AbortController();
  running.set(id, controller);
  try {
    post({ type: "done", id, result: await execute(id, job, controller.signal) });
  } catch (e) {
    const err = toRunError(e);
    const cancelled = controller.signal.aborted || (err instanceof RunError && err.cancelled);
    post({ type: "failed", id, message: cancelled ? "cancelled" : err.message, cancelled });
  } finally {
    running.delete(id);
  }
}

export function serveJobs(): void {
  parentPort!.on("message", (m: ToWorker) => {
    if (m.type === "start") void start(m.id, m.job);
    else running.get(m.id)?.abort();
  });
}
