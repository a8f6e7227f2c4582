/**
 * An interference report as plain data (JSON-safe: no NaN, no Maps), so it can be rendered, saved,
 * sent to a notebook or editor, and read back unchanged.
 */
import type { GroupBy, GroupKind } from "./groups.js";

/** A metric value and, in sampled mode, its confidence interval. null where it is undefined (0/0). */
export interface Estimate {
  value: number | null;
  /** [low, high] at the report's confidence level; absent in exact mode. */
  ci?: [number, number];
}

/** PCB's balancing view of a group (present when the report was asked for one). */
export interface PcbMetrics {
  /** Share of all tasks' elements whose balancing scale is 0. */
  dropped: Estimate;
  dropped_by_task: Estimate[];
  /** Mean balancing score β per task. */
  beta_mean: Estimate[];
  /** Standard deviation of β over the group's elements, all tasks pooled. */
  beta_spread: Estimate;
  /** Each task's share of Σ scale: how much of the balanced mean it decides. */
  scale_share: Estimate[];
}

export interface GroupMetrics {
  /** Elements per task. */
  elements: number;
  /** Elements per task that were read (= elements in exact mode). */
  sampled: number;
  tensors: number;
  /** Share of the tasks' L1 mass that trimming at `density` removes (all tasks pooled). */
  redundancy: Estimate;
  redundancy_by_task: Estimate[];
  /** Share of elements where two tasks keep non-zero values of opposite sign after trimming. */
  sign_conflict: Estimate;
  /** Share of the kept L1 mass that TIES sign election discards (all tasks pooled). */
  lost_to_election: Estimate;
  lost_by_task: Estimate[];
  /** Mean pairwise cosine similarity of the task vectors (null with one task or a zero vector). */
  cosine: Estimate;
  /** Pairwise cosine matrix (1 on the diagonal). */
  cosine_matrix: (number | null)[][];
  /** L2 norm of each task's delta. */
  norm: Estimate[];
  pcb?: PcbMetrics;
  /**
   * Spectral interference (when the report was asked for it; spectral.ts): the share of the tasks'
   * top singular energy in each other's top subspaces (null where no 2-D tensor was decomposed).
   */
  spectral?: Estimate;
  /** TSV's singular task interference ‖(UᵀU − I)·Σ·(VᵀV − I)‖₁, summed over the group's matrices. */
  sti?: number;
}

export interface ReportGroup {
  key: string;
  label: string;
  kind: GroupKind;
  layer: number | null;
  metrics: GroupMetrics;
}

export interface Report {
  format: "mergelang.interference";
  version: 1;
  /** One label per fine-tuned model, in order. */
  labels: string[];
  /** Model and base paths as given. */
  models: string[];
  base: string;
  density: number;
  by: GroupBy;
  mode: "exact" | "sampled";
  /** Seed of the sample (sampled mode), else null. */
  seed: number | null;
  /** Confidence level of the intervals (sampled mode), else null. */
  confidence: number | null;
  pcb: { ratio: number; clip: number } | null;
  /** The spectral view, when asked: exact (TSV's rank share, full SVD) or fast (rank ≤ 16, randomized SVD). */
  spectral?: { mode: "exact" | "fast"; matrices: number } | null;
  /** embeddings, layers 0..N, head, other (or tensors in that order). */
  groups: ReportGroup[];
  /** The whole model: sums of every group's totals. */
  total: GroupMetrics;
  /** Tensors left out (not floating point), with the reason. */
  skipped: { tensor: string; reason: string }[];
  bytesRead: number;
  elapsedMs: number;
}

/** The metrics a heat map and a table show, in column order, with how to read them. */
export interface MetricColumn {
  id: "redundancy" | "sign_conflict" | "lost_to_election" | "cosine" | "pcb_dropped" | "beta_spread" | "spectral";
  title: string;
  /** Which end is bad: "high" for shares that measure interference, "low" for cosine. */
  worse: "high" | "low";
  /** Range the colour ramp spans; "auto" spans the values present in the report. */
  range: [number, number] | "auto";
  describe: string;
  pick(m: GroupMetrics): Estimate | undefined;
}

export function metricColumns(report: Pick<Report, "pcb" | "spectral">): MetricColumn[] {
  const columns: MetricColumn[] = [
    {
      id: "redundancy",
      title: "redundancy",
      worse: "high",
      range: [0, 1],
      describe: "share of each task's L1 mass that trimming removes",
      pick: (m) => m.redundancy,
    },
    {
      id: "sign_conflict",
      title: "sign conflict",
      worse: "high",
      range: [0, 1],
      describe: "share of elements where kept values disagree in sign",
      pick: (m) => m.sign_conflict,
    },
    {
      id: "lost_to_election",
      title: "lost to election",
      worse: "high",
      range: [0, 1],
      describe: "share of kept L1 mass that sign election discards",
      pick: (m) => m.lost_to_election,
    },
    {
      id: "cosine",
      title: "cosine",
      worse: "low",
      range: [-1, 1],
      describe: "mean pairwise cosine similarity of the task vectors",
      pick: (m) => m.cosine,
    },
  ];
  if (report.spectral) {
    columns.push({
      id: "spectral",
      title: "spectral overlap",
      worse: "high",
      range: [0, 1],
      describe: "share of the tasks' top singular energy inside each other's top singular subspaces (TSV)",
      pick: (m) => m.spectral,
    });
  }
  if (report.pcb) {
    columns.push(
      {
        id: "pcb_dropped",
        title: "PCB dropped",
        worse: "high",
        range: [0, 1],
        describe: "share of the tasks' parameters PCB drops",
        pick: (m) => m.pcb?.dropped,
      },
      {
        id: "beta_spread",
        title: "β spread",
        worse: "high",
        range: "auto",
        describe: "standard deviation of PCB balancing scores β",
        pick: (m) => m.pcb?.beta_spread,
      },
    );
  }
  return columns;
}

/** The report as JSON text (plain data; `reportFromJson` reads it back). */
export function reportToJson(report: Report, indent = 2): string {
  return JSON.stringify(report, null, indent);
}

/** Reads a report written by `reportToJson`, checking that it is one. */
export function reportFromJson(text: string): Report {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`not an interference report: ${(e as Error).message}`);
  }
  const r = value as Partial<Report> | null;
  if (!r || r.format !== "mergelang.interference" || r.version !== 1 || !Array.isArray(r.groups) || !r.total) {
    throw new Error("not an interference report (format mergelang.interference, version 1)");
  }
  return r as Report;
}

/** One line for an editor code lens: "sign conflict 31% · redundancy 78% · 3 models". */
export function summaryLine(report: Report): string {
  const t = report.total;
  const pct = (e: Estimate): string => (e.value === null ? "n/a" : `${Math.round(e.value * 100)}%`);
  const parts = [
    `sign conflict ${pct(t.sign_conflict)}`,
    `redundancy ${pct(t.redundancy)}`,
    `lost to election ${pct(t.lost_to_election)}`,
    ...(t.spectral ? [`spectral overlap ${pct(t.spectral)}`] : []),
    `${report.labels.length} model${report.labels.length === 1 ? "" : "s"}`,
  ];
  if (report.mode === "sampled") parts.push("sampled");
  return parts.join(" · ");
}
