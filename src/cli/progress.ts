/**
 * Progress for long work: one redrawn bar per label (a save's output folder) with the current step
 * inside it, throughput and an ETA for the whole label on a terminal; plain log lines (one per step,
 * one every 5 s) when output goes to a file or CI log.
 */
import type { EngineProgress } from "../engine/executor.js";
import { displayPath } from "../util/display-path.js";

export interface ProgressState {
  /** What the bar stands for: a new label starts a new bar. */
  label: string;
  /** The step inside it, e.g. "ties statistics, pass 1 of up to 2" or "writing". */
  step: string;
  /** Work done and total, in any unit that is proportional to time (elements read). */
  done: number;
  total: number;
  /** Bytes processed so far under this label, for throughput. */
  bytes: number;
}

/** A save's engine progress as a bar: one per output folder, the step inside it. */
export function progressState(p: EngineProgress): ProgressState {
  return { label: displayPath(p.path), step: p.step, done: p.workDone, total: p.workTotal, bytes: p.bytesRead + p.bytesWritten };
}

/** Rate and ETA need this much elapsed time before they mean anything. */
const SETTLE_SECONDS = 1;

const formatBytesPerSecond = (bps: number): string =>
  bps >= 1e9 ? `${(bps / 1e9).toFixed(2)} GB/s` : bps >= 1e6 ? `${(bps / 1e6).toFixed(1)} MB/s` : `${(bps / 1e3).toFixed(0)} kB/s`;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  return h > 0 ? `${h}:${String(m % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}` : `${m}:${String(s % 60).padStart(2, "0")}`;
}

export class ProgressBar {
  private started = Date.now();
  private labelStart = Date.now();
  private label: string | null = null;
  private step = "";
  private lastDraw = 0;
  private lastLog = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly tty: boolean = stream.isTTY === true,
    private readonly now: () => number = Date.now,
  ) {
    this.started = this.labelStart = now();
  }

  update(s: ProgressState): void {
    const now = this.now();
    let newStep = s.step !== this.step;
    if (s.label !== this.label) {
      if (this.drawn && this.tty) this.stream.write("\n");
      this.label = s.label;
      this.labelStart = now;
      this.drawn = false;
      newStep = true;
    }
    this.step = s.step;
    const fraction = s.total > 0 ? Math.min(1, s.done / s.total) : 0;
    const elapsed = (now - this.labelStart) / 1000;
    const settled = elapsed >= SETTLE_SECONDS && fraction > 0;
    const rate = settled ? formatBytesPerSecond(s.bytes / elapsed) : "";
    const eta = settled ? `ETA ${formatDuration((elapsed * (1 - fraction)) / fraction)}` : "";
    const pct = `${Math.floor(fraction * 100)}%`;
    const finished = s.done >= s.total;
    if (this.tty) {
      if (now - this.lastDraw < 80 && !finished && !newStep) return;
      this.lastDraw = now;
      const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 70));
      const filled = Math.round(fraction * width);
      const bar = "█".repeat(filled) + "░".repeat(width - filled);
      const line = [`${s.label} ${bar} ${pct.padStart(4)} ${s.step}`, rate, finished ? "" : eta].filter(Boolean).join(" · ");
      this.stream.write(`\r\x1b[2K${line}`);
      this.drawn = true;
      return;
    }
    if (!finished && !newStep && now - this.lastLog < 5000) return;
    this.lastLog = now;
    const timing = finished ? `in ${formatDuration(elapsed)}` : eta;
    this.stream.write(`${[`${s.label}: ${s.step}, ${pct}`, rate, timing].filter(Boolean).join(", ")}\n`);
  }

  /** Ends the current line (on a terminal) so following output starts clean; the seconds since the bar was made. */
  finish(): number {
    if (this.drawn && this.tty) this.stream.write("\n");
    this.drawn = false;
    return (this.now() - this.started) / 1000;
  }
}
