/**
 * A display updated in place while something runs (Jupyter's display_id and update_display_data):
 * shown at once, or only once the work has taken `delayMs`, and throttled so a fast loop does not
 * flood the notebook with updates.
 */
import { randomUUID } from "node:crypto";
import { escapeHtml, type MimeBundle } from "./mimebundle.js";
import type { CellOutput } from "./output.js";

export interface ProgressOptions {
  /** Show nothing until the work has run this long (0: show at once). */
  delayMs?: number;
  /** Least time between two updates. */
  intervalMs?: number;
}

export class ProgressDisplay {
  readonly id = randomUUID();
  private shown = false;
  private lastUpdate = 0;
  private readonly started = Date.now();
  private readonly delayMs: number;
  private readonly intervalMs: number;

  constructor(
    private readonly out: CellOutput,
    options: ProgressOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 0;
    this.intervalMs = options.intervalMs ?? 200;
  }

  get visible(): boolean {
    return this.shown;
  }

  get elapsedMs(): number {
    return Date.now() - this.started;
  }

  /** Progress as a line of text and a bar (`fraction` in [0, 1], or null when unknown). */
  update(text: string, fraction: number | null, force = false): void {
    const now = Date.now();
    if (!this.shown && now - this.started < this.delayMs) return;
    if (this.shown && !force && now - this.lastUpdate < this.intervalMs) return;
    this.lastUpdate = now;
    this.show(progressBundle(text, fraction));
  }

  /** Replaces the progress with a final view; shows it even when no progress was shown. */
  finish(bundle: MimeBundle): void {
    this.show(bundle);
  }

  /** Replaces the progress with a final view only if progress was shown. */
  finishIfShown(bundle: MimeBundle): void {
    if (this.shown) this.show(bundle);
  }

  private show(bundle: MimeBundle): void {
    this.out.display(bundle, { id: this.id, update: this.shown });
    this.shown = true;
  }
}

export function progressBundle(text: string, fraction: number | null): MimeBundle {
  const bar = fraction === null ? "<progress></progress>" : `<progress value="${Math.min(1, Math.max(0, fraction)).toFixed(4)}" max="1"></progress>`;
  const pct = fraction === null ? "" : ` ${Math.round(fraction * 100)}%`;
  return {
    "text/plain": `${text}${pct}`,
    "text/html": `<div class="mergelang-progress">${bar} <span>${escapeHtml(text)}${pct}</span></div>`,
  };
}
