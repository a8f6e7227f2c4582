/**
 * Where a saved model came from, for its model card and `__metadata__`: the input models under
 * names a reader can use, the methods with their papers, and the statements of the recipe that
 * produced it — never an absolute local path (a published model would leak the author's folders).
 */
import { basename, dirname } from "node:path";
import type { Analysis } from "../language/analyzer.js";
import type * as A from "../language/ast.js";
import { lookupFunction } from "../language/catalog.js";
import type { Atom, LoadAtom, ModelLike } from "../language/values.js";
import { publicPath, publicText } from "../util/public-path.js";
import type { Provenance, ProvenanceModel } from "./graph.js";

/** The provenance of the model `model` saved by statement `save`. */
export function provenanceOf(analysis: Analysis, text: string, save: A.Statement, model: ModelLike): Provenance {
  const recipeDir = dirname(analysis.file);
  const publish = (source: string): string => publicText(source, recipeDir);
  return {
    models: inputModels(analysis, model, recipeDir),
    methods: methodsOf(model),
    statements: producingStatements(analysis, save)
      .map((s) => publish(text.slice(s.range.start.offset, s.range.end.offset)))
      .join("\n"),
    recipeFile: basename(analysis.file),
  };
}

/** The save statement and every binding it depends on, in recipe order. */
function producingStatements(analysis: Analysis, save: A.Statement): A.Statement[] {
  const deps = statementDeps(analysis);
  const needed = new Set<A.Statement>([save]);
  const queue: A.Statement[] = [save];
  for (let s = queue.pop(); s; s = queue.pop()) {
    for (const d of deps.get(s) ?? []) {
      if (needed.has(d)) continue;
      needed.add(d);
      queue.push(d);
    }
  }
  return [...needed].sort((a, b) => a.range.start.offset - b.range.start.offset);
}

// One pass over the references per analysis, however many saves it has.
const depsCache = new WeakMap<Analysis, Map<A.Statement, Set<A.Statement>>>();

/** For each statement, the statements that bind the names it uses. */
function statementDeps(analysis: Analysis): Map<A.Statement, Set<A.Statement>> {
  const cached = depsCache.get(analysis);
  if (cached) return cached;
  const statements = analysis.program.statements;
  const deps = new Map<A.Statement, Set<A.Statement>>();
  for (const [ref, binding] of analysis.resolved) {
    // The last statement starting at or before the reference contains it.
    let lo = 0;
    let hi = statements.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (statements[mid]!.range.start.offset <= ref.range.start.offset) lo = mid;
      else hi = mid - 1;
    }
    const user = statements[lo];
    if (!user || user === binding.statement) continue;
    let set = deps.get(user);
    if (!set) deps.set(user, (set = new Set()));
    set.add(binding.statement);
  }
  depsCache.set(analysis, deps);
  return deps;
}

/** Every model(...) the saved model reads, the bases of its merges first marked as such. */
function inputModels(analysis: Analysis, model: ModelLike, recipeDir: string): ProvenanceModel[] {
  const roles = new Map<LoadAtom, "base" | "merged">();
  const visitForm = (m: ModelLike, role: "base" | "merged"): void => {
    for (const atom of m.form.keys()) visit(atom, role);
  };
  const visit = (atom: Atom, role: "base" | "merged"): void => {
    switch (atom.kind) {
      case "load":
        if (roles.get(atom) !== "base") roles.set(atom, role);
        return;
      case "merge":
        if (atom.base) visitForm(atom.base, "base");
        for (const m of atom.models) visitForm(m, "merged");
        return;
      case "delta_op":
        for (const m of atom.inputs) visitForm(m, role);
        return;
      case "stack":
        for (const p of atom.parts) visitForm(p.model, role);
        return;
    }
  };
  visitForm(model, "merged");
  return [...roles].map(([atom, role]) => {
    const binding = analysis.bindings.find((b) => b.value.type === "Model" && b.value.form.size === 1 && b.value.form.get(atom) === 1);
    const written = atom.call.args[0]?.value;
    const path = written?.kind === "StringLiteral" ? written.value : atom.path;
    return { name: publicPath(path, recipeDir), binding: binding?.name ?? null, role };
  });
}

/** The methods of the merge calls, outermost first, with their papers; "arithmetic" for weights combined by + and *. */
function methodsOf(model: ModelLike): Provenance["methods"] {
  const out: Provenance["methods"] = [];
  const add = (name: string): void => {
    if (out.some((m) => m.name === name)) return;
    const paper = lookupFunction(name)?.paper;
    out.push(paper ? { name, paper: { title: paper.title, authors: paper.authors, venue: paper.venue, url: paper.url } } : { name });
  };
  const visitForm = (m: ModelLike): void => {
    const entries = [...m.form.entries()];
    if (entries.length > 1 || entries.some(([, c]) => c !== 1)) add("arithmetic");
    for (const [atom] of entries) visit(atom);
  };
  const visit = (atom: Atom): void => {
    if (atom.kind === "merge") {
      add(atom.method);
      for (const m of atom.models) visitForm(m);
      if (atom.base) visitForm(atom.base);
    } else if (atom.kind === "delta_op") {
      add(atom.op);
      for (const m of atom.inputs) visitForm(m);
    } else if (atom.kind === "stack") {
      add("passthrough");
      for (const p of atom.parts) visitForm(p.model);
    }
  };
  visitForm(model);
  return out;
}
