/** Diagnostics: what every surface (CLI, language server, kernel) shows about a recipe. */
import type { Range } from "./ast.js";

export type Severity = "error" | "warning" | "info" | "hint";

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
}

export interface RelatedInfo {
  message: string;
  range: Range;
  /** Another file (e.g. a model's safetensors file); absent for the recipe itself. */
  file?: string;
}

export interface Diagnostic {
  /** Stable code, listed in `diagnosticCodes`. */
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  range: Range;
  related?: RelatedInfo[];
  fixes?: Fix[];
  /** `unnecessary` renders faded in editors (unused bindings). */
  tags?: ("unnecessary" | "deprecated")[];
}

/** Every code a diagnostic can carry, with a one-line explanation (shown by docs and `check --codes`). */
export const diagnosticCodes = {
  "bad-character": "a character that is not part of the language",
  "unterminated-string": "a string without its closing quote",
  "bad-escape": "an escape other than \\\" \\\\ \\n \\t in a string",
  "syntax-error": "tokens in an order the grammar does not allow",
  "unclosed-bracket": "a '(' '[' or '{' without its closing partner",
  "unknown-name": "a name used before it is bound",
  "unknown-function": "a call to a function that does not exist",
  "not-callable": "a call on a name that is not a function",
  "function-as-value": "a built-in function used without calling it",
  "unused-binding": "a name bound and never used",
  "unknown-parameter": "a named argument the function does not take",
  "duplicate-parameter": "the same named argument given twice",
  "missing-parameter": "a required argument left out",
  "positional-after-named": "a positional argument after a named one",
  "too-many-arguments": "more positional arguments than the function takes",
  "too-few-models": "fewer models than the method needs",
  "wrong-type": "a value of the wrong type",
  "out-of-range": "a number outside the parameter's range",
  "bad-enum": "a string that is not one of the parameter's choices",
  "list-length": "a per-model list whose length differs from the number of models",
  "invalid-arithmetic": "arithmetic that has no meaning on these types",
  "not-affine": "a sum of scaled models whose coefficients do not sum to 1",
  "division-by-zero": "division by the constant 0",
  "where-not-allowed": "a where clause after something that is not a merge call",
  "where-parameter": "a where clause setting a parameter that cannot vary per tensor",
  "bad-selector": "a malformed where selector",
  "ramp-misuse": "ramp(...) used where a per-layer number is not allowed",
  "trims-everything": "a density of 0: every delta is trimmed",
  "bad-path": "a path that is empty or malformed",
  "model-not-found": "a model path with no weights, or a Hub id not in the Hugging Face cache",
  "model-format": "a model whose header (safetensors, .bin pickle, LoRA adapter) is damaged or refused",
  "tensor-mismatch": "models whose tensor names differ",
  "shape-mismatch": "models whose tensor shapes differ",
  "selector-matches-nothing": "a where selector that matches no tensor of the models",
  "layers-out-of-range": "a layer range beyond the models' layers",
  "value-unused": "an expression statement whose value is discarded",
  "save-over-input": "a save whose folder is, holds, or lies inside an input model's folder",
  "save-twice": "two saves that write the same folder",
  "output-exists": "a save over an existing folder that mergelang did not write",
  "expression-too-deep": "an expression with more operators or nesting than the recipe reader allows",
  "bad-tokenizer": "a tokenizer:, tokens: or token(...) setting that cannot apply to the saved models",
  "bad-chat-template": "a chat template that is not a known name, is missing, or fails to parse or render",
  "bad-search-space": "a search(...) space that is empty, malformed, or given where nothing can be searched",
  "search-without-optimize": "search(...) spaces with no optimize(...) statement to search them",
  "optimize-without-search": "an optimize(...) statement in a recipe without search(...) spaces",
  "optimize-twice": "more than one optimize(...) statement",
  "yaml-syntax": "a mergekit YAML file that is not valid YAML",
  "mergekit-invalid": "a mergekit YAML setting of the wrong shape or value",
  "mergekit-unsupported": "a mergekit YAML setting mergelang cannot run (named with its key and line)",
  "mergekit-ignored": "a mergekit YAML setting that has no effect (mergekit ignores it too)",
} as const;

export type DiagnosticCode = keyof typeof diagnosticCodes;

export function diagnostic(
  code: DiagnosticCode,
  severity: Severity,
  range: Range,
  message: string,
  extra: Partial<Pick<Diagnostic, "related" | "fixes" | "tags">> = {},
): Diagnostic {
  return { code, severity, range, message, ...extra };
}

/** Compare by position, then severity (errors first), for stable output. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  const order: Record<Severity, number> = { error: 0, warning: 1, info: 2, hint: 3 };
  return a.range.start.offset - b.range.start.offset || order[a.severity] - order[b.severity] || a.code.localeCompare(b.code);
}
