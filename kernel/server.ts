/**
 * The kernel's transport: tslab's ZmqServer (sockets, signing, heartbeat), with the parts of the
 * Jupyter protocol it leaves out filled in: execute_input, execute_result and the iopub error;
 * history, interrupt and comm_info replies; kernel_info with status ok; one shell request at a time
 * (tslab dispatches them concurrently), while control requests (interrupt, shutdown) go at once.
 */
import type { MimeBundle } from "../src/session/index.js";
import type { CellOutput } from "../src/session/index.js";
import type { MergelangHandler } from "./handler.js";
import { History, type HistoryRequest } from "./history.js";
import { messageClass, ZmqServer, type ExecuteRequest, type MessageClass, type WireMessage, type WireSocket } from "./wire.js";

type Content = Record<string, unknown>;

/** How long a failed cell waits for queued requests to arrive before aborting them. */
const ABORT_FLUSH_MS = 30;

export interface ServerOptions {
  /** Where the kernel's own problems are logged (the terminal jupyter runs in). */
  log?: (message: string) => void;
  /** Called after a shutdown request has been answered. */
  onShutdown?: () => void;
}

export class MergelangServer extends ZmqServer {
  private Message: MessageClass | null = null;
  private shellQueue: Promise<void> = Promise.resolve();
  private readonly history = new History();
  /** Execute requests received so far, and the last one to abort after a failure (stop_on_error). */
  private executesReceived = 0;
  private abortThrough = 0;
  private closed = false;
  private readonly log: (message: string) => void;

  constructor(
    readonly kernel: MergelangHandler,
    connectionFile: string,
    private readonly options: ServerOptions = {},
  ) {
    super(kernel, connectionFile);
    this.log = options.log ?? ((m) => process.stderr.write(`[mergelang kernel] ${m}\n`));
  }

  override async init(): Promise<void> {
    this.Message = await messageClass();
    await super.init();
  }

  override async handleShellMessage(sock: WireSocket, ...frames: Buffer[]): Promise<void> {
    let msg: WireMessage;
    try {
      msg = this.Message!.fromRaw(this.connInfo.key, frames);
    } catch (e) {
      this.log(`dropped a message that could not be read or verified: ${(e as Error).message}`);
      return;
    }
    if (sock === this.control) return this.dispatch(sock, msg, 0);
    const ticket = msg.header.msg_type === "execute_request" ? ++this.executesReceived : 0;
    const next = this.shellQueue.then(() => this.dispatch(sock, msg, ticket));
    this.shellQueue = next.catch(() => undefined);
    return next;
  }

  private send(sock: unknown, parent: WireMessage, type: string, content: Content): void {
    const m = parent.createReply();
    m.header.msg_type = type;
    m.content = content;
    m.signAndSend(this.connInfo.key, sock);
  }

  private async dispatch(sock: WireSocket, msg: WireMessage, ticket: number): Promise<void> {
    const type = msg.header.msg_type;
    let shutdown = false;
    this.publishStatus("busy", msg);
    try {
      switch (type) {
        case "kernel_info_request":
          this.send(sock, msg, "kernel_info_reply", { ...this.kernel.handleKernel(), status: "ok" });
          // The client is up: load the language service now, before its first cell arrives.
          setImmediate(() => void this.kernel.ready().catch((e: Error) => this.log(`cannot load the session: ${e.message}`)));
          break;
        case "execute_request":
          await this.execute(sock, msg, ticket);
          break;
        case "complete_request":
          await this.kernel.ready();
          this.handleComplete(sock, msg);
          break;
        case "inspect_request":
          await this.kernel.ready();
          this.handleInspect(sock, msg);
          break;
        case "is_complete_request":
          await this.kernel.ready();
          this.handleIsComplete(sock, msg);
          break;
        case "history_request":
          this.send(sock, msg, "history_reply", { status: "ok", history: this.history.query(msg.content as HistoryRequest) });
          break;
        case "comm_info_request":
          this.handleCommInfoRequest(sock, msg);
          break;
        case "interrupt_request":
          this.kernel.interrupt();
          this.send(sock, msg, "interrupt_reply", { status: "ok" });
          break;
        case "shutdown_request":
          this.handleShutdown(sock, msg);
          shutdown = true;
          break;
        default:
          this.log(`unsupported request ${type}: ignored`);
      }
    } catch (e) {
      this.log(`failed to answer ${type}: ${(e as Error).stack ?? String(e)}`);
      // A client waits for the reply: say what went wrong rather than leave it hanging.
      if (type.endsWith("_request")) {
        const evalue = e instanceof Error ? e.message : String(e);
        this.send(sock, msg, type.replace(/_request$/, "_reply"), { status: "error", ename: "KernelError", evalue, traceback: [`KernelError: ${evalue}`] });
      }
    } finally {
      this.publishStatus("idle", msg);
    }
    if (shutdown) this.shutdown();
  }

  /** tslab answers comm_info under the wrong message type; no comms are offered. */
  override handleCommInfoRequest(sock: unknown, msg: WireMessage): void {
    this.send(sock, msg, "comm_info_reply", { status: "ok", comms: {} });
  }

  private async execute(sock: WireSocket, msg: WireMessage, ticket: number): Promise<void> {
    const req = msg.content as ExecuteRequest;
    const silent = req.silent === true;
    const store = !silent && req.store_history !== false;
    if (ticket <= this.abortThrough) {
      // An earlier cell failed with stop_on_error: the cells queued behind it do not run.
      this.send(sock, msg, "execute_reply", { status: "aborted", execution_count: this.kernel.count });
      return;
    }
    const publish = (type: string, content: Content): void => {
      if (!silent) this.send(this.iopub, msg, type, content);
    };
    publish("execute_input", { code: req.code, execution_count: store ? this.kernel.count + 1 : this.kernel.count });
    let resultText: string | null = null;
    let count = 0;
    const data = (bundle: MimeBundle): Content => ({ ...bundle });
    const out: CellOutput = {
      stream: (name, text) => publish("stream", { name, text }),
      display: (bundle, target) =>
        publish(target?.update ? "update_display_data" : "display_data", {
          data: data(bundle),
          metadata: {},
          transient: target ? { display_id: target.id } : {},
        }),
      result: (bundle) => {
        resultText = bundle["text/plain"];
        publish("execute_result", { execution_count: count, data: data(bundle), metadata: {} });
      },
    };
    // The count is known before the cell runs; results published during the run need it.
    count = store ? this.kernel.count + 1 : this.kernel.count;
    const { outcome } = await this.kernel.run(req.code, out, store);
    if (store) this.history.add({ line: count, input: req.code, output: resultText });
    if (outcome.status === "error") {
      const { ename, evalue, traceback } = outcome.error;
      publish("error", { ename, evalue, traceback });
      this.send(sock, msg, "execute_reply", { status: "error", execution_count: count, ename, evalue, traceback });
      if (req.stop_on_error !== false) {
        // Let the socket hand over requests already sent (tslab reads one message per turn), then
        // abort every execute request received so far, as ipykernel flushes its queue.
        await new Promise((resolve) => setTimeout(resolve, ABORT_FLUSH_MS));
        this.abortThrough = this.executesReceived;
      }
      return;
    }
    const userExpressions: Content = {};
    for (const name of Object.keys((req.user_expressions ?? {}) as Content)) {
      userExpressions[name] = { status: "error", ename: "NotSupported", evalue: "user_expressions are not evaluated by the mergelang kernel", traceback: [] };
    }
    this.send(sock, msg, "execute_reply", { status: "ok", execution_count: count, payload: [], user_expressions: userExpressions });
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    // Give the reply and the idle status a moment to leave before the sockets close.
    setTimeout(() => {
      try {
        this.close();
      } finally {
        this.options.onShutdown?.();
      }
    }, 50);
  }
}
