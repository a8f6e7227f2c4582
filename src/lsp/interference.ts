/**
 * Interference estimates for merge calls and `interference(...)`: which models a call measures, and
 * the reports themselves, computed in the job worker and cached by the models' file sizes and mtimes.
 */
import type { Position as LspPosition, Range as LspRange } from "vscode-languageserver/node";
import type { HeaderCache } from "../io/header-cache.js";
import type { Report } from "../inspect/report.js";
import { SPECTRAL_METHODS } from "../inspect/spectral.js";
import type { Analysis } from "../language/analyzer.js";
import type { CallExpr } from "../language/ast.js";
import type { ModelLike } from "../language/values.js";
import { toLspPosition, toLspRange } from "./convert.js";
import { soleLoad, mergeAtomOf } from "./describe.js";
import type { JobRunner } from "./jobs/job-runner.js";

/** A call to measure, as plain data (it crosses from the analysis worker). */
export interface InterferenceTarget {
  /** Offsets of the call in the text it was found in. */
  offset: number;
  end: number;
  /** Where a lens goes (the callee), and where the call starts. */
  calleeRange: LspRange;
  start: LspPosition;
  /** The call's text up to its closing parenthesis, on one line. */
  source: string;
  /** Model folders, when every model is a plain `model(...)`; null otherwise. */
  models: string[] | null;
  base: string | null;
  density: number;
  by: "layer" | "tensor";
  /** With the spectral column: asked for, or a merge by an SVD-based method. */
  spectral: boolean;
}

function loadPaths(models: ModelLike[]): string[] | null {
  const paths = models.map((m) => soleLoad(m)?.path ?? null);
  return paths.every((p): p is string => p !== null) ? paths : null;
}

/** Calls worth an estimate: `interference(...)` and merges with a base (their task vectors). */
export function interferenceTargets(analysis: Analysis, text: string): InterferenceTarget[] {
  const out: InterferenceTarget[] = [];
  const at = (call: CallExpr) => ({
    offset: call.range.start.offset,
    end: call.range.end.offset,
    calleeRange: toLspRange(call.callee.range),
    start: toLspPosition(call.range.start),
    source: text.slice(call.range.start.offset, call.argsRange.end.offset).replace(/\s+/g, " "),
  });
  for (const info of analysis.calls) {
    if (info.spec.kind === "report" && info.value.type === "Report") {
      const r = info.value.report;
      out.push({ ...at(info.call), models: loadPaths(r.models), base: soleLoad(r.base)?.path ?? null, density: r.density, by: r.by, spectral: r.spectral });
    } else if (info.spec.kind === "merge") {
      const atom = mergeAtomOf(analysis.atoms, info.call);
      if (!atom?.base) continue;
      // Measure at the method's own keep share (density, or PCB's ratio) when it is one number.
      const keep = atom.params.values["density"] ?? atom.params.values["ratio"];
      out.push({
        ...at(info.call),
        models: loadPaths(atom.models),
        base: soleLoad(atom.base)?.path ?? null,
        density: typeof keep === "number" ? keep : 0.2,
        by: "layer",
        spectral: SPECTRAL_METHODS.has(info.spec.name),
      });
    }
  }
  return out;
}

/** Why a target cannot be estimated, or null when it can. */
export function targetProblem(t: InterferenceTarget): string | null {
  if (!t.models || !t.base) return "interference needs models declared with model(...), not computed ones";
  return null;
}

export class InterferenceEstimates {
  private readonly cache = new Map<string, Promise<Report>>();

  constructor(
    private readonly runner: JobRunner,
    private readonly headers: HeaderCache,
    private readonly limit = 64,
  ) {}

  /** The report for `t` in `mode`; reuses a cached one while no model file changed. Throws on unreadable models. */
  report(t: InterferenceTarget, mode: "exact" | "sampled", onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<Report> {
    const problem = targetProblem(t);
    if (problem) return Promise.reject(new Error(problem));
    const models = t.models!;
    const base = t.base!;
    // Reading the headers checks the files' sizes and mtimes: a changed model gets a new key.
    const stamps = [base, ...models].map((p) => this.headers.get(p).mtimeKey);
    const key = JSON.stringify([mode, t.density, t.by, t.spectral, base, models, stamps]);
    const known = this.cache.get(key);
    if (known) return known;
    const job = this.runner
      .run(
        { kind: "interference", models, base, density: t.density, by: t.by, mode, spectral: t.spectral },
        { ...(signal ? { signal } : {}), ...(onProgress ? { onProgress: (p) => onProgress(p.done, p.total) } : {}) },
      )
      .then((r) => {
        if (r.kind !== "interference") throw new Error("the job worker answered with the wrong kind of result");
        return r.report;
      });
    this.cache.set(key, job);
    job.catch(() => this.cache.delete(key));
    while (this.cache.size > this.limit) this.cache.delete(this.cache.keys().next().value!);
    return job;
  }

  clear(): void {
    this.cache.clear();
  }
}
