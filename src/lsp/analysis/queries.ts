/** What the language server asks its analysis worker, and what each answer is (plain data). */
import type {
  CodeAction,
  Diagnostic as LspDiagnostic,
  DocumentHighlight,
  DocumentLink,
  DocumentSymbol,
  FoldingRange,
  Hover,
  InlayHint,
  Location,
  Range as LspRange,
  TextEdit,
  WorkspaceEdit,
} from "vscode-languageserver/node";
import type { Graph } from "../../graph/graph.js";
import type { InterferenceTarget } from "../interference.js";
import type { DryRunResponse } from "../protocol.js";
import type { RecipeFacts } from "../recipe-facts.js";

type None = Record<string, never>;

export interface QueryMap {
  diagnostics: { params: None; result: { diagnostics: LspDiagnostic[]; facts: RecipeFacts } };
  hover: { params: { offset: number }; result: Hover | null };
  definition: { params: { offset: number }; result: Location | null };
  references: { params: { offset: number; includeDeclaration: boolean }; result: Location[] };
  highlights: { params: { offset: number }; result: DocumentHighlight[] };
  prepareRename: { params: { offset: number }; result: { range: LspRange; placeholder: string } | null };
  rename: { params: { offset: number; newName: string }; result: WorkspaceEdit | null };
  symbols: { params: None; result: DocumentSymbol[] };
  folding: { params: None; result: FoldingRange[] };
  semanticTokens: { params: None; result: number[] };
  links: { params: None; result: DocumentLink[] };
  codeActions: { params: { range: LspRange }; result: CodeAction[] };
  inlayHints: { params: { range: LspRange }; result: InlayHint[] };
  targets: { params: None; result: InterferenceTarget[] };
  format: { params: None; result: TextEdit[] };
  /** The execution graph when the recipe can run, else why not. */
  runnable: { params: None; result: { graph: Graph | null; problem: string | null; file: string } };
  dryRun: { params: None; result: DryRunResponse };
  /** The recipe's text when its optimize(...) can run, else why not. */
  searchable: { params: None; result: { text: string; file: string; problem: string | null } };
}

export type QueryKind = keyof QueryMap;

export type ToAnalysis =
  | { type: "update"; uri: string; version: number; text: string }
  | { type: "close"; uri: string }
  | { type: "models-changed" }
  | { type: "query"; id: number; kind: QueryKind; uri: string; params: unknown };

export type FromAnalysis =
  | { type: "result"; id: number; result: unknown }
  /** `code` is set for protocol errors meant for the user (e.g. an invalid new name in a rename). */
  | { type: "error"; id: number; message: string; code?: number };
