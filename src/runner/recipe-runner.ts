/**
 * Running a checked recipe: the engine for saves, the inspection module for interference reports,
 * text for shown values. Shared by `mergelang run`, the demo and the editor's "Run recipe".
 */
import { displayPath } from "../util/display-path.js";
import type { Effect, Graph, InterferenceEffect, NodeId } from "../graph/graph.js";
import { executeGraph, type EngineProgress, type SaveResult } from "../engine/executor.js";
import { EngineAbortedError, EngineError } from "../engine/errors.js";
import { HeaderCache, ModelFormatError, OutputFolderError } from "../io/index.js";
import { DeviceError, type Backend } from "../backends/index.js";
import { ModelWriteError } from "../io/model-writer.js";
import { inspectInterference, InterferenceInputError, renderText, type Report } from "../inspect/index.js";

export interface RunHooks {
  /** Text for the user: shown values, printed values, report tables. */
  text?: (text: string) => void;
  report?: (report: Report, effect: InterferenceEffect) => void;
  progress?: (p: EngineProgress) => void;
  /** Each save as soon as its folder is in place. */
  saved?: (s: SaveResult) => void;
  signal?: AbortSignal;
  headers?: HeaderCache;
  /** Where tensors are computed (default: the CPU engine); see resolveDevice. */
  backend?: Backend;
  /** Worker threads for the engine's kernels (default: every core). */
  threads?: number;
  /** Interference reports: the exact pass (default) or the sampled estimate. */
  inspectMode?: "exact" | "sampled";
  /** Every save may replace existing folders mergelang did not write (--overwrite). */
  overwrite?: boolean;
  /** Every save allows NaN and ±Inf in its inputs and output (--allow-nonfinite). */
  allowNonFinite?: boolean;
}

export interface RunOutcome {
  saved: SaveResult[];
  reports: Report[];
}

/** The model folder a graph node reads, when it is a plain model(...) load. */
export function loadPath(graph: Graph, id: NodeId): string | null {
  const n = graph.nodes[id];
  return n?.kind === "load" ? n.path : null;
}

/** Runs every effect of `graph` in order. Throws `RunError` with a user-facing message on failure. */
export async function runGraph(graph: Graph, hooks: RunHooks = {}): Promise<RunOutcome> {
  const headers = hooks.headers ?? new HeaderCache();
  const reports: Report[] = [];
  const saved: SaveResult[] = [];
  const onEffect = async (effect: Effect): Promise<void> => {
    switch (effect.kind) {
      case "print":
        hooks.text?.(effect.text);
        return;
      case "show":
        hooks.text?.(effect.node === null ? (effect.text ?? "") : `${effect.text ?? "model"}: a model (use save(...) to write it)`);
        return;
      case "interference": {
        const models = effect.models.map((m) => loadPath(graph, m));
        const base = loadPath(graph, effect.base);
        if (models.some((m) => m === null) || base === null) {
          throw new RunError(`${effect.origin.file}:${effect.origin.line}:${effect.origin.column}: interference() reads model folders: pass models declared with model(...), not computed merges`);
        }
        const report = await inspectInterference({
          models: models as string[],
          base,
          density: effect.density,
          by: effect.by,
          spectral: effect.spectral,
          mode: hooks.inspectMode ?? "exact",
          headers,
          ...(hooks.signal ? { signal: hooks.signal } : {}),
        });
        reports.push(report);
        hooks.report?.(report, effect);
        hooks.text?.(renderText(report));
        return;
      }
      default:
        return;
    }
  };
  try {
    const result = await executeGraph(graph, {
      headerCache: headers,
      onEffect,
      ...(hooks.progress ? { onProgress: hooks.progress } : {}),
      onSaved: (s) => {
        saved.push(s);
        hooks.saved?.(s);
      },
      ...(hooks.threads ? { threads: hooks.threads } : {}),
      ...(hooks.backend ? { backend: hooks.backend } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      ...(hooks.overwrite ? { overwrite: true } : {}),
      ...(hooks.allowNonFinite ? { allowNonFinite: true } : {}),
    });
    return { saved: result.saved, reports };
  } catch (e) {
    throw toRunError(e, saved);
  }
}

/** A failure to show the user as one message, never a stack trace. */
export class RunError extends Error {
  override readonly name = "RunError";
  constructor(
    message: string,
    readonly cancelled = false,
  ) {
    super(message);
  }
}

const USER_ERRORS = [DeviceError, EngineError, ModelFormatError, ModelWriteError, OutputFolderError, InterferenceInputError];

/** `saved`: the saves that completed before the failure (a cancellation says they are in place). */
export function toRunError(e: unknown, saved: readonly SaveResult[] = []): RunError | Error {
  if (e instanceof RunError) return e;
  if (e instanceof EngineAbortedError || (e instanceof Error && e.name === "AbortError")) {
    if (saved.length === 0) return new RunError("cancelled: no output was written", true);
    const paths = saved.map((s) => displayPath(s.path)).join(", ");
    return new RunError(`cancelled after writing ${paths}; nothing else was written`, true);
  }
  if (USER_ERRORS.some((k) => e instanceof k)) return new RunError((e as Error).message);
  return e instanceof Error ? e : new Error(String(e));
}

