/**
 * The server's requests beyond the LSP, shared with the VS Code extension (which only forwards
 * commands to them): run a recipe, describe a dry run, open the interference view.
 */
import type { Position } from "vscode-languageserver-textdocument";

/** A token for `$/progress` notifications about the request (LSP's WorkDoneProgressParams). */
export type ProgressToken = number | string;

export const RUN_REQUEST = "mergelang/run";
export const DRY_RUN_REQUEST = "mergelang/dryRun";
export const INSPECT_REQUEST = "mergelang/inspect";
export const SEARCH_REQUEST = "mergelang/search";

export interface RecipeParams {
  uri: string;
  workDoneToken?: ProgressToken;
}

export interface InspectParams {
  uri: string;
  workDoneToken?: ProgressToken;
  /** The call to inspect (a merge or `interference(...)`); the first such call when absent. */
  position?: Position;
  /** When no call is at `position`, inspect the recipe's first one instead of failing. */
  fallbackToFirst?: boolean;
}

export interface SavedModel {
  path: string;
  files: string[];
  bytesWritten: number;
  tensors: number;
}

export interface RunResponse {
  ok: boolean;
  cancelled: boolean;
  /** One line for a notification. */
  message: string;
  /** Everything the run printed (values, report tables), in order. */
  output: string[];
  saved: SavedModel[];
}

export interface SearchResponse {
  ok: boolean;
  cancelled: boolean;
  message: string;
  /** The live table's lines (one per candidate) and notes, in order. */
  output: string[];
  /** The recipe with the best values filled in, when the search finished. */
  bestRecipe: string | null;
}

export interface DryRunResponse {
  ok: boolean;
  message: string;
  /** The plan: what each save reads, writes and holds. */
  plan: string;
}

export interface InspectResponse {
  ok: boolean;
  message: string;
  title: string;
  /** A complete HTML page (theme-aware) with the per-layer heat map and table. */
  html: string;
  summary: string;
}

/** `mergelang.*` settings (VS Code's configuration section "mergelang"). */
export interface MergelangSettings {
  /** Worker threads for the engine (0: every core). */
  threads: number;
  device: "auto" | "cpu" | "gpu" | "tfjs-cpu" | "wasm";
  /** The interference view: the fast sampled estimate or the exact pass. */
  inspection: "sampled" | "exact";
  codeLens: boolean;
  inlayHints: boolean;
}

export const defaultSettings: MergelangSettings = { threads: 0, device: "auto", inspection: "sampled", codeLens: true, inlayHints: true };

const DEVICES = ["auto", "cpu", "gpu", "tfjs-cpu", "wasm"] as const;

/** Settings from an untrusted object (the client's configuration), falling back to the defaults. */
export function readSettings(raw: unknown): MergelangSettings {
  const r = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const threads = typeof r["threads"] === "number" && Number.isInteger(r["threads"]) && r["threads"] >= 0 ? r["threads"] : defaultSettings.threads;
  const device = DEVICES.find((d) => d === r["device"]) ?? defaultSettings.device;
  const inspection = r["inspection"] === "exact" || r["inspection"] === "sampled" ? r["inspection"] : defaultSettings.inspection;
  const flag = (k: "codeLens" | "inlayHints"): boolean => (typeof r[k] === "boolean" ? (r[k] as boolean) : defaultSettings[k]);
  return { threads, device, inspection, codeLens: flag("codeLens"), inlayHints: flag("inlayHints") };
}
