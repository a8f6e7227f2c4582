/** Messages between the language server and its job worker (plain data: structured-cloned). */
import type { Graph } from "../../graph/graph.js";
import type { Report } from "../../inspect/report.js";

export interface InterferenceJob {
  kind: "interference";
  models: string[];
  base: string;
  density: number;
  by: "layer" | "tensor";
  mode: "exact" | "sampled";
  spectral: boolean;
}

export interface RunJob {
  kind: "run";
  graph: Graph;
  inspectMode: "exact" | "sampled";
  /** Engine threads; 0 leaves the choice to the engine (every core). */
  threads: number;
}

/** optimize(...) of a recipe: src/search, with a metric command. */
export interface SearchJob {
  kind: "search";
  file: string;
  text: string;
  threads: number;
}

export type Job = InterferenceJob | RunJob | SearchJob;

export interface SearchOutcome {
  dimensions: string[];
  values: number[];
  score: number;
  evaluations: number;
  bestRecipe: string;
  plot: string;
}

export interface SavedOutput {
  path: string;
  files: string[];
  bytesWritten: number;
  tensors: number;
}

export type JobResult = { kind: "interference"; report: Report } | { kind: "run"; saved: SavedOutput[] } | { kind: "search"; outcome: SearchOutcome };

export interface JobProgress {
  label: string;
  done: number;
  total: number;
}

export type ToWorker = { type: "start"; id: number; job: Job } | { type: "abort"; id: number };

export type FromWorker =
  | { type: "progress"; id: number; progress: JobProgress }
  | { type: "text"; id: number; text: string }
  | { type: "done"; id: number; result: JobResult }
  | { type: "failed"; id: number; message: string; cancelled: boolean };
