/**
 * The models a mergekit config names: each reference resolved against the YAML file's folder,
 * checked to be a local model (mergelang reads models from disk; Hugging Face ids are not fetched),
 * given a recipe binding name, and its family read from the headers when a lookup is given.
 */
import { existsSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, resolve } from "node:path";
import type { Range } from "../language/ast.js";
import { functionNames } from "../language/catalog.js";
import type { ModelLookup } from "../language/model-lookup.js";
import type { ModelFamily } from "../language/values.js";
import type { YamlFile } from "./yaml-doc.js";

export interface ModelRef {
  /** The reference as written in the YAML (relative to the YAML file). */
  ref: string;
  binding: string;
  abs: string;
  /** Where it is first named. */
  range: Range;
  family: ModelFamily | null;
}

const RESERVED = new Set(["where", "layers", "true", "false", ...functionNames()]);

function isLocalModel(abs: string): boolean {
  if (!existsSync(abs)) return false;
  return statSync(abs).isDirectory() || abs.endsWith(".safetensors");
}

export class ModelRefs {
  private readonly byRef = new Map<string, ModelRef>();
  private readonly names = new Set<string>();

  constructor(
    private readonly yaml: YamlFile,
    private readonly file: string,
    private readonly lookup: ModelLookup | null,
  ) {}

  /** The model for a reference, registered (and checked) on first use. */
  get(ref: string, range: Range): ModelRef {
    const known = this.byRef.get(ref);
    if (known) return known;
    const abs = isAbsolute(ref) ? ref : resolve(dirname(this.file), ref);
    let family: ModelFamily | null = null;
    if (!isLocalModel(abs)) {
      const hf = /^[\w.-]+\/[\w.-]+(@[\w.-]+)?$/.test(ref) ? " (it looks like a Hugging Face id: download it and give the folder)" : "";
      this.yaml.error(range, `'${ref}' is not a local folder: mergelang reads models from disk, relative to the YAML file${hf}`, "mergekit-unsupported");
    } else if (this.lookup) {
      const r = this.lookup.lookup(abs);
      if (r.ok) family = r.family;
      else this.yaml.report(r.code, "error", range, r.message);
    }
    const model: ModelRef = { ref, binding: this.unique(nameFor(ref)), abs, range, family };
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

/** A recipe name from a model path: its last segment, as an identifier. */
function nameFor(ref: string): string {
  const last = basename(ref.replace(/[\\/]+$/, "").replace(/\.safetensors$/, "")) || "model";
  const id = last.replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "") || "model";
  return /^[A-Za-z_]/.test(id) ? id : `m_${id}`;
}
