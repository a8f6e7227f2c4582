/** Messages between the exact-mode report and its worker threads: one job per tensor. */
import type { ModelFormatErrorCode } from "../io/errors.js";
import type { PcbSettings } from "./pcb-kernel.js";

export interface ExactJob {
  id: number;
  /** Model paths, the base first. */
  paths: string[];
  tensor: string;
  density: number;
  pcb: PcbSettings | null;
}

export type ExactReply =
  | { id: number; ok: true; rows: Float64Array; bytes: number }
  | { id: number; ok: false; message: string; format: { code: ModelFormatErrorCode; file: string; tensor: string | undefined } | null };
