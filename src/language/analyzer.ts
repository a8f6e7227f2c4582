/**
 * Semantic analysis (spec §3–§5): name resolution with shadowing, the type rules of §4, parameter
 * checks against the catalog, where clauses, model-aware checks from safetensors headers, unused
 * bindings. Produces symbolic values the graph is lowered from, and the facts editors need.
 */
import { dirname } from "node:path";
import { ModelResolver } from "../hub/model-resolver.js";
import type * as A from "./ast.js";
import { functionNames, lookupFunction, type FunctionSpec, type ParamSpec } from "./catalog.js";
import { compareDiagnostics, diagnostic, type Diagnostic, type Fix } from "./diagnostics.js";
import type { ModelLookup } from "./model-lookup.js";
import { closest, didYouMean } from "./suggest.js";
import { checkCall, type CallInfo } from "./calls.js";
import { checkFamilies } from "./model-checks.js";
import { checkSaves, type PlannedSave } from "./save-checks.js";
import { checkSearchPlan, intervalValue, type OptimizeStatement, type SearchSite } from "./search-checks.js";
import {
  classify,
  combine,
  formWeight,
  isModelLike,
  scale,
  typeName,
  UNKNOWN,
  type Atom,
  type LoadAtom,
  type ModelLike,
  type Value,
} from "./values.js";

export interface Binding {
  name: string;
  declaration: A.Identifier;
  statement: A.AssignStmt;
  value: Value;
  references: A.NameRef[];
}

export interface AnalyzeOptions {
  /** Absolute path of the recipe file (model paths are relative to its folder). */
  file: string;
  /** Reads model headers; null skips the model-aware checks (and the look at existing output folders). */
  models: ModelLookup | null;
  /** Saves may replace existing folders mergelang did not write (the CLI's --overwrite). */
  overwrite?: boolean;
  /**
   * Saves before this offset are not run with this text (a notebook's earlier cells, run before):
   * only the later ones have their folders checked.
   */
  effectsFrom?: number;
  /** Resolves model references (local paths, Hub ids in the cache, LoRA adapters); records what is missing. */
  resolver?: ModelResolver;
}

export interface Analysis {
  program: A.Program;
  diagnostics: Diagnostic[];
  bindings: Binding[];
  /** The binding each name reference resolves to. */
  resolved: Map<A.NameRef, Binding>;
  calls: CallInfo[];
  atoms: Atom[];
  /** Values of the statements, in order (null where the statement has none). */
  statementValues: (Value | null)[];
  file: string;
  /** search(...) spaces given to parameters, in source order, and the optimize(...) statement. */
  searchSites: SearchSite[];
  optimize: OptimizeStatement | null;
}

export class Analyzer {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly scope = new Map<string, Binding>();
  private readonly bindings: Binding[] = [];
  private readonly resolved = new Map<A.NameRef, Binding>();
  /** Values of the operands of `+`, for the message and fix when a sum is not a model. */
  private readonly sumOperands = new Map<A.Expr, Value>();
  private readonly calls: CallInfo[] = [];
  private readonly atoms: Atom[] = [];
  private readonly loads = new Map<string, LoadAtom>();
  private readonly laterNames = new Map<string, A.Identifier>();
  private readonly searchSites: SearchSite[] = [];
  private readonly optimizers: OptimizeStatement[] = [];
  private readonly dir: string;

  constructor(
    private readonly text: string,
    private readonly options: AnalyzeOptions,
  ) {
    this.dir = dirname(options.file);
  }

  analyze(program: A.Program): Analysis {
    for (const s of program.statements) if (s.kind === "AssignStmt" && !this.laterNames.has(s.name.name)) this.laterNames.set(s.name.name, s.name);
    const statementValues: (Value | null)[] = [];
    for (const s of program.statements) statementValues.push(this.statement(s));
    this.checkSaveTargets(program, statementValues);
    checkSearchPlan(this, this.searchSites, this.optimizers);
    for (const b of this.bindings) {
      if (b.references.length === 0 && !b.name.startsWith("_")) {
        this.report(
          diagnostic("unused-binding", "hint", b.declaration.range, `'${b.name}' is bound but never used`, { tags: ["unnecessary"] }),
        );
      }
    }
    this.diagnostics.sort(compareDiagnostics);
    return {
      program,
      diagnostics: this.diagnostics,
      bindings: this.bindings,
      resolved: this.resolved,
      calls: this.calls,
      atoms: this.atoms,
      statementValues,
      file: this.options.file,
      searchSites: this.searchSites,
      optimize: this.optimizers[0] ?? null,
    };
  }

  report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }

  /** The saves' folders against the inputs, each other and what already lies there. */
  private checkSaveTargets(program: A.Program, values: readonly (Value | null)[]): void {
    const saves: PlannedSave[] = [];
    program.statements.forEach((s, i) => {
      const v = values[i];
      if (s.kind === "ExprStmt" && v?.type === "Effect" && v.effect.kind === "save" && s.range.start.offset >= (this.options.effectsFrom ?? 0)) {
        saves.push({ call: v.call, path: v.effect.path, pathRange: v.effect.pathRange, overwrite: v.effect.overwrite });
      }
    });
    if (saves.length === 0) return;
    const opts = { dir: this.dir, fileSystem: this.options.models !== null, overwrite: this.options.overwrite ?? false, source: (n: { range: A.Range }) => this.source(n) };
    for (const d of checkSaves(saves, [...this.loads.values()], opts)) this.report(d);
  }

  /** The recipe's folder (paths in it are relative to it). */
  get folder(): string {
    return this.dir;
  }

  private statement(s: A.Statement): Value | null {
    if (s.kind === "AssignStmt") {
      const value = s.value ? this.use(this.expr(s.value), s.value) : UNKNOWN;
      // Rebinding shadows: later statements see the new value.
      const binding: Binding = { name: s.name.name, declaration: s.name, statement: s, value, references: [] };
      if (lookupFunction(s.name.name)) {
        this.report(
          diagnostic("wrong-type", "warning", s.name.range, `'${s.name.name}' hides the built-in function ${s.name.name}() for the rest of the recipe`),
        );
      }
      this.scope.set(s.name.name, binding);
      this.bindings.push(binding);
      return value;
    }
    return this.use(this.expr(s.expr), s.expr);
  }

  /** A value reaching a binding, an argument or a statement: scaled models must have become models. */
  use(v: Value, e: A.Expr): Value {
    if (v.type !== "Scaled") return v;
    const sum = formWeight(v.form);
    const fixes: Fix[] = [];
    let message = `the model coefficients here sum to ${+sum.toPrecision(6)}, not 1: a sum of scaled models is a model only when it is an affine combination (e.g. 0.3*a + 0.7*b)`;
    const plain = unwrapParens(e);
    if (plain.kind === "BinaryExpr" && plain.op === "+" && plain.right) {
      const l = this.sumOperands.get(plain.left);
      const r = this.sumOperands.get(plain.right);
      if (l?.type === "Model" && r?.type === "Model") {
        message = "adding two models has no meaning: did you mean their average, linear(a, b), or a task vector such as a - base?";
        fixes.push({
          title: "Wrap as linear(...)",
          edits: [{ range: plain.range, newText: `linear(${this.source(plain.left)}, ${this.source(plain.right)})` }],
        });
      }
    }
    if (fixes.length === 0) message += "; for a weighted average use linear(..., weights: [...], normalize: true)";
    this.report(diagnostic("not-affine", "error", e.range, message, fixes.length ? { fixes } : {}));
    return UNKNOWN;
  }

  expr(e: A.Expr): Value {
    switch (e.kind) {
      case "NumberLiteral":
        return { type: "Number", value: e.value };
      case "StringLiteral":
        return { type: "String", value: e.value };
      case "BoolLiteral":
        return { type: "Bool", value: e.value };
      case "ListExpr":
        return { type: "List", items: e.items.map((i) => this.use(this.expr(i), i)) };
      case "ParenExpr":
        return e.expr ? this.expr(e.expr) : UNKNOWN;
      case "NameRef":
        return this.name(e);
      case "UnaryExpr":
        return e.operand ? this.negate(this.expr(e.operand), e) : UNKNOWN;
      case "BinaryExpr":
        return this.binary(e);
      case "CallExpr":
        return this.call(e);
      case "LayerRange":
        return this.layerRange(e);
      case "Range":
        return intervalValue(this, e);
    }
  }

  /** `layers a..b`: whole numbers from 0, the first not after the last (as in where clauses). */
  private layerRange(e: A.LayerRangeExpr): Value {
    if (!e.from) return UNKNOWN;
    const from = e.from.value;
    const to = e.to ? e.to.value : from;
    if (!Number.isInteger(from) || !Number.isInteger(to) || e.from.percent || e.to?.percent) {
      this.report(diagnostic("bad-selector", "error", e.range, "layer numbers are whole numbers from 0, as in layers 0..3"));
      return UNKNOWN;
    }
    if (from > to) {
      this.report(
        diagnostic("bad-selector", "error", e.range, `layers ${from}..${to} is empty: the first layer must not be after the last (did you mean ${to}..${from}?)`, {
          fixes: [{ title: `Change to layers ${to}..${from}`, edits: [{ range: e.range, newText: `layers ${to}..${from}` }] }],
        }),
      );
      return UNKNOWN;
    }
    return { type: "Layers", from, to };
  }

  private name(e: A.NameRef): Value {
    const b = this.scope.get(e.name);
    if (b) {
      b.references.push(e);
      this.resolved.set(e, b);
      return b.value;
    }
    if (lookupFunction(e.name)) {
      this.report(diagnostic("function-as-value", "error", e.range, `${e.name} is a built-in function: call it, as ${e.name}(...)`));
      return UNKNOWN;
    }
    const later = this.laterNames.get(e.name);
    if (later) {
      this.report(
        diagnostic("unknown-name", "error", e.range, `'${e.name}' is used before it is bound (it is bound on line ${later.range.start.line})`, {
          related: [{ message: `'${e.name}' is bound here`, range: later.range }],
        }),
      );
      return UNKNOWN;
    }
    const suggestion = closest(e.name, this.scope.keys());
    this.report(
      diagnostic("unknown-name", "error", e.range, `unknown name '${e.name}'${suggestion ? `: did you mean '${suggestion}'?` : ""}`, {
        ...(suggestion ? { fixes: [{ title: `Change to '${suggestion}'`, edits: [{ range: e.range, newText: suggestion }] }] } : {}),
      }),
    );
    return UNKNOWN;
  }

  private negate(v: Value, e: A.UnaryExpr): Value {
    if (v.type === "Number") return { type: "Number", value: -v.value };
    if (isModelLike(v)) return classify(scale(v.form, -1), e.range);
    if (v.type !== "Unknown") this.report(diagnostic("invalid-arithmetic", "error", e.range, `cannot negate ${typeName(v)}`));
    return UNKNOWN;
  }

  private binary(e: A.BinaryExpr): Value {
    const l = this.expr(e.left);
    const r = e.right ? this.expr(e.right) : UNKNOWN;
    if (e.op === "+" && e.right) {
      this.sumOperands.set(e.left, l);
      this.sumOperands.set(e.right, r);
    }
    if (l.type === "Unknown" || r.type === "Unknown") return UNKNOWN;
    if (l.type === "Number" && r.type === "Number") {
      switch (e.op) {
        case "+":
          return { type: "Number", value: l.value + r.value };
        case "-":
          return { type: "Number", value: l.value - r.value };
        case "*":
          return { type: "Number", value: l.value * r.value };
        case "/":
          if (r.value === 0) {
            this.report(diagnostic("division-by-zero", "error", e.right!.range, "division by zero"));
            return UNKNOWN;
          }
          return { type: "Number", value: l.value / r.value };
      }
    }
    if (isModelLike(l) && isModelLike(r)) {
      if (e.op === "+" || e.op === "-") {
        // Arithmetic reads every tensor of both sides, as a merge call does: the same header checks.
        const before = this.diagnostics.length;
        this.checkSameFamily([l, r], e.range);
        if (this.diagnostics.length > before) return UNKNOWN;
        return classify(combine(l.form, r.form, e.op === "+" ? 1 : -1), e.range);
      }
      const what = l.type === "Delta" && r.type === "Delta" ? "two task vectors" : "two models";
      const hint = e.op === "*" ? "scale one of them by a number, or merge them with linear(a, b) or ties(...)" : "divide by a number instead";
      this.report(diagnostic("invalid-arithmetic", "error", e.opRange, `cannot ${e.op === "*" ? "multiply" : "divide"} ${what}: ${hint}`));
      return UNKNOWN;
    }
    if (isModelLike(l) && r.type === "Number" && (e.op === "*" || e.op === "/")) {
      if (e.op === "/" && r.value === 0) {
        this.report(diagnostic("division-by-zero", "error", e.right!.range, "division by zero"));
        return UNKNOWN;
      }
      return classify(scale(l.form, e.op === "*" ? r.value : 1 / r.value), e.range);
    }
    if (l.type === "Number" && isModelLike(r) && e.op === "*") return classify(scale(r.form, l.value), e.range);
    let hint = "";
    if (isModelLike(l) || isModelLike(r)) {
      const num = l.type === "Number" || r.type === "Number";
      hint = num ? (e.op === "/" ? ": only a model or task vector can be divided by a number" : ": a number can only scale a model with * (e.g. 0.5 * (a - base))") : "";
    }
    this.report(diagnostic("invalid-arithmetic", "error", e.opRange, `cannot apply '${e.op}' to ${typeName(l)} and ${typeName(r)}${hint}`));
    return UNKNOWN;
  }

  private call(e: A.CallExpr): Value {
    const name = e.callee.name;
    const bound = this.scope.get(name);
    const spec = bound ? undefined : lookupFunction(name);
    if (!spec) {
      for (const a of e.args) if (a.value) this.expr(a.value);
      if (bound) {
        bound.references.push({ kind: "NameRef", name, range: e.callee.range });
        this.report(diagnostic("not-callable", "error", e.callee.range, `'${name}' is ${typeName(bound.value)}, not a function`));
      } else {
        const s = closest(name, functionNames());
        this.report(
          diagnostic("unknown-function", "error", e.callee.range, `unknown function '${name}'${s ? `: did you mean '${s}'?` : ""}`, {
            ...(s ? { fixes: [{ title: `Change to '${s}'`, edits: [{ range: e.callee.range, newText: s }] }] } : {}),
          }),
        );
      }
      return UNKNOWN;
    }
    return checkCall(this, spec, e);
  }

  // ---- services for calls.ts ----

  /** Source text of a node, for fixes. */
  source(n: { range: A.Range }): string {
    return this.text.slice(n.range.start.offset, n.range.end.offset);
  }

  /** Names bound so far, for suggestions. */
  boundNames(): string[] {
    return [...this.scope.keys()];
  }

  binding(name: string): Binding | undefined {
    return this.scope.get(name);
  }

  recordCall(info: CallInfo): void {
    this.calls.push(info);
  }

  recordSearchSite(site: SearchSite): void {
    this.searchSites.push(site);
  }

  recordOptimize(statement: OptimizeStatement): void {
    this.optimizers.push(statement);
  }

  /** One load atom per resolved path: `model("a")` twice reads the same files. */
  loadAtom(call: A.CallExpr, rawPath: string, pathRange: A.Range, dtype: string | null, lora: string | null = null): LoadAtom {
    const resolved = (this.options.resolver ??= new ModelResolver()).resolve(rawPath, this.dir, lora);
    let atom = this.loads.get(resolved.path);
    if (!atom) {
      let family = null;
      const missing = resolved.missing[0];
      if (missing && this.options.models) {
        this.report(diagnostic("model-not-found", "error", pathRange, this.options.resolver.missingMessage(missing)));
      } else if (this.options.models && !missing) {
        const r = this.options.models.lookup(resolved.path);
        if (r.ok) family = r.family;
        else this.report(diagnostic(r.code, "error", pathRange, r.message));
      }
      const source = [resolved.base, ...(resolved.lora ? [resolved.lora] : [])].map((p) => this.options.resolver!.describe(p)).join("; LoRA adapter ");
      atom = { kind: "load", id: this.atoms.length, path: resolved.path, call, family, dtype, source };
      this.loads.set(resolved.path, atom);
      this.atoms.push(atom);
    }
    return atom;
  }

  addAtom<T extends Atom>(make: (id: number) => T): T {
    const atom = make(this.atoms.length);
    this.atoms.push(atom);
    return atom;
  }

  /** All model-like inputs of one expression must share tensor names and shapes. */
  checkSameFamily(inputs: ModelLike[], where: A.Range): ReturnType<typeof checkFamilies> {
    return checkFamilies(this, inputs, where);
  }
}

function unwrapParens(e: A.Expr): A.Expr {
  while (e.kind === "ParenExpr" && e.expr) e = e.expr;
  return e;
}

export function analyze(program: A.Program, text: string, options: AnalyzeOptions): Analysis {
  return new Analyzer(text, options).analyze(program);
}

export { didYouMean, type ParamSpec, type FunctionSpec };
