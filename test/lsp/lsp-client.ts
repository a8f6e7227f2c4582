/**
 * A minimal editor for protocol tests: starts the real server binary (`node <build>/src/cli/main.js
 * lsp --stdio`, or any command line) and talks JSON-RPC to it over stdio with vscode-jsonrpc.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from "vscode-jsonrpc/node";
import type { Diagnostic, InitializeResult, Position, Range } from "vscode-languageserver/node";

/** The compiled CLI next to the compiled tests (dist/ in CI, .build/NAME/ locally). */
export const cliPath = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: Diagnostic[];
}

export interface StartOptions {
  /** Workspace folder. */
  root: string;
  /** Command line; default: node <cli> lsp --stdio. */
  command?: string[];
  capabilities?: Record<string, unknown>;
  initializationOptions?: unknown;
  /** Answers the server's workspace/configuration requests. */
  settings?: Record<string, unknown>;
}

const defaultCapabilities = {
  textDocument: {
    synchronization: { dynamicRegistration: false },
    completion: { completionItem: { snippetSupport: true } },
    hover: { contentFormat: ["markdown", "plaintext"] },
    publishDiagnostics: { relatedInformation: true, versionSupport: true },
    codeLens: {},
    inlayHint: {},
    semanticTokens: { requests: { full: true }, tokenTypes: [], tokenModifiers: [], formats: ["relative"] },
  },
  workspace: {
    configuration: true,
    didChangeWatchedFiles: { dynamicRegistration: true },
    codeLens: { refreshSupport: true },
  },
  window: { workDoneProgress: true },
};

export class LspClient {
  readonly published: PublishedDiagnostics[] = [];
  readonly progress: { token: string | number; value: unknown }[] = [];
  readonly registrations: { method: string; registerOptions?: unknown }[] = [];
  readonly logs: string[] = [];
  /** How many workspace/configuration requests the server made. */
  configurationRequests = 0;
  stderr = "";
  initializeResult!: InitializeResult;
  private readonly waiters: (() => void)[] = [];
  private versions = new Map<string, number>();
  private texts = new Map<string, string>();

  private constructor(
    readonly process: ChildProcess,
    readonly connection: MessageConnection,
  ) {}

  static async start(options: StartOptions): Promise<LspClient> {
    const [cmd, ...args] = options.command ?? [process.execPath, cliPath, "lsp", "--stdio"];
    const child = spawn(cmd!, args, { cwd: options.root, stdio: ["pipe", "pipe", "pipe"] });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspClient(child, connection);
    child.stderr!.on("data", (d: Buffer) => (client.stderr += d.toString()));
    connection.onNotification("textDocument/publishDiagnostics", (p: PublishedDiagnostics) => {
      client.published.push(p);
      client.wake();
    });
    connection.onNotification("window/logMessage", (p: { message: string }) => {
      client.logs.push(p.message);
    });
    connection.onNotification("$/progress", (p: { token: string | number; value: unknown }) => {
      client.progress.push(p);
      client.wake();
    });
    connection.onRequest("window/workDoneProgress/create", () => null);
    connection.onRequest("client/registerCapability", (p: { registrations: { method: string; registerOptions?: unknown }[] }) => {
      client.registrations.push(...p.registrations);
      client.wake();
      return null;
    });
    connection.onRequest("workspace/configuration", (p: { items: { section?: string }[] }) => {
      client.configurationRequests++;
      client.wake();
      return p.items.map((i) => (i.section === "mergelang" ? (options.settings ?? {}) : null));
    });
    connection.onRequest("workspace/codeLens/refresh", () => {
      client.logs.push("codeLens/refresh");
      return null;
    });
    connection.listen();
    client.initializeResult = await connection.sendRequest("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(options.root).href,
      workspaceFolders: [{ uri: pathToFileURL(options.root).href, name: "test" }],
      capabilities: options.capabilities ?? defaultCapabilities,
      initializationOptions: options.initializationOptions,
    });
    await connection.sendNotification("initialized", {});
    return client;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `ready()` holds, re-checked on every message from the server. */
  async until<T>(ready: () => T | undefined | null | false, what: string, timeoutMs = 20000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = ready();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; server stderr: ${this.stderr.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async open(path: string, text = readFileSync(path, "utf8")): Promise<string> {
    const uri = pathToFileURL(path).href;
    this.versions.set(uri, 1);
    this.texts.set(uri, text);
    await this.connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "mergelang", version: 1, text } });
    return uri;
  }

  /** An incremental edit: replace `range` with `text`. */
  async edit(uri: string, range: Range, text: string): Promise<number> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    const old = this.texts.get(uri) ?? "";
    this.texts.set(uri, applyEdit(old, range, text));
    await this.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ range, text }] });
    return version;
  }

  /** The document's current version (as this client last sent it). */
  version(uri: string): number {
    return this.versions.get(uri) ?? 0;
  }

  text(uri: string): string {
    return this.texts.get(uri) ?? "";
  }

  /** The diagnostics published for `uri` at `version` (or the latest, when no version is given). */
  diagnosticsFor(uri: string, version?: number): Promise<Diagnostic[]> {
    return this.until(() => {
      for (let i = this.published.length - 1; i >= 0; i--) {
        const p = this.published[i]!;
        if (p.uri === uri && (version === undefined || p.version === version)) return p.diagnostics;
      }
      return undefined;
    }, `diagnostics for ${uri}${version === undefined ? "" : ` v${version}`}`);
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest("shutdown"), new Promise((r) => setTimeout(r, 3000))]);
      await this.connection.sendNotification("exit");
    } catch {
      // the server is gone already
    }
    const exited = new Promise<void>((resolve) => {
      if (this.process.exitCode !== null) resolve();
      else this.process.once("exit", () => resolve());
    });
    const timer = setTimeout(() => this.process.kill(), 3000);
    await exited;
    clearTimeout(timer);
    this.connection.dispose();
  }
}

/** Position of the first occurrence of `needle` in `text` (plus `delta` characters). */
export function positionOf(text: string, needle: string, delta = 0, occurrence = 0): Position {
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`'${needle}' (occurrence ${occurrence}) is not in the text`);
  }
  return positionAtOffset(text, at + delta);
}

export function positionAtOffset(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}

export function offsetAt(text: string, p: Position): number {
  let offset = 0;
  for (let l = 0; l < p.line; l++) offset = text.indexOf("\n", offset) + 1;
  return offset + p.character;
}

export function applyEdit(text: string, range: Range, newText: string): string {
  return text.slice(0, offsetAt(text, range.start)) + newText + text.slice(offsetAt(text, range.end));
}
