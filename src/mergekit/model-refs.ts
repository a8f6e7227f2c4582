/**
 * The models a mergekit config names: each reference (a folder relative to the YAML file, a Hub id
 * `org/name@revision`, either with `+adapter`) resolved by the shared model resolver, given a recipe
 * binding name, and its family read from the headers when a lookup is given.
 */
import { basename, dirname } from "node:path";
import { ModelResolver } from "../hub/model-resolver.js";
import type { Range } from "../language/ast.js";
import { functionNames } from "../language/catalog.js";
import type { ModelLookup } from "../language/model-lookup.js";
import type { ModelFamily } from "../language/values.js";
import type { YamlFile } from "./yaml-doc.js";

export interface ModelRef {
  /** The reference as written in the YAML (relative to the YAML file). */
  ref: string;
  /** The model(...) arguments: the base reference and the LoRA adapter's, as the recipe writes them. */
  path: string;
  lora: string | null;
  binding: string;
  abs: string;
  /** Where it is first named. */
  range: Range;
  family: ModelFamily | null;
}

const RESERVED = new Set(["where", "layers", "true", "false", ...functionNames()]);

export class ModelRefs {
  private readonly byRef = new Map<string, ModelRef>();
  private readonly names = new Set<string>();

  constructor(
    private readonly yaml: YamlFile,
    private readonly file: string,
    private readonly lookup: ModelLookup | null,
    private readonly resolver: ModelResolver = new ModelResolver(),
  ) {}

  /** The model for a reference, registered (and checked) on first use. */
  get(ref: string, range: Range): ModelRef {
    const known = this.byRef.get(ref);
    if (known) return known;
    const resolved = this.resolver.resolveCombined(ref, dirname(this.file));
    let family: ModelFamily | null = null;
    const missing = resolved.missing[0];
    if (missing) this.yaml.report("model-not-found", "error", range, this.resolver.missingMessage(missing));
    else if (this.lookup) {
      const r = this.lookup.lookup(resolved.path);
      if (r.ok) family = r.family;
      else this.yaml.report(r.code, "error", range, r.message);
    }
    const model: ModelRef = {
      ref,
      path: resolved.base.ref,
      lora: resolved.lora?.ref ?? null,
      binding: this.unique(nameFor(resolved.lora?.ref ?? resolved.base.ref)),
      abs: resolved.path,
      range,
      family,
    };
    this.byRef.set(ref, model);
    return model;
  }

  all(): ModelRef[] {
    return [...this.byRef.values()];
  }

  /** A binding name not used yet (the final result takes "merged"). */
  unique(wanted: string): string {
    let name = wanted;
    for (let i = 2; this.names.has(name) || RESERVED.has(name); i++) name = `${wanted}_${i}`;
    this.names.add(name);
    return name;
  }
}

/** A recipe name from a model path or Hub id: its last segment (without @revision), as an identifier. */
function nameFor(ref: string): string {
  const last = basename(ref.replace(/@[\w./-]+$/, "").replace(/[\\/]+$/, "").replace(/\.(safetensors|bin)$/, "")) || "model";
  const id = last.replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "") || "model";
  return /^[A-Za-z_]/.test(id) ? id : `m_${id}`;
}
