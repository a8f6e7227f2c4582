/**
 * A cell's outputs collected in order, for code that drives a Session itself (tslab's TypeScript
 * notebooks, scripts, tests). In a tslab notebook, `result.display()` shows it richly with tslab's
 * `display`; as a cell's last value it prints as text.
 */
import { createRequire } from "node:module";
import { inspect } from "node:util";
import type { CellError } from "./cell-error.js";
import type { MimeBundle } from "./mimebundle.js";
import type { CellOutput, DisplayTarget } from "./output.js";

export type CellOutputItem =
  | { kind: "stream"; name: "stdout" | "stderr"; text: string }
  | { kind: "display"; bundle: MimeBundle; id: string | null }
  | { kind: "result"; bundle: MimeBundle };

/** What tslab's `display` (from `import { display } from "tslab"`) offers; any object with these works. */
export interface RichDisplay {
  html(s: string): void;
  svg(s: string): void;
  text(s: string): void;
}

const ANSI = /\x1b\[[0-9;]*m/g;

export class CellResult {
  readonly outputs: CellOutputItem[] = [];
  error: CellError | null = null;

  get ok(): boolean {
    return this.error === null;
  }

  /** The final expression statement's value, if the cell had one. */
  get result(): MimeBundle | null {
    const r = this.outputs.find((o) => o.kind === "result");
    return r && r.kind === "result" ? r.bundle : null;
  }

  /** Everything as plain text, as a terminal would show it. */
  get text(): string {
    const parts = this.outputs.map((o) => (o.kind === "stream" ? o.text.replace(/\n$/, "") : o.bundle["text/plain"]));
    if (this.error) parts.push(this.error.traceback.join("\n").replace(ANSI, ""));
    return parts.join("\n");
  }

  /** Throws the cell's error (as an Error whose message is the traceback), if it had one. */
  throwIfError(): this {
    if (this.error) throw Object.assign(new Error(this.error.traceback.join("\n").replace(ANSI, "")), { name: this.error.ename });
    return this;
  }

  /**
   * Shows the outputs in a notebook: streams go to stdout/stderr (tslab turns them into stream
   * output), displays and the result through `target` (default: the `tslab` package's display) as
   * HTML, else SVG, else text.
   */
  display(target?: RichDisplay): void {
    const shown = target ?? tslabDisplay();
    for (const o of this.outputs) {
      if (o.kind === "stream") (o.name === "stdout" ? process.stdout : process.stderr).write(o.text);
      else if (typeof o.bundle["text/html"] === "string") shown.html(o.bundle["text/html"]);
      else if (typeof o.bundle["image/svg+xml"] === "string") shown.svg(o.bundle["image/svg+xml"]);
      else shown.text(o.bundle["text/plain"]);
    }
    if (this.error) process.stderr.write(this.error.traceback.join("\n") + "\n");
  }

  [inspect.custom](): string {
    return this.text;
  }

  /** A CellOutput that records into this result (a display updated in place keeps its last state). */
  sink(): CellOutput {
    return {
      stream: (name, text) => {
        const last = this.outputs[this.outputs.length - 1];
        if (last?.kind === "stream" && last.name === name) last.text += text;
        else this.outputs.push({ kind: "stream", name, text });
      },
      display: (bundle: MimeBundle, target?: DisplayTarget) => {
        const existing = target ? this.outputs.find((o) => o.kind === "display" && o.id === target.id) : undefined;
        if (existing && existing.kind === "display") existing.bundle = bundle;
        else this.outputs.push({ kind: "display", bundle, id: target?.id ?? null });
      },
      result: (bundle) => this.outputs.push({ kind: "result", bundle }),
    };
  }
}

function tslabDisplay(): RichDisplay {
  try {
    const require = createRequire(import.meta.url);
    return (require("tslab") as { display: RichDisplay }).display;
  } catch {
    throw new Error("display() needs tslab (run it in a tslab notebook) or a display object: result.display(display)");
  }
}
