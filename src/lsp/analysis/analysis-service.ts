/**
 * The analysis side of the server: the open documents' texts, each checked once per version, and
 * every feature that needs the checked recipe (diagnostics, hover, navigation, outline, tokens,
 * links, fixes, lenses, hints, formatting, run plans). Runs in the analysis worker.
 */
import { basename } from "node:path";
import { TextDocument } from "vscode-languageserver-textdocument";
import { describePlan } from "../../cli/plan-output.js";
import { planGraph } from "../../engine/index.js";
import type { CheckedRecipe } from "../../language/service.js";
import { toLspDiagnostic } from "../convert.js";
import { formatDocument, quickFixes } from "../edits.js";
import { HoverProvider } from "../hover.js";
import { inlayHints } from "../inlay-hints.js";
import { interferenceTargets } from "../interference.js";
import { documentLinks } from "../links.js";
import { definition, highlights, prepareRename, references, rename } from "../navigation.js";
import { documentSymbols, foldingRanges } from "../outline.js";
import { RecipeStore } from "../recipes.js";
import { recipeFacts } from "../recipe-facts.js";
import { semanticTokens } from "../semantic-tokens.js";
import type { QueryKind, QueryMap } from "./queries.js";

/** Answers that need the checked recipe (formatting parses on its own). */
type Answers = { [K in Exclude<QueryKind, "format">]: (c: CheckedRecipe, doc: TextDocument, params: QueryMap[K]["params"]) => QueryMap[K]["result"] };

/** Why a recipe cannot run, or null. */
function notRunnable(checked: CheckedRecipe): string | null {
  const errors = checked.diagnostics.filter((d) => d.severity === "error").length;
  if (errors === 0 && checked.graph) return null;
  return `${basename(checked.file)} has ${errors} error${errors === 1 ? "" : "s"}: fix ${errors === 1 ? "it" : "them"} first (see Problems)`;
}

export class AnalysisService {
  readonly store: RecipeStore;
  private readonly docs = new Map<string, TextDocument>();
  private readonly hovers: HoverProvider;
  private readonly answers: Answers;

  /** `root` is where untitled documents live (model paths in them are relative to it). */
  constructor(root: string) {
    this.store = new RecipeStore(() => root);
    this.hovers = new HoverProvider(this.store.headers);
    const uriOf = (doc: TextDocument): string => doc.uri;
    this.answers = {
      diagnostics: (c, doc) => ({ diagnostics: c.diagnostics.map((d) => toLspDiagnostic(d, doc.uri)), facts: recipeFacts(c) }),
      hover: (c, _doc, p) => this.hovers.hover(c, p.offset),
      definition: (c, doc, p) => definition(c.analysis, p.offset, uriOf(doc)),
      references: (c, doc, p) => references(c.analysis, p.offset, uriOf(doc), p.includeDeclaration),
      highlights: (c, _doc, p) => highlights(c.analysis, p.offset),
      prepareRename: (c, _doc, p) => prepareRename(c.analysis, p.offset),
      rename: (c, doc, p) => rename(c.analysis, p.offset, p.newName, uriOf(doc)),
      symbols: (c) => documentSymbols(c.analysis),
      folding: (c) => foldingRanges(c.parse.program),
      semanticTokens: (c) => semanticTokens(c.parse, c.analysis),
      links: (c, doc) => documentLinks(c.parse.program, this.store.folder(doc.uri)),
      codeActions: (c, doc, p) => quickFixes(c, doc.uri, p.range),
      inlayHints: (c, _doc, p) => inlayHints(c.analysis, p.range),
      targets: (c) => interferenceTargets(c.analysis, c.text),
      searchable: (c) => {
        const problem = notRunnable(c) ?? (c.analysis.optimize ? null : `${basename(c.file)} has no optimize(...) statement: add one, e.g. optimize(merged, metric: "python eval.py {model}", budget: 20)`);
        return { text: c.text, file: c.file, problem };
      },
      runnable: (c) => {
        const optimize = c.analysis.optimize;
        const problem = notRunnable(c) ?? (optimize ? `${basename(c.file)} searches its coefficients (optimize(...) on line ${optimize.call.range.start.line}): use "mergelang: Search", then run the best recipe it writes` : null);
        return { graph: problem ? null : c.graph, problem, file: c.file };
      },
      dryRun: (c) => {
        const problem = notRunnable(c);
        if (problem) return { ok: false, message: problem, plan: "" };
        try {
          const plan = planGraph(c.graph!, { headerCache: this.store.headers });
          const saves = plan.saves.length;
          const others = plan.otherEffects;
          return {
            ok: true,
            message: `${saves} model${saves === 1 ? "" : "s"} to write, ${others} other statement${others === 1 ? "" : "s"} to show`,
            plan: describePlan(c.graph!),
          };
        } catch (e) {
          // The plan runs the engine's checks (shapes, parameters per tensor): report, never crash.
          return { ok: false, message: (e as Error).message, plan: "" };
        }
      },
    };
  }

  update(uri: string, version: number, text: string): void {
    this.docs.set(uri, TextDocument.create(uri, "mergelang", version, text));
  }

  close(uri: string): void {
    this.docs.delete(uri);
    this.store.forget(uri);
  }

  modelsChanged(): void {
    this.store.modelsChanged();
  }

  answer<K extends QueryKind>(kind: K, uri: string, params: QueryMap[K]["params"]): QueryMap[K]["result"] {
    const doc = this.docs.get(uri);
    if (!doc) throw new Error(`${uri} is not open`);
    if (kind === "format") return formatDocument(doc) as QueryMap[K]["result"];
    const answer = this.answers[kind as Exclude<QueryKind, "format">] as (c: CheckedRecipe, d: TextDocument, p: unknown) => QueryMap[K]["result"];
    return answer(this.store.check(doc), doc, params);
  }
}
