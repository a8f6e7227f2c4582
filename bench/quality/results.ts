/** The results table as data: one row per model or merge, scored on the test part. */
import { averageAccuracy, normalisedAccuracy, type TaskScores } from "./metrics.js";

export interface ResultRow {
  id: string;
  label: string;
  /** "lower": pre-trained encoder with the task heads; "upper": each task's own fine-tuned encoder. */
  kind: "lower" | "upper" | "merge";
  /** The coefficients chosen on validation, as text ("—" when none). */
  setting: string;
  /** Validation average at the chosen setting (merges only). */
  validationAverage: number | null;
  test: TaskScores;
  average: number;
  normalised: number;
}

export interface QualityResults {
  seed: number;
  tasks: string[];
  /** Test digits per task. */
  testSize: number;
  validationSize: number;
  rows: ResultRow[];
}

export function makeRow(id: string, label: string, kind: ResultRow["kind"], setting: string, validationAverage: number | null, test: TaskScores, fineTuned: TaskScores, tasks: readonly string[]): ResultRow {
  return {
    id,
    label,
    kind,
    setting,
    validationAverage,
    test,
    average: averageAccuracy(test, tasks),
    normalised: normalisedAccuracy(test, fineTuned, tasks),
  };
}
