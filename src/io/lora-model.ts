/**
 * A base model with a PEFT LoRA adapter applied: the base's header, where every tensor the adapter
 * targets carries its two factors and scale (ΔW = scale · B·A, added as the tensor is read; nothing
 * is materialised). The model is named by a path of the form `BASE+lora:ADAPTER`.
 */
import { confinedOwnFile } from "./confine.js";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ModelFormatError } from "./errors.js";
import { type ModelHeader, type TensorHeader, statKey, watchedFiles } from "./model-header.js";
import { readSafetensorsHeader, type SafetensorsFileHeader } from "./safetensors-file.js";
import { readTorchCheckpointHeader } from "./torch-checkpoint.js";

export const LORA_SEPARATOR = "+lora:";
export const ADAPTER_CONFIG = "adapter_config.json";
const ADAPTER_WEIGHTS = ["adapter_model.safetensors", "adapter_model.bin"];

/** The factors of one adapted tensor: W' = W + scale · L·R with L [rows, r] and R [r, cols]. */
export interface LoraFactors {
  /** The adapter's module name (as in its keys, without the PEFT prefix). */
  module: string;
  /** lora_B ([rows, r]), or lora_A transposed when `transposed`. */
  b: TensorHeader;
  /** lora_A ([r, cols]), or lora_B transposed when `transposed`. */
  a: TensorHeader;
  rank: number;
  scale: number;
  /** Embeddings and fan_in_fan_out layers store ΔW transposed: ΔW = scale · (B·A)ᵀ. */
  transposed: boolean;
}

/** The model path of `base` with `adapter` applied. */
export function loraPath(base: string, adapter: string): string {
  return `${base}${LORA_SEPARATOR}${adapter}`;
}

export function splitLoraPath(path: string): { base: string; adapter: string } | null {
  const i = path.indexOf(LORA_SEPARATOR);
  return i < 0 ? null : { base: path.slice(0, i), adapter: path.slice(i + LORA_SEPARATOR.length) };
}

interface AdapterConfig {
  r: number;
  alpha: number;
  rslora: boolean;
  fanInFanOut: boolean;
  targets: string[] | RegExp | null;
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
}

function readAdapterConfig(folder: string): AdapterConfig {
  const file = join(folder, ADAPTER_CONFIG);
  const bad = (why: string): ModelFormatError => new ModelFormatError("lora-invalid", file, `${file}: ${why}`);
  if (!existsSync(file)) throw new ModelFormatError("missing-file", file, `${folder} is not a PEFT LoRA adapter: it has no ${ADAPTER_CONFIG}`);
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw bad(`not valid JSON (${(e as Error).message})`);
  }
  if (c.peft_type !== undefined && c.peft_type !== "LORA") throw bad(`peft_type is ${JSON.stringify(c.peft_type)}; only LORA adapters can be applied`);
  if (c.use_dora === true) throw bad("use_dora is true: DoRA adapters (a learned magnitude per column) are not supported, only LoRA");
  if (typeof c.r !== "number" || !(c.r > 0)) throw bad(`r is ${JSON.stringify(c.r)}, not a positive number`);
  const alpha = c.lora_alpha === undefined ? c.r : c.lora_alpha;
  if (typeof alpha !== "number") throw bad(`lora_alpha is ${JSON.stringify(c.lora_alpha)}, not a number`);
  const t = c.target_modules;
  const targets = typeof t === "string" ? new RegExp(`^(?:${t})$`) : Array.isArray(t) ? t.map(String) : null;
  const numbers = (v: unknown): Record<string, number> =>
    v && typeof v === "object" ? Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === "number")) as Record<string, number> : {};
  return {
    r: c.r,
    alpha,
    rslora: c.use_rslora === true,
    fanInFanOut: c.fan_in_fan_out === true,
    targets,
    rankPattern: numbers(c.rank_pattern),
    alphaPattern: numbers(c.alpha_pattern),
  };
}

/** PEFT's rule for rank_pattern / alpha_pattern keys: the key matches the end of the module name. */
function patternValue(patterns: Record<string, number>, module: string): number | undefined {
  for (const [key, v] of Object.entries(patterns)) if (new RegExp(`(.*\\.)?(?:${key})$`).test(module)) return v;
  return undefined;
}

function targeted(targets: AdapterConfig["targets"], module: string): boolean {
  if (targets === null) return true;
  if (targets instanceof RegExp) return targets.test(module);
  const last = module.slice(module.lastIndexOf(".") + 1);
  return targets.some((t) => t === module || t === last || module.endsWith(`.${t}`) || t === "all-linear");
}

function adapterWeights(folder: string): SafetensorsFileHeader {
  for (const name of ADAPTER_WEIGHTS) {
    const file = confinedOwnFile(folder, name);
    if (existsSync(file)) return name.endsWith(".bin") ? readTorchCheckpointHeader(file) : readSafetensorsHeader(file);
  }
  throw new ModelFormatError("missing-file", join(folder, ADAPTER_WEIGHTS[0]!), `${folder} has ${ADAPTER_CONFIG} but no ${ADAPTER_WEIGHTS.join(" or ")}`);
}

/** An adapter key without PEFT's prefix and adapter name: `base_model.model.X.lora_A.default.weight` → X, "lora_A". */
function parseKey(key: string): { module: string; part: string } | null {
  const m = /^(?:base_model\.model\.)?(.+)\.(lora_A|lora_B|lora_embedding_A|lora_embedding_B|lora_magnitude_vector)(?:\.[\w-]+)?(?:\.weight)?$/.exec(key);
  return m ? { module: m[1]!, part: m[2]! } : null;
}

export function loraModelHeader(base: ModelHeader, adapterFolder: string, path: string): ModelHeader {
  const folder = resolve(adapterFolder);
  const config = readAdapterConfig(folder);
  const weights = adapterWeights(folder);
  const file = weights.file;
  const parts = new Map<string, Map<string, TensorHeader>>();
  const replaced = new Map<string, TensorHeader>();
  for (const t of weights.tensors) {
    const header: TensorHeader = { ...t, file };
    const key = parseKey(t.name);
    if (!key) {
      // modules_to_save: whole tensors the adapter replaces.
      const name = t.name.replace(/^base_model\.model\./, "").replace(/\.modules_to_save\.[\w-]+\./, ".");
      const target = base.tensors.get(name);
      if (!target) throw new ModelFormatError("lora-invalid", file, `${file} has tensor "${t.name}", which matches no tensor of ${base.path} (looked for "${name}")`, t.name);
      if (target.numel !== t.numel || target.shape.join() !== t.shape.join()) {
        throw new ModelFormatError("lora-invalid", file, `${file} replaces "${name}" with shape [${t.shape.join(", ")}], but ${base.path} has [${target.shape.join(", ")}]`, t.name);
      }
      replaced.set(name, header);
      continue;
    }
    if (key.part === "lora_magnitude_vector") {
      throw new ModelFormatError("lora-invalid", file, `${file} is a DoRA adapter (module ${key.module} has a lora_magnitude_vector): only LoRA is supported`, t.name);
    }
    let m = parts.get(key.module);
    if (!m) parts.set(key.module, (m = new Map()));
    m.set(key.part, header);
  }
  const tensors = new Map<string, TensorHeader>();
  const adapted = new Map<string, LoraFactors>();
  for (const [module, m] of parts) {
    const embedding = m.has("lora_embedding_A") || m.has("lora_embedding_B");
    const a = m.get(embedding ? "lora_embedding_A" : "lora_A");
    const b = m.get(embedding ? "lora_embedding_B" : "lora_B");
    if (!a || !b) throw new ModelFormatError("lora-invalid", file, `${file}: module ${module} has only one of its two LoRA factors`);
    if (!targeted(config.targets, module)) {
      throw new ModelFormatError("lora-invalid", file, `${file} has LoRA weights for module ${module}, which target_modules in ${ADAPTER_CONFIG} does not name`);
    }
    const target = base.tensors.get(`${module}.weight`) ?? base.tensors.get(module);
    if (!target) {
      throw new ModelFormatError("lora-invalid", file, `the adapter ${folder} targets module ${module}, which ${base.path} does not have (no tensor "${module}.weight")`);
    }
    if (a.shape.length !== 2 || b.shape.length !== 2 || target.shape.length !== 2) {
      throw new ModelFormatError("lora-invalid", file, `module ${module}: LoRA factors and the weight they adapt must be matrices`);
    }
    const rank = a.shape[0]!;
    const [rows, cols] = target.shape as [number, number];
    const transposed = embedding || config.fanInFanOut;
    // ΔW = B·A is [b0, a1]; stored transposed it must match [cols, rows].
    const [want0, want1] = transposed ? [cols, rows] : [rows, cols];
    if (b.shape[1] !== rank || b.shape[0] !== want0 || a.shape[1] !== want1) {
      throw new ModelFormatError(
        "lora-invalid",
        file,
        `module ${module}: lora_A [${a.shape.join(", ")}] and lora_B [${b.shape.join(", ")}] do not make a ${transposed ? "transposed " : ""}` +
          `[${rows}, ${cols}] update for "${target.name}" of ${base.path}`,
      );
    }
    const r = patternValue(config.rankPattern, module) ?? rank;
    const alpha = patternValue(config.alphaPattern, module) ?? config.alpha;
    const scale = config.rslora ? alpha / Math.sqrt(r) : alpha / r;
    adapted.set(target.name, transposed ? { module, b: a, a: b, rank, scale, transposed } : { module, b, a, rank, scale, transposed });
  }
  for (const [name, t] of base.tensors) {
    const lora = adapted.get(name);
    tensors.set(name, replaced.get(name) ?? (lora ? { ...t, lora } : t));
  }
  return {
    ...base,
    path,
    tensors,
    files: [...base.files, file],
    mtimeKey: statKey(watchedFiles(path, base.kind, [...base.files, file])),
  };
}
