/**
 * The mergelang language server: wires the language service to the protocol. Every handler is
 * guarded (a broken document or a bug answers with an empty result and a log line, never a crash);
 * diagnostics are recomputed shortly after each edit; interference estimates run in a worker.
 */
import { cwd } from "node:process";
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
import { codeLenses, resolveLens, targetAt, type LensData } from "./code-lens.js";
import { dryRun, inspect, runRecipe, type CommandContext } from "./commands.js";
import { complete } from "./completion.js";
import { toLspDiagnostic, uriToPath } from "./convert.js";
import { formatDocument, quickFixes } from "./edits.js";
import { HoverProvider } from "./hover.js";
import { inlayHints } from "./inlay-hints.js";
import { InterferenceEstimates } from "./interference.js";
import { JobRunner } from "./jobs/job-runner.js";
import { documentLinks } from "./links.js";
import { definition, highlights, prepareRename, references, rename } from "./navigation.js";
import { documentSymbols, foldingRanges } from "./outline.js";
import {
  defaultSettings,
  DRY_RUN_REQUEST,
  INSPECT_REQUEST,
  readSettings,
  RUN_REQUEST,
  type InspectParams,
  type MergelangSettings,
  type RecipeParams,
} from "./protocol.js";
import { RecipeStore } from "./recipes.js";
import { semanticLegend, semanticTokens } from "./semantic-tokens.js";
import { signatureHelp } from "./signature-help.js";

export interface ServerOptions {
  /** The job worker's script (`jobs/worker.js`, or the bundled `worker.cjs`). */
  workerScript: string;
  /** Delay between an edit and its diagnostics, so that fast typing checks once (ms). */
  diagnosticsDelayMs?: number;
}

/** Files whose change can change a model's header. */
const MODEL_GLOBS = ["**/*.safetensors", "**/model.safetensors.index.json", "**/config.json"];

export function startServer(connection: Connection, options: ServerOptions): void {
  const documents = new TextDocuments(TextDocument);
  let workspaceRoot: string | null = null;
  const store = new RecipeStore(() => workspaceRoot ?? cwd());
  const inspections = new JobRunner(options.workerScript);
  const runs = new JobRunner(options.workerScript, { hardCancelAfterMs: 5000 });
  const estimates = new InterferenceEstimates(inspections, store.headers);
  const hovers = new HoverProvider(store.headers);
  let settings: MergelangSettings = defaultSettings;
  let client: ClientCapabilities = {};
  const delay = options.diagnosticsDelayMs ?? 25;
  const timers = new Map<string, NodeJS.Timeout>();
  const commands: CommandContext = { connection, store, runs, estimates, settings: () => settings };

  const log = (message: string): void => connection.console.error(message);

  /** Runs `fn`, answering `fallback` (and logging) if it throws; protocol errors pass through. */
  const guard = <T>(name: string, fallback: T, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ResponseError) throw e;
      log(`mergelang: ${name} failed: ${(e as Error)?.stack ?? String(e)}`);
      return fallback;
    }
  };
  const guardAsync = async <T>(name: string, fallback: T, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ResponseError) throw e;
      log(`mergelang: ${name} failed: ${(e as Error)?.stack ?? String(e)}`);
      return fallback;
    }
  };

  const publish = (doc: TextDocument): void =>
    guard("diagnostics", undefined, () => {
      if (!documents.get(doc.uri)) return;
      const checked = store.check(doc);
      void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: checked.diagnostics.map((d) => toLspDiagnostic(d, doc.uri)) });
    });

  const schedule = (doc: TextDocument, ms: number): void => {
    clearTimeout(timers.get(doc.uri));
    timers.set(
      doc.uri,
      setTimeout(() => {
        timers.delete(doc.uri);
        const current = documents.get(doc.uri);
        if (current) publish(current);
      }, ms),
    );
  };

  /** After model files change: every open recipe is checked again and the editor asked to refresh. */
  const modelsChanged = (): void => {
    store.modelsChanged();
    estimates.clear();
    for (const doc of documents.all()) publish(doc);
    const ws = client.workspace;
    if (ws?.codeLens?.refreshSupport) void connection.sendRequest("workspace/codeLens/refresh").catch(() => undefined);
    if (ws?.inlayHint?.refreshSupport) void connection.languages.inlayHint.refresh().catch(() => undefined);
    if (ws?.semanticTokens?.refreshSupport) connection.languages.semanticTokens.refresh();
  };

  const fetchSettings = async (): Promise<void> => {
    if (!client.workspace?.configuration) return;
    const raw: unknown = await connection.workspace.getConfiguration("mergelang").catch(() => undefined);
    if (raw !== undefined && raw !== null) settings = readSettings(raw);
  };

  connection.onInitialize((params): InitializeResult => {
    client = params.capabilities;
    const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? null;
    workspaceRoot = folder ? uriToPath(folder, cwd()) : params.rootPath ?? null;
    const init = params.initializationOptions as { settings?: unknown } | undefined;
    if (init?.settings) settings = readSettings(init.settings);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        completionProvider: { triggerCharacters: [" ", "(", ",", "{", ":", '"', "/", "."], resolveProvider: false },
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

  documents.onDidOpen((e) => publish(e.document));
  documents.onDidChangeContent((e) => schedule(e.document, delay));
  documents.onDidClose((e) =>
    guard("close", undefined, () => {
      clearTimeout(timers.get(e.document.uri));
      timers.delete(e.document.uri);
      store.forget(e.document.uri);
      void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
    }),
  );

  /** The open document, checked at its current version. */
  const checkedAt = (uri: string) => {
    const doc = documents.get(uri);
    return doc ? { doc, checked: store.check(doc) } : null;
  };

  connection.onCompletion((p) =>
    guard("completion", [], () => {
      const doc = documents.get(p.textDocument.uri);
      if (!doc) return [];
      return complete({
        text: doc.getText(),
        offset: doc.offsetAt(p.position),
        positionAt: (o) => doc.positionAt(o),
        recipeDir: store.folder(doc.uri),
        last: store.last(doc.uri),
        ...(p.context?.triggerCharacter ? { triggerCharacter: p.context.triggerCharacter } : {}),
      });
    }),
  );

  connection.onHover((p) =>
    guard("hover", null, () => {
      const at = checkedAt(p.textDocument.uri);
      return at ? hovers.hover(at.checked, at.doc.offsetAt(p.position)) : null;
    }),
  );

  connection.onSignatureHelp((p) =>
    guard("signature help", null, () => {
      const doc = documents.get(p.textDocument.uri);
      return doc ? signatureHelp(doc.getText(), doc.offsetAt(p.position)) : null;
    }),
  );

  connection.onDefinition((p) =>
    guard("definition", null, () => {
      const at = checkedAt(p.textDocument.uri);
      return at ? definition(at.checked.analysis, at.doc.offsetAt(p.position), p.textDocument.uri) : null;
    }),
  );

  connection.onReferences((p) =>
    guard("references", [], () => {
      const at = checkedAt(p.textDocument.uri);
      return at ? references(at.checked.analysis, at.doc.offsetAt(p.position), p.textDocument.uri, p.context.includeDeclaration) : [];
    }),
  );

  connection.onDocumentHighlight((p) =>
    guard("highlight", [], () => {
      const at = checkedAt(p.textDocument.uri);
      return at ? highlights(at.checked.analysis, at.doc.offsetAt(p.position)) : [];
    }),
  );

  connection.onPrepareRename((p) =>
    guard("prepare rename", null, () => {
      const at = checkedAt(p.textDocument.uri);
      return at ? prepareRename(at.checked.analysis, at.doc.offsetAt(p.position)) : null;
    }),
  );

  connection.onRenameRequest((p) =>
    guard("rename", null, () => {
      const at = checkedAt(p.textDocument.uri);
      return at ? rename(at.checked.analysis, at.doc.offsetAt(p.position), p.newName, p.textDocument.uri) : null;
    }),
  );

  connection.onDocumentSymbol((p) =>
    guard("document symbols", [], () => {
      const at = checkedAt(p.textDocument.uri);
      return at ? documentSymbols(at.checked.analysis) : [];
    }),
  );

  connection.onFoldingRanges((p) =>
    guard("folding ranges", [], () => {
      const at = checkedAt(p.textDocument.uri);
      return at ? foldingRanges(at.checked.parse.program) : [];
    }),
  );

  connection.languages.semanticTokens.on((p) =>
    guard("semantic tokens", { data: [] as number[] }, () => {
      const at = checkedAt(p.textDocument.uri);
      return { data: at ? semanticTokens(at.checked.parse, at.checked.analysis) : [] };
    }),
  );

  connection.onDocumentFormatting((p) =>
    guard("formatting", [], () => {
      const doc = documents.get(p.textDocument.uri);
      return doc ? formatDocument(doc) : [];
    }),
  );

  connection.onDocumentLinks((p) =>
    guard("document links", [], () => {
      const at = checkedAt(p.textDocument.uri);
      return at ? documentLinks(at.checked.parse.program, store.folder(p.textDocument.uri)) : [];
    }),
  );

  connection.onCodeAction((p) =>
    guard("code actions", [], () => {
      const at = checkedAt(p.textDocument.uri);
      return at ? quickFixes(at.checked, p.textDocument.uri, p.range) : [];
    }),
  );

  connection.onCodeLens((p) =>
    guard("code lenses", [], () => {
      const at = checkedAt(p.textDocument.uri);
      return at && settings.codeLens ? codeLenses(at.checked.analysis, p.textDocument.uri) : [];
    }),
  );

  connection.onCodeLensResolve((lens) =>
    guardAsync("code lens", { ...lens, command: { title: "interference unavailable", command: "" } }, async () => {
      const data = lens.data as LensData;
      const at = checkedAt(data.uri);
      return resolveLens(lens, at ? targetAt(at.checked.analysis, data.offset) : null, estimates);
    }),
  );

  connection.languages.inlayHint.on((p) =>
    guard("inlay hints", [], () => {
      const at = checkedAt(p.textDocument.uri);
      return at && settings.inlayHints ? inlayHints(at.checked.analysis, p.range) : [];
    }),
  );

  const openDoc = (uri: string): TextDocument => {
    const doc = documents.get(uri);
    if (!doc) throw new ResponseError(-32602, `${uri} is not open in the editor`);
    return doc;
  };

  connection.onRequest(RUN_REQUEST, (p: RecipeParams, token: CancellationToken) =>
    guardAsync("run", { ok: false, cancelled: false, message: "the run failed unexpectedly (see the server log)", output: [], saved: [] }, () =>
      runRecipe(commands, openDoc(p.uri), token),
    ),
  );

  connection.onRequest(DRY_RUN_REQUEST, (p: RecipeParams) =>
    guard("dry run", { ok: false, message: "the dry run failed unexpectedly (see the server log)", plan: "" }, () => dryRun(commands, openDoc(p.uri))),
  );

  connection.onRequest(INSPECT_REQUEST, (p: InspectParams, token: CancellationToken) =>
    guardAsync("inspect", { ok: false, message: "the inspection failed unexpectedly (see the server log)", title: "", html: "", summary: "" }, () =>
      inspect(commands, openDoc(p.uri), p.position, token),
    ),
  );

  connection.onShutdown(async () => {
    for (const t of timers.values()) clearTimeout(t);
    await Promise.all([inspections.dispose(), runs.dispose()]);
  });

  documents.listen(connection);
  connection.listen();
}

