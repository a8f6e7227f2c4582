/**
 * Progress for long work: a redrawn bar with throughput and ETA on a terminal, plain log lines
 * (at most one per 10% or per phase) when output goes to a file or CI log.
 */
export interface ProgressState {
  label: string;
  done: number;
  total: number;
  /** Bytes processed so far, for throughput. */
  bytes: number;
}

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
  private phaseStart = Date.now();
  private phase = "";
  private lastDraw = 0;
  private lastLog = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly tty: boolean = stream.isTTY === true,
  ) {}

  update(s: ProgressState): void {
    const now = Date.now();
    if (s.label !== this.phase) {
      if (this.drawn && this.tty) this.stream.write("\n");
      this.phase = s.label;
      this.phaseStart = now;
      this.lastLog = now;
      this.drawn = false;
    }
    const fraction = s.total > 0 ? Math.min(1, s.done / s.total) : 0;
    const elapsed = (now - this.phaseStart) / 1000;
    const rate = elapsed > 0 ? s.bytes / elapsed : 0;
    const remaining = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : NaN;
    if (this.tty) {
      if (now - this.lastDraw < 80 && s.done < s.total) return;
      this.lastDraw = now;
      const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 70));
      const filled = Math.round(fraction * width);
      const bar = "█".repeat(filled) + "░".repeat(width - filled);
      const pct = `${(fraction * 100).toFixed(0).padStart(3)}%`;
      const line = `${s.label} ${bar} ${pct} ${s.done}/${s.total} tensors · ${formatBytesPerSecond(rate)} · ETA ${formatDuration(remaining)}`;
      this.stream.write(`\r\x1b[2K${line}`);
      this.drawn = true;
      return;
    }
    // Logs: one line when a phase ends, and one every 5 s during a long phase.
    const finished = s.done >= s.total;
    if (!finished && now - this.lastLog < 5000) return;
    this.lastLog = now;
    const timing = finished ? `in ${formatDuration(elapsed)}` : `ETA ${formatDuration(remaining)}`;
    this.stream.write(`${s.label}: ${s.done}/${s.total} tensors (${(fraction * 100).toFixed(0)}%), ${formatBytesPerSecond(rate)}, ${timing}\n`);
  }

  /** Ends the current line (on a terminal) so following output starts clean. */
  finish(): number {
    if (this.drawn && this.tty) this.stream.write("\n");
    this.drawn = false;
    return (Date.now() - this.started) / 1000;
  }
}
