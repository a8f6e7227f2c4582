/** The language service every surface shares: parse, analyze, and (when clean) lower to the graph. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { analyze, type Analysis } from "./analyzer.js";
import { compareDiagnostics, type Diagnostic } from "./diagnostics.js";
import { headerLookup } from "./header-lookup.js";
import type { ModelLookup } from "./model-lookup.js";
import { parseRecipe, type ParseResult } from "./parse.js";
import { lowerToGraph } from "../graph/lower.js";
import type { ModelResolver } from "../hub/model-resolver.js";
import type { Graph } from "../graph/graph.js";

export interface CheckedRecipe {
  file: string;
  text: string;
  parse: ParseResult;
  analysis: Analysis;
  /** Syntax and semantic diagnostics, in source order. */
  diagnostics: Diagnostic[];
  /** The execution graph, when the recipe has no errors. */
  graph: Graph | null;
}

export interface CheckOptions {
  /** Model headers; defaults to a fresh header cache. null skips model-aware checks. */
  models?: ModelLookup | null;
  /** Saves may replace existing folders mergelang did not write (the CLI's --overwrite). */
  overwrite?: boolean;
  /** Only the saves from this offset on are run with this text (see AnalyzeOptions.effectsFrom). */
  effectsFrom?: number;
  /** Resolves model references; pass one to learn which Hub models are missing from the cache. */
  resolver?: ModelResolver;
}

let defaultLookup: ModelLookup | null = null;

export function checkRecipe(text: string, file: string, options: CheckOptions = {}): CheckedRecipe {
  const abs = resolve(file);
  const parse = parseRecipe(text);
  const models = options.models === undefined ? (defaultLookup ??= headerLookup()) : options.models;
  const analysis = analyze(parse.program, text, {
    file: abs,
    models,
    ...(options.resolver ? { resolver: options.resolver } : {}),
    ...(options.overwrite ? { overwrite: true } : {}),
    ...(options.effectsFrom !== undefined ? { effectsFrom: options.effectsFrom } : {}),
  });
  const diagnostics = [...parse.diagnostics, ...analysis.diagnostics].sort(compareDiagnostics);
  const clean = !diagnostics.some((d) => d.severity === "error");
  return { file: abs, text, parse, analysis, diagnostics, graph: clean ? lowerToGraph(analysis, text) : null };
}

export function checkFile(path: string, options: CheckOptions = {}): CheckedRecipe {
  return checkRecipe(readFileSync(path, "utf8"), path, options);
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
