/**
 * The mergelang language server: wires the language service to the protocol.
 *  - The main thread keeps the documents and answers what must be instant: completion and signature
 *    help (they parse only the statement at the cursor).
 *  - The analysis worker checks each version once and answers everything that needs the checked
 *    recipe; the job worker computes interference reports and runs recipes.
 * Every handler is guarded: a broken document or a bug answers an empty result and logs, never crashes.
 */
import { HeaderCache } from "../io/header-cache.js";
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type CancellationToken,
  type ClientCapabilities,
  type Connection,
  type InitializeResult,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { AnalysisHost } from "./analysis/analysis-host.js";
import type { QueryKind, QueryMap } from "./analysis/queries.js";
import { codeLenses, resolveLens, type LensData } from "./code-lens.js";
import { inspect, runRecipe, searchRecipe, type CommandContext } from "./commands.js";
import { complete, resolveCompletion } from "./completion.js";
import { folderPath, uriToPath } from "./convert.js";
import { InterferenceEstimates } from "./interference.js";
import { JobRunner } from "./jobs/job-runner.js";
import {
  defaultSettings,
  DRY_RUN_REQUEST,
  INSPECT_REQUEST,
  readSettings,
  RUN_REQUEST,
  SEARCH_REQUEST,
  type InspectParams,
  type MergelangSettings,
  type RecipeParams,
} from "./protocol.js";
import { noFacts, type RecipeFacts } from "./recipe-facts.js";
import { semanticLegend } from "./semantic-tokens.js";
import { signatureHelp } from "./signature-help.js";
import { dirname } from "node:path";

export interface ServerOptions {
  /** The worker script (`worker.js`, or the bundled `worker.cjs`). */
  workerScript: string;
  /** Delay between an edit and its diagnostics, so that fast typing checks once (ms). */
  diagnosticsDelayMs?: number;
}

/** Files whose change can change a model's header. */
const MODEL_GLOBS = ["**/*.safetensors", "**/model.safetensors.index.json", "**/config.json"];

export function startServer(connection: Connection, options: ServerOptions): void {
  const documents = new TextDocuments(TextDocument);
  let workspaceRoot: string | null = null;
  const root = (): string => workspaceRoot ?? process.cwd();
  const log = (message: string): void => connection.console.error(message);
  const analysis = new AnalysisHost(options.workerScript, root, log);
  const inspections = new JobRunner(options.workerScript);
  const runs = new JobRunner(options.workerScript, { hardCancelAfterMs: 5000 });
  const estimates = new InterferenceEstimates(inspections, new HeaderCache());
  let settings: MergelangSettings = defaultSettings;
  let client: ClientCapabilities = {};
  const delay = options.diagnosticsDelayMs ?? 25;
  const timers = new Map<string, NodeJS.Timeout>();
  /** Per document, what completion knows from its last check. */
  const facts = new Map<string, RecipeFacts>();
  const commands: CommandContext = { connection, analysis, runs, estimates, settings: () => settings };

  const failed = (name: string, e: unknown): void => {
    if (e instanceof ResponseError) throw e;
    log(`mergelang: ${name} failed: ${(e as Error)?.stack ?? String(e)}`);
  };
  /** Runs `fn`, answering `fallback` (and logging) if it throws; protocol errors pass through. */
  const guard = <T>(name: string, fallback: T, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      failed(name, e);
      return fallback;
    }
  };
  const guardAsync = async <T>(name: string, fallback: T, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      failed(name, e);
      return fallback;
    }
  };
  /** A query about an open document; `fallback` when it is not open. */
  const ask = <K extends QueryKind>(kind: K, uri: string, params: QueryMap[K]["params"], fallback: QueryMap[K]["result"]): Promise<QueryMap[K]["result"]> =>
    guardAsync(kind, fallback, async () => (documents.get(uri) ? analysis.query(kind, uri, params) : fallback));

  /** Documents whose diagnostics are being computed, and those edited meanwhile (computed once more after). */
  const computing = new Set<string>();
  const stale = new Set<string>();

  const publish = async (uri: string): Promise<void> => {
    if (!documents.get(uri)) return;
    // One check per document at a time: while typing outpaces checking, the worker never falls behind.
    if (computing.has(uri)) {
      stale.add(uri);
      return;
    }
    computing.add(uri);
    try {
      const version = documents.get(uri)!.version;
      const result = await guardAsync("diagnostics", null, () => analysis.query("diagnostics", uri, {}));
      if (!result) return;
      facts.set(uri, result.facts);
      // A newer version has its own diagnostics coming; an older answer would flicker.
      if (documents.get(uri)?.version === version) void connection.sendDiagnostics({ uri, version, diagnostics: result.diagnostics });
      else stale.add(uri);
    } finally {
      computing.delete(uri);
      if (stale.delete(uri)) void publish(uri);
    }
  };

  const schedule = (uri: string): void => {
    clearTimeout(timers.get(uri));
    timers.set(
      uri,
      setTimeout(() => {
        timers.delete(uri);
        void publish(uri);
      }, delay),
    );
  };

  /** After model files change: every open recipe is checked again and the editor asked to refresh. */
  const modelsChanged = (): void => {
    analysis.modelsChanged();
    estimates.clear();
    for (const doc of documents.all()) void publish(doc.uri);
    const ws = client.workspace;
    if (ws?.codeLens?.refreshSupport) void connection.sendRequest("workspace/codeLens/refresh").catch(() => undefined);
    if (ws?.inlayHint?.refreshSupport) void connection.languages.inlayHint.refresh().catch(() => undefined);
    if (ws?.semanticTokens?.refreshSupport) void Promise.resolve(connection.languages.semanticTokens.refresh()).catch(() => undefined);
  };

  const fetchSettings = async (): Promise<void> => {
    if (!client.workspace?.configuration) return;
    const raw: unknown = await connection.workspace.getConfiguration("mergelang").catch(() => undefined);
    if (raw !== undefined && raw !== null) settings = readSettings(raw);
  };

  connection.onInitialize((params): InitializeResult => {
    client = params.capabilities;
    const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? null;
    workspaceRoot = folder ? folderPath(folder) : (params.rootPath ?? null);
    const init = params.initializationOptions as { settings?: unknown } | undefined;
    if (init?.settings) settings = readSettings(init.settings);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        completionProvider: { triggerCharacters: [" ", "(", ",", "{", ":", '"', "/", "."], resolveProvider: true },
        hoverProvider: true,
        signatureHelpProvider: { triggerCharacters: ["(", ","], retriggerCharacters: [":", " "] },
        definitionProvider: true,
        referencesProvider: true,
        documentHighlightProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        foldingRangeProvider: true,
        semanticTokensProvider: { legend: semanticLegend, full: true },
        documentFormattingProvider: true,
        documentLinkProvider: { resolveProvider: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        codeLensProvider: { resolveProvider: true },
        inlayHintProvider: { resolveProvider: false },
      },
      serverInfo: { name: "mergelang" },
    };
  });

  connection.onInitialized(() => {
    void guardAsync("initialized", undefined, async () => {
      if (client.workspace?.didChangeWatchedFiles?.dynamicRegistration) {
        await connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: MODEL_GLOBS.map((globPattern) => ({ globPattern })) });
      }
      if (client.workspace?.didChangeConfiguration?.dynamicRegistration) {
        await connection.client.register(DidChangeConfigurationNotification.type, { section: "mergelang" });
      }
      await fetchSettings();
    });
  });

  connection.onDidChangeConfiguration((change) => {
    void guardAsync("configuration", undefined, async () => {
      const pushed = (change.settings as { mergelang?: unknown } | null)?.mergelang;
      if (pushed) settings = readSettings(pushed);
      else await fetchSettings();
    });
  });

  connection.onDidChangeWatchedFiles(() => guard("watched files", undefined, modelsChanged));

  documents.onDidOpen((e) =>
    guard("open", undefined, () => {
      analysis.update(e.document.uri, e.document.version, e.document.getText());
      void publish(e.document.uri);
    }),
  );
  documents.onDidChangeContent((e) =>
    guard("change", undefined, () => {
      analysis.update(e.document.uri, e.document.version, e.document.getText());
      schedule(e.document.uri);
    }),
  );
  documents.onDidClose((e) =>
    guard("close", undefined, () => {
      const uri = e.document.uri;
      clearTimeout(timers.get(uri));
      timers.delete(uri);
      facts.delete(uri);
      analysis.close(uri);
      void connection.sendDiagnostics({ uri, diagnostics: [] });
    }),
  );

  const offsetOf = (uri: string, position: { line: number; character: number }): number => documents.get(uri)?.offsetAt(position) ?? 0;

  connection.onCompletion((p) =>
    guard("completion", [], () => {
      const doc = documents.get(p.textDocument.uri);
      if (!doc) return [];
      return complete({
        text: doc.getText(),
        offset: doc.offsetAt(p.position),
        positionAt: (o) => doc.positionAt(o),
        recipeDir: dirname(uriToPath(doc.uri, root())),
        facts: facts.get(doc.uri) ?? noFacts,
        ...(p.context?.triggerCharacter ? { triggerCharacter: p.context.triggerCharacter } : {}),
      });
    }),
  );

  connection.onCompletionResolve((item) => guard("completion resolve", item, () => resolveCompletion(item)));

  connection.onSignatureHelp((p) =>
    guard("signature help", null, () => {
      const doc = documents.get(p.textDocument.uri);
      return doc ? signatureHelp(doc.getText(), doc.offsetAt(p.position)) : null;
    }),
  );

  const at = (p: { textDocument: { uri: string }; position: { line: number; character: number } }) => ({ offset: offsetOf(p.textDocument.uri, p.position) });

  connection.onHover((p) => ask("hover", p.textDocument.uri, at(p), null));
  connection.onDefinition((p) => ask("definition", p.textDocument.uri, at(p), null));
  connection.onReferences((p) => ask("references", p.textDocument.uri, { ...at(p), includeDeclaration: p.context.includeDeclaration }, []));
  connection.onDocumentHighlight((p) => ask("highlights", p.textDocument.uri, at(p), []));
  connection.onPrepareRename((p) => ask("prepareRename", p.textDocument.uri, at(p), null));
  connection.onRenameRequest((p) => ask("rename", p.textDocument.uri, { ...at(p), newName: p.newName }, null));
  connection.onDocumentSymbol((p) => ask("symbols", p.textDocument.uri, {}, []));
  connection.onFoldingRanges((p) => ask("folding", p.textDocument.uri, {}, []));
  connection.languages.semanticTokens.on(async (p) => ({ data: await ask("semanticTokens", p.textDocument.uri, {}, []) }));
  connection.onDocumentFormatting((p) => ask("format", p.textDocument.uri, {}, []));
  connection.onDocumentLinks((p) => ask("links", p.textDocument.uri, {}, []));
  connection.onCodeAction((p) => ask("codeActions", p.textDocument.uri, { range: p.range }, []));
  connection.languages.inlayHint.on((p) => (settings.inlayHints ? ask("inlayHints", p.textDocument.uri, { range: p.range }, []) : []));

  connection.onCodeLens(async (p) => (settings.codeLens ? codeLenses(await ask("targets", p.textDocument.uri, {}, []), p.textDocument.uri) : []));
  connection.onCodeLensResolve((lens) =>
    guardAsync("code lens", { ...lens, command: { title: "interference unavailable", command: "" } }, async () => {
      const data = lens.data as LensData;
      const targets = await ask("targets", data.uri, {}, []);
      return resolveLens(lens, targets.find((t) => t.offset === data.offset) ?? null, estimates);
    }),
  );

  const requireOpen = (uri: string): void => {
    if (!documents.get(uri)) throw new ResponseError(-32602, `${uri} is not open in the editor`);
  };

  connection.onRequest(RUN_REQUEST, (p: RecipeParams, token: CancellationToken) =>
    guardAsync("run", { ok: false, cancelled: false, message: "the run failed unexpectedly (see the server log)", output: [], saved: [] }, () => {
      requireOpen(p.uri);
      return runRecipe(commands, p.uri, token, p.workDoneToken);
    }),
  );

  connection.onRequest(SEARCH_REQUEST, (p: RecipeParams, token: CancellationToken) =>
    guardAsync("search", { ok: false, cancelled: false, message: "the search failed unexpectedly (see the server log)", output: [], bestRecipe: null }, () => {
      requireOpen(p.uri);
      return searchRecipe(commands, p.uri, token, p.workDoneToken);
    }),
  );

  connection.onRequest(DRY_RUN_REQUEST, (p: RecipeParams) =>
    guardAsync("dry run", { ok: false, message: "the dry run failed unexpectedly (see the server log)", plan: "" }, () => {
      requireOpen(p.uri);
      return analysis.query("dryRun", p.uri, {});
    }),
  );

  connection.onRequest(INSPECT_REQUEST, (p: InspectParams, token: CancellationToken) =>
    guardAsync("inspect", { ok: false, message: "the inspection failed unexpectedly (see the server log)", title: "", html: "", summary: "" }, () => {
      requireOpen(p.uri);
      return inspect(commands, p.uri, p.position, p.position ? offsetOf(p.uri, p.position) : -1, token, p.workDoneToken, p.fallbackToFirst === true);
    }),
  );

  connection.onShutdown(async () => {
    for (const t of timers.values()) clearTimeout(t);
    await Promise.all([analysis.dispose(), inspections.dispose(), runs.dispose()]);
  });

  documents.listen(connection);
  connection.listen();
}
