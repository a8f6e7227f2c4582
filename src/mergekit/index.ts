/**
 * Running mergekit YAML configs: `recipeFromMergekitYaml` translates one into a recipe (with a map
 * from the recipe back to the YAML), `checkMergekitYaml` checks it the way `checkRecipe` checks a
 * recipe, with every diagnostic at a YAML line and column. `mergelang import` prints the recipe;
 * `mergelang run` and `check` take the YAML file directly.
 */
import { extname, resolve } from "node:path";
import { compareDiagnostics, type Diagnostic } from "../language/diagnostics.js";
import { headerLookup } from "../language/header-lookup.js";
import type { ModelLookup } from "../language/model-lookup.js";
import { checkRecipe } from "../language/service.js";
import type { ModelResolver } from "../hub/model-resolver.js";
import type { Graph } from "../graph/graph.js";
import { ConfigReader } from "./config.js";
import type { RecipeSourceMap } from "./recipe-writer.js";
import { Translator } from "./translate.js";
import { YamlFile } from "./yaml-doc.js";

export { RecipeSourceMap } from "./recipe-writer.js";

export interface MergekitImportOptions {
  /** The output folder the recipe saves to, relative to the YAML file (default: "<name>-merged"). */
  output?: string;
  /** Model headers (default: read from disk). null: no header checks. */
  models?: ModelLookup | null;
  /** The save may replace an existing folder mergelang did not write (--overwrite). */
  overwrite?: boolean;
  /** Resolves model references (shared with the recipe check); records Hub models missing from the cache. */
  resolver?: ModelResolver;
}

export interface MergekitImport {
  /** The recipe, or null when the YAML could not be translated. */
  recipe: string | null;
  /** Problems with the YAML, at YAML lines and columns (errors stop a run). */
  diagnostics: Diagnostic[];
  /** Recipe offsets → YAML ranges; null when there is no recipe. */
  sourceMap: RecipeSourceMap | null;
}

export interface CheckedMergekit {
  file: string;
  /** The YAML text (diagnostics point into it). */
  text: string;
  recipe: string | null;
  diagnostics: Diagnostic[];
  /** The execution graph, when there is no error. */
  graph: Graph | null;
}

let defaultLookup: ModelLookup | null = null;

/** Whether a command-line file is a mergekit config rather than a recipe (by its extension). */
export function isMergekitConfigPath(path: string): boolean {
  const ext = extname(path).toLowerCase();
  return ext === ".yml" || ext === ".yaml";
}

export function recipeFromMergekitYaml(yamlText: string, file: string, options: MergekitImportOptions = {}): MergekitImport {
  const abs = resolve(file);
  const models = options.models === undefined ? (defaultLookup ??= headerLookup()) : options.models;
  const yaml = new YamlFile(yamlText);
  let built: ReturnType<Translator["translate"]> = null;
  if (yaml.root) {
    const cfg = new ConfigReader(yaml).read(yaml.root);
    if (cfg) built = new Translator(yaml, cfg, abs, {
      models,
      ...(options.resolver ? { resolver: options.resolver } : {}),
      ...(options.output !== undefined ? { output: options.output } : {}),
    }).translate();
  } else if (yaml.diagnostics.length === 0) {
    yaml.error(yaml.top, "the file is empty: a mergekit config needs merge_method and models (or slices)");
  }
  return { recipe: built?.text ?? null, diagnostics: [...yaml.diagnostics].sort(compareDiagnostics), sourceMap: built?.map ?? null };
}

/**
 * The YAML's problems, then (when it translates cleanly) the recipe checker's, moved to the YAML
 * keys they come from; and the graph to run when nothing is an error.
 */
export function checkMergekitYaml(yamlText: string, file: string, options: MergekitImportOptions = {}): CheckedMergekit {
  const abs = resolve(file);
  const imported = recipeFromMergekitYaml(yamlText, abs, options);
  const result: CheckedMergekit = { file: abs, text: yamlText, recipe: imported.recipe, diagnostics: imported.diagnostics, graph: null };
  if (imported.recipe === null || imported.diagnostics.some((d) => d.severity === "error")) return result;
  const checked = checkRecipe(imported.recipe, abs, {
    ...(options.models === undefined ? {} : { models: options.models }),
    ...(options.overwrite ? { overwrite: true } : {}),
    ...(options.resolver ? { resolver: options.resolver } : {}),
  });
  // Hints (unused bindings) are about the generated text, not the YAML.
  const mapped = checked.diagnostics.filter((d) => d.severity !== "hint").map((d) => imported.sourceMap!.toYaml(d));
  result.diagnostics = [...imported.diagnostics, ...mapped].sort(compareDiagnostics);
  result.graph = checked.graph;
  return result;
}
