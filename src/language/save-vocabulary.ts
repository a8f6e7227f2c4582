/**
 * save(..., tokenizer:, tokens:, pad_to_multiple_of:, chat_template:) and token(...): which models
 * they may name (the saved model's own), how they combine, and the chat template checked by
 * rendering it, with its errors at the template's line.
 */
import { existsSync, readFileSync } from "node:fs";
import type * as A from "./ast.js";
import type { Analyzer } from "./analyzer.js";
import { diagnostic } from "./diagnostics.js";
import type { Atom, LoadAtom, ModelLike, TokenRule, TokenizerChoice, Value } from "./values.js";
import { UNKNOWN, isModelLike } from "./values.js";
import { checkTemplate, templateSpec } from "../vocab/chat-templates.js";

type Get = (name: string) => Value | undefined;

const argRange = (call: A.CallExpr, name: string): A.Range => {
  const arg = call.args.find((a) => a.name?.name === name);
  return arg?.value?.range ?? arg?.range ?? call.range;
};

/** The one loaded model a value is (`chat` bound to model(...)), else null. */
function loadAtomOf(v: Value): LoadAtom | null {
  if (!isModelLike(v) || v.form.size !== 1) return null;
  const [[atom, coef]] = [...v.form];
  return atom.kind === "load" && Math.abs(coef - 1) < 1e-9 ? atom : null;
}

/** Every model a saved value reads. */
function loadsUnder(m: ModelLike): Set<string> {
  const out = new Set<string>();
  const visit = (a: Atom): void => {
    if (a.kind === "load") out.add(a.path);
    else if (a.kind === "merge") [...a.models, ...(a.base ? [a.base] : [])].forEach((x) => x.form.forEach((_, b) => visit(b)));
    else if (a.kind === "delta_op") a.inputs.forEach((x) => x.form.forEach((_, b) => visit(b)));
    else a.parts.forEach((p) => p.model.form.forEach((_, b) => visit(b)));
  };
  m.form.forEach((_, a) => visit(a));
  return out;
}

export function tokenRule(an: Analyzer, call: A.CallExpr, get: Get): Value {
  const text = get("text");
  const source = get("source");
  if (text?.type !== "String" || !source) return UNKNOWN;
  let from: LoadAtom | "zero";
  if (source.type === "String") from = "zero";
  else {
    const atom = loadAtomOf(source);
    if (!atom) {
      an.report(diagnostic("bad-tokenizer", "error", call.args[1]?.range ?? call.range, "token(): the source must be a model bound with model(...) (or \"zero\")"));
      return UNKNOWN;
    }
    from = atom;
  }
  const force = get("force");
  const row = get("row");
  const fromToken = get("from_token");
  if (row && fromToken) {
    an.report(diagnostic("bad-tokenizer", "error", argRange(call, "from_token"), "token(): give row: or from_token:, not both"));
    return UNKNOWN;
  }
  if (from === "zero" && (row || fromToken)) {
    an.report(diagnostic("bad-tokenizer", "error", argRange(call, row ? "row" : "from_token"), "token(): a zero row has no source row to pick"));
    return UNKNOWN;
  }
  const rule: TokenRule = {
    token: text.value,
    source: from,
    force: force?.type === "Bool" ? force.value : false,
    row: row?.type === "Number" ? row.value : null,
    fromToken: fromToken?.type === "String" ? fromToken.value : null,
  };
  return { type: "Token", rule };
}

/** The save's vocabulary and template settings, or null after reporting why they cannot apply. */
export function saveVocabulary(
  an: Analyzer,
  call: A.CallExpr,
  get: Get,
  model: ModelLike,
): { tokenizer: TokenizerChoice | null; chatTemplate: string | null } | null {
  const tok = get("tokenizer");
  const tokens = get("tokens");
  const pad = get("pad_to_multiple_of");
  const copy = get("copy_tokenizer");
  const template = get("chat_template");
  const saved = loadsUnder(model);
  const fail = (name: string, message: string, code: "bad-tokenizer" | "bad-chat-template" = "bad-tokenizer"): null => {
    an.report(diagnostic(code, "error", argRange(call, name), message));
    return null;
  };
  if (copy?.type === "Bool" && !copy.value && (tok || template)) {
    return fail("copy_tokenizer", `copy_tokenizer: false writes no tokenizer, but ${tok ? "tokenizer:" : "chat_template:"} is given: drop one of them`);
  }
  if (!tok && (tokens || pad)) return fail(tokens ? "tokens" : "pad_to_multiple_of", `'${tokens ? "tokens" : "pad_to_multiple_of"}' needs tokenizer: ("base", "union" or a model)`);
  let tokenizer: TokenizerChoice | null = null;
  if (tok) {
    let source: TokenizerChoice["source"];
    if (tok.type === "String") source = tok.value as "base" | "union";
    else {
      const atom = loadAtomOf(tok);
      if (!atom) return fail("tokenizer", "tokenizer: takes \"base\", \"union\" or a model bound with model(...), not a computed model");
      if (!saved.has(atom.path)) return fail("tokenizer", `tokenizer: ${an.source(atom.call)} is not one of the models this save merges`);
      source = atom;
    }
    const rules = tokens?.type === "List" ? tokens.items.flatMap((i) => (i.type === "Token" ? [i.rule] : [])) : [];
    const foreign = rules.find((r) => r.source !== "zero" && !saved.has(r.source.path));
    if (foreign && foreign.source !== "zero") return fail("tokens", `token(${JSON.stringify(foreign.token)}): ${an.source(foreign.source.call)} is not one of the models this save merges`);
    tokenizer = { source, tokens: rules, padToMultipleOf: pad?.type === "Number" ? pad.value : null };
  }
  let chatTemplate: string | null = null;
  if (template?.type === "String") {
    const spec = templateSpec(template.value, an.folder);
    if (spec.kind === "invalid") return fail("chat_template", spec.message, "bad-chat-template");
    if (spec.kind === "file" && !existsSync(spec.path)) return fail("chat_template", `chat_template file not found: ${spec.path}`, "bad-chat-template");
    if (spec.kind === "text" || spec.kind === "file") {
      const problem = checkTemplate(spec.kind === "text" ? spec.text : readFileSync(spec.path, "utf8"));
      if (problem) return fail("chat_template", `chat template${problem.line ? ` line ${problem.line}` : ""}: ${problem.message}`, "bad-chat-template");
    }
    chatTemplate = spec.kind === "file" ? spec.path : template.value;
  }
  return { tokenizer, chatTemplate };
}
