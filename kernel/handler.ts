/**
 * The recipe language behind tslab's JupyterHandler interface: kernel info, completion, inspection
 * and is_complete from the shared language service, execution through a notebook Session.
 */
import type { CellOutcome, CellOutput, Session, SessionOptions } from "../src/session/index.js";
import type {
  CompleteReply,
  CompleteRequest,
  DisplayData,
  ExecuteReply,
  ExecuteRequest,
  InspectReply,
  InspectRequest,
  IsCompleteReply,
  IsCompleteRequest,
  JupyterHandler,
  KernelInfoReply,
  ShutdownReply,
  ShutdownRequest,
} from "./wire.js";
import { packageVersion } from "./version.js";

import { FILE_EXTENSION, LANGUAGE } from "./language.js";

/** Jupyter counts cursor positions in Unicode code points; JavaScript strings in UTF-16 units. */
export function codePointsToUtf16(text: string, codePoints: number): number {
  let offset = 0;
  for (let i = 0; i < codePoints && offset < text.length; i++) offset += text.codePointAt(offset)! > 0xffff ? 2 : 1;
  return offset;
}

export function utf16ToCodePoints(text: string, offset: number): number {
  return [...text.slice(0, offset)].length;
}

export class MergelangHandler implements JupyterHandler {
  private loaded: Session | null = null;
  private loading: Promise<Session> | null = null;
  private executionCount = 0;

  constructor(private readonly options: SessionOptions = {}) {}

  /**
   * The session, loaded on first use: the language service and engine take a while to import, and
   * kernel_info (what a client waits for at start) needs neither.
   */
  ready(): Promise<Session> {
    this.loading ??= import("../src/session/index.js").then(({ Session }) => (this.loaded = new Session(this.options)));
    return this.loading;
  }

  /** The loaded session (call `ready()` first). */
  get session(): Session {
    if (!this.loaded) throw new Error("the kernel session is not loaded yet");
    return this.loaded;
  }

  handleKernel(): KernelInfoReply {
    const version = packageVersion();
    const info = {
      status: "ok",
      protocol_version: "5.3",
      implementation: "mergelang",
      implementation_version: version,
      language_info: {
        name: LANGUAGE,
        version,
        mimetype: "text/x-mergelang",
        file_extension: FILE_EXTENSION,
        // The closest mode editors ship: `#` comments, double-quoted strings, numbers and calls.
        codemirror_mode: "python",
      },
      banner: `mergelang ${version}: merge recipes (TIES, PCB, task arithmetic, ...) in a notebook. %magics lists the magics.`,
    };
    return info;
  }

  /** Runs one cell, counting it when it is stored in the history. */
  async run(code: string, out: CellOutput, store: boolean): Promise<{ count: number; outcome: CellOutcome }> {
    const session = await this.ready();
    if (store) this.executionCount++;
    const count = this.executionCount;
    const outcome = await session.execute(code, out, { executionCount: count });
    return { count, outcome };
  }

  get count(): number {
    return this.executionCount;
  }

  /** tslab's interface offers only streams and displays: a result becomes a display, an error stderr. */
  async handleExecute(
    req: ExecuteRequest,
    writeStream: (name: string, text: string) => void,
    writeDisplayData: (data: DisplayData, update: boolean) => void,
  ): Promise<ExecuteReply> {
    const toData = (bundle: Record<string, unknown>, id?: string): DisplayData => ({
      data: bundle as DisplayData["data"],
      metadata: {},
      transient: id ? { display_id: id } : {},
    });
    const out: CellOutput = {
      stream: (name, text) => writeStream(name, text),
      display: (bundle, target) => writeDisplayData(toData(bundle, target?.id), target?.update ?? false),
      result: (bundle) => writeDisplayData(toData(bundle), false),
    };
    const { count, outcome } = await this.run(req.code, out, !req.silent && req.store_history !== false);
    if (outcome.status === "error") writeStream("stderr", outcome.error.traceback.join("\n") + "\n");
    return { status: outcome.status, execution_count: count };
  }

  handleIsComplete(req: IsCompleteRequest): IsCompleteReply {
    return this.session.isComplete(req.code);
  }

  handleInspect(req: InspectRequest): InspectReply {
    const found = this.session.inspect(req.code, codePointsToUtf16(req.code, req.cursor_pos));
    if (!found) return { status: "ok", found: false, data: {}, metadata: {} };
    return { status: "ok", found: true, data: { "text/plain": found.plain, "text/markdown": found.markdown }, metadata: {} };
  }

  handleComplete(req: CompleteRequest): CompleteReply {
    const c = this.session.complete(req.code, codePointsToUtf16(req.code, req.cursor_pos));
    const start = utf16ToCodePoints(req.code, c.start);
    const end = utf16ToCodePoints(req.code, c.end);
    // JupyterLab shows these types next to the matches.
    const metadata = {
      _jupyter_types_experimental: c.items.map((i) => ({ start, end, text: i.text, type: i.kind, signature: i.detail })),
    };
    return { status: "ok", matches: c.items.map((i) => i.text), cursor_start: start, cursor_end: end, metadata: metadata as unknown as CompleteReply["metadata"] };
  }

  handleShutdown(req: ShutdownRequest): ShutdownReply {
    this.loaded?.interrupt();
    return { status: "ok", restart: req.restart } as ShutdownReply;
  }

  /** Stops the running cell, if any. */
  interrupt(): boolean {
    return this.loaded?.interrupt() ?? false;
  }

  close(): void {
    this.loaded?.close();
  }
}
