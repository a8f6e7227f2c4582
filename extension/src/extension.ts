/**
 * The VS Code client: starts the bundled language server and forwards the commands to it. Everything
 * about recipes happens in the server; this file only shows progress, output and the webview.
 */
import { basename } from "node:path";
import * as vscode from "vscode";
import { LanguageClient, TransportKind, WorkDoneProgress, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";
import {
  DRY_RUN_REQUEST,
  INSPECT_REQUEST,
  RUN_REQUEST,
  SEARCH_REQUEST,
  type DryRunResponse,
  type InspectParams,
  type InspectResponse,
  type RunResponse,
  type SearchResponse,
} from "../../src/lsp/protocol.js";
import { InspectPanel } from "./inspect-panel.js";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;
let nextToken = 1;

function settingsObject(): unknown {
  return JSON.parse(JSON.stringify(vscode.workspace.getConfiguration("mergelang")));
}

function createClient(context: vscode.ExtensionContext): LanguageClient {
  const module = context.asAbsolutePath("dist/server.cjs");
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.stdio },
    debug: { module, transport: TransportKind.stdio, options: { execArgv: ["--nolazy", "--inspect=6011"] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { language: "mergelang", scheme: "file" },
      { language: "mergelang", scheme: "untitled" },
    ],
    initializationOptions: { settings: settingsObject() },
    synchronize: { configurationSection: "mergelang" },
  };
  return new LanguageClient("mergelang", "mergelang language server", serverOptions, clientOptions);
}

/** The recipe a command is about: the one it was invoked on, else the active editor's. */
async function recipeDocument(uri?: vscode.Uri | string): Promise<vscode.TextDocument | undefined> {
  if (uri) return vscode.workspace.openTextDocument(typeof uri === "string" ? vscode.Uri.parse(uri) : uri);
  const doc = vscode.window.activeTextEditor?.document;
  if (doc?.languageId === "mergelang") return doc;
  void vscode.window.showErrorMessage("mergelang: open a .merge recipe first");
  return undefined;
}

/** Runs `request` with a notification that shows the server's progress and can cancel it. */
function withServerProgress<T>(title: string, request: (workDoneToken: string, token: vscode.CancellationToken) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const workDoneToken = `mergelang-${process.pid}-${nextToken++}`;
    let shown = 0;
    const sub = client!.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
      if (value.kind === "end") return;
      const percentage = value.percentage ?? shown;
      progress.report({ ...(value.message ? { message: value.message } : {}), increment: Math.max(0, percentage - shown) });
      shown = Math.max(shown, percentage);
    });
    try {
      return await request(workDoneToken, token);
    } finally {
      sub.dispose();
    }
  });
}

async function runRecipe(uri?: vscode.Uri): Promise<void> {
  const doc = await recipeDocument(uri);
  if (!doc || !client) return;
  const name = basename(doc.uri.fsPath);
  const result = await withServerProgress(`mergelang: running ${name}`, (workDoneToken, token) =>
    client!.sendRequest<RunResponse>(RUN_REQUEST, { uri: doc.uri.toString(), workDoneToken }, token),
  );
  output!.appendLine(`── run ${name} ──`);
  for (const text of result.output) output!.appendLine(text);
  for (const s of result.saved) output!.appendLine(`wrote ${s.path}: ${s.tensors} tensors, ${s.files.length} file${s.files.length === 1 ? "" : "s"}`);
  if (result.output.length) output!.show(true);
  if (result.ok) void vscode.window.showInformationMessage(`mergelang: ${result.message}`);
  else if (result.cancelled) void vscode.window.showWarningMessage(`mergelang: ${result.message}`);
  else void vscode.window.showErrorMessage(`mergelang: ${result.message}`);
}

/** optimize(...): progress (best so far) in a notification, the live table in the output channel. */
async function searchRecipe(uri?: vscode.Uri): Promise<void> {
  const doc = await recipeDocument(uri);
  if (!doc || !client) return;
  if (doc.isDirty) await doc.save();
  const name = basename(doc.uri.fsPath);
  output!.appendLine(`── search ${name} ──`);
  output!.show(true);
  const result = await withServerProgress(`mergelang: searching ${name}`, (workDoneToken, token) =>
    client!.sendRequest<SearchResponse>(SEARCH_REQUEST, { uri: doc.uri.toString(), workDoneToken }, token),
  );
  for (const text of result.output) output!.appendLine(text);
  if (result.ok) {
    output!.appendLine(result.message);
    const open = await vscode.window.showInformationMessage(`mergelang: ${result.message}`, "Open best recipe");
    if (open && result.bestRecipe) await vscode.window.showTextDocument(vscode.Uri.file(result.bestRecipe));
  } else if (result.cancelled) void vscode.window.showWarningMessage(`mergelang: ${result.message}`);
  else void vscode.window.showErrorMessage(`mergelang: ${result.message}`);
}

async function dryRun(uri?: vscode.Uri): Promise<void> {
  const doc = await recipeDocument(uri);
  if (!doc || !client) return;
  const result = await client.sendRequest<DryRunResponse>(DRY_RUN_REQUEST, { uri: doc.uri.toString() });
  if (!result.ok) {
    void vscode.window.showErrorMessage(`mergelang: ${result.message}`);
    return;
  }
  output!.appendLine(`── dry run ${basename(doc.uri.fsPath)} ──`);
  output!.appendLine(result.plan);
  output!.show(true);
  void vscode.window.showInformationMessage(`mergelang: ${result.message}`);
}

/** From a code lens: (uri, position of the call). From the palette: the call at the cursor, else the first. */
async function inspectInterference(uri?: vscode.Uri | string, position?: { line: number; character: number }): Promise<void> {
  const doc = await recipeDocument(uri);
  if (!doc || !client) return;
  const editor = vscode.window.activeTextEditor;
  const at = position ?? (editor?.document === doc ? { line: editor.selection.active.line, character: editor.selection.active.character } : undefined);
  const result = await withServerProgress("mergelang: measuring interference", (workDoneToken, token) => {
    const params: InspectParams = { uri: doc.uri.toString(), workDoneToken, ...(at ? { position: at } : {}), fallbackToFirst: position === undefined };
    return client!.sendRequest<InspectResponse>(INSPECT_REQUEST, params, token);
  });
  if (!result.ok) {
    void vscode.window.showErrorMessage(`mergelang: ${result.message}`);
    return;
  }
  InspectPanel.show(result.title, result.html);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("mergelang");
  client = createClient(context);
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("mergelang.runRecipe", runRecipe),
    vscode.commands.registerCommand("mergelang.dryRun", dryRun),
    vscode.commands.registerCommand("mergelang.searchRecipe", searchRecipe),
    vscode.commands.registerCommand("mergelang.inspectInterference", inspectInterference),
    vscode.commands.registerCommand("mergelang.formatRecipe", () => vscode.commands.executeCommand("editor.action.formatDocument")),
    vscode.commands.registerCommand("mergelang.restartServer", () => client?.restart()),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
