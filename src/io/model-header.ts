/**
 * The header of a whole model: a Hugging Face folder (one model.safetensors, or an index with shards)
 * or a single .safetensors file. Reads header bytes only, never tensor data.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { layerIndex } from "../graph/params.js";
import type { DType } from "./dtype.js";
import { confinedOwnFile, confinedPath } from "./confine.js";
import { ModelFormatError } from "./errors.js";
import { jsonErrorWhere } from "./json-error.js";
import { readSafetensorsHeader, type SafetensorsFileHeader } from "./safetensors-file.js";
import { TORCH_INDEX_FILE, TORCH_SINGLE_FILE, readTorchCheckpointHeader } from "./torch-checkpoint.js";
import { ADAPTER_CONFIG, type LoraFactors, loraModelHeader, splitLoraPath } from "./lora-model.js";

export type { DType } from "./dtype.js";

export interface TensorHeader {
  name: string;
  dtype: DType;
  shape: number[];
  numel: number;
  /** Absolute shard path. */
  file: string;
  /** Absolute offset of the tensor's data in `file`. */
  byteOffset: number;
  byteLength: number;
  /** A LoRA update added to the stored values as they are read (see lora-model.ts). */
  lora?: LoraFactors;
}

export interface ModelHeader {
  /** Absolute path of the folder or file. */
  path: string;
  kind: "folder" | "file";
  /** Absolute safetensors paths, in reading order. */
  files: string[];
  /** In file order (shards in name order, tensors in data order within a shard). */
  tensors: Map<string, TensorHeader>;
  /** config.json of a folder, null when absent (or for a single file). */
  config: Record<string, unknown> | null;
  /** config num_hidden_layers, else 1 + the largest `layers.N` index, else 0. */
  layerCount: number;
  parameterCount: number;
  /** Distinct dtypes, most elements first. */
  dtypes: DType[];
  /** Changes whenever any file the header came from changes (size or modification time). */
  mtimeKey: string;
  /** __metadata__ of the first file. */
  metadata: Record<string, string>;
}

export const SINGLE_FILE = "model.safetensors";
export const INDEX_FILE = "model.safetensors.index.json";
export const CONFIG_FILE = "config.json";

/** The files whose size and mtime decide whether a cached header is still valid. */
export function watchedFiles(path: string, kind: "folder" | "file", files: string[]): string[] {
  const lora = splitLoraPath(path);
  if (lora) return [...watchedFiles(lora.base, kind, []), join(lora.adapter, ADAPTER_CONFIG), ...files];
  if (kind === "file") return files;
  return [...sidecarFiles(path), ...files];
}

/** A folder's files that decide which weights it has (either format) and its config. */
function sidecarFiles(folder: string): string[] {
  return [INDEX_FILE, SINGLE_FILE, TORCH_INDEX_FILE, TORCH_SINGLE_FILE, CONFIG_FILE].map((f) => join(folder, f));
}

/** `path:size:mtime` for each file ("-" when absent), joined. */
export function statKey(paths: string[]): string {
  return paths
    .map((p) => {
      // No exception for absent files: editors re-check this on every keystroke.
      const st = statSync(p, { throwIfNoEntry: false });
      return st ? `${p}:${st.size}:${st.mtimeMs}` : `${p}:-`;
    })
    .join("|");
}

/** The two weight formats of a folder, safetensors first (when a model ships both, they hold the same weights). */
const FORMATS = [
  { index: INDEX_FILE, single: SINGLE_FILE, read: readSafetensorsHeader },
  { index: TORCH_INDEX_FILE, single: TORCH_SINGLE_FILE, read: readTorchCheckpointHeader },
];

export function readModelHeader(path: string): ModelHeader {
  const lora = splitLoraPath(path);
  if (lora) return loraModelHeader(readModelHeader(lora.base), lora.adapter, path);
  const abs = resolve(path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new ModelFormatError("missing-file", abs, `model not found: ${abs} does not exist`);
  }
  if (st.isDirectory()) return readFolder(abs);
  if (abs.endsWith(".bin")) return assemble(abs, "file", [readTorchCheckpointHeader(abs)], null, null);
  if (!abs.endsWith(".safetensors")) {
    throw new ModelFormatError(
      "not-safetensors",
      abs,
      `${abs} is not a .safetensors or PyTorch .bin file; give a Hugging Face model folder or a weights file`,
    );
  }
  const h = readSafetensorsHeader(abs);
  return assemble(abs, "file", [h], null, null);
}

function readFolder(folder: string): ModelHeader {
  const sidecarKey = statKey(sidecarFiles(folder));
  const config = readConfig(folder);
  for (const format of FORMATS) {
    const indexPath = confinedOwnFile(folder, format.index);
    if (existsSync(indexPath)) return assemble(folder, "folder", readIndexedShards(folder, indexPath, format.read), config, sidecarKey);
    const single = confinedOwnFile(folder, format.single);
    if (existsSync(single)) return assemble(folder, "folder", [format.read(single)], config, sidecarKey);
  }
  const candidates = readdirSync(folder).filter((f) => f.endsWith(".safetensors")).sort();
  if (candidates.length === 1) {
    return assemble(folder, "folder", [readSafetensorsHeader(confinedOwnFile(folder, candidates[0]!))], config, sidecarKey);
  }
  const hint = candidates.length > 1
    ? `it has ${candidates.length} .safetensors files but no ${INDEX_FILE} saying which tensor is where`
    : existsSync(join(folder, "adapter_config.json"))
      ? "it is a LoRA adapter: give it as model(BASE, lora: ADAPTER), or BASE+ADAPTER in a mergekit config"
      : `it has no .safetensors file and no ${TORCH_SINGLE_FILE}`;
  throw new ModelFormatError("missing-file", join(folder, SINGLE_FILE), `${folder} is not a model folder: ${hint}`);
}

function readIndexedShards(folder: string, indexPath: string, read: (file: string) => SafetensorsFileHeader): SafetensorsFileHeader[] {
  const weightMap = readIndex(indexPath);
  const shardNames = [...new Set(weightMap.values())].sort();
  const headers = shardNames.map((shard) => {
    const tensor = [...weightMap].find(([, s]) => s === shard)![0];
    const file = confinedPath(folder, shard, indexPath, tensor);
    if (!existsSync(file)) {
      throw new ModelFormatError(
        "missing-file",
        file,
        `${indexPath} maps tensor "${tensor}" to shard ${shard}, but ${file} does not exist`,
        tensor,
      );
    }
    return read(file);
  });
  checkIndexAgainstShards(indexPath, weightMap, folder, headers);
  return headers;
}

function readConfig(folder: string): Record<string, unknown> | null {
  const file = confinedOwnFile(folder, CONFIG_FILE);
  if (!existsSync(file)) return null;
  return readJsonObject(file, "config-json");
}

/** A JSON object file; errors give the position, never the file's text. */
export function readJsonObject(file: string, code: "config-json" | "index-json"): Record<string, unknown> {
  const text = readFileSync(file, "utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(code, file, `${file} is not valid JSON (${jsonErrorWhere(e, text)})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ModelFormatError(code, file, `${file} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function readIndex(indexPath: string): Map<string, string> {
  const wm = readJsonObject(indexPath, "index-json").weight_map;
  if (wm === null || typeof wm !== "object" || Array.isArray(wm)) {
    throw new ModelFormatError("index-json", indexPath, `${indexPath} has no "weight_map" object`);
  }
  const map = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof shard !== "string" || shard === "") {
      throw new ModelFormatError("index-json", indexPath, `${indexPath} maps tensor "${tensor}" to ${JSON.stringify(shard)}, not a file name`, tensor);
    }
    map.set(tensor, shard);
  }
  return map;
}

/** Every weight_map entry must be in its shard, and every shard tensor in the weight_map. */
function checkIndexAgainstShards(
  indexPath: string,
  weightMap: Map<string, string>,
  folder: string,
  headers: SafetensorsFileHeader[],
): void {
  const byFile = new Map(headers.map((h) => [h.file, new Set(h.tensors.map((t) => t.name))]));
  for (const [tensor, shard] of weightMap) {
    const file = join(folder, shard);
    if (!byFile.get(file)!.has(tensor)) {
      throw new ModelFormatError(
        "index-mismatch",
        file,
        `${indexPath} maps tensor "${tensor}" to ${file}, but that shard has no such tensor`,
        tensor,
      );
    }
  }
  for (const h of headers) {
    for (const t of h.tensors) {
      const mapped = weightMap.get(t.name);
      if (mapped === undefined || join(folder, mapped) !== h.file) {
        throw new ModelFormatError(
          "index-mismatch",
          h.file,
          `tensor "${t.name}" in ${h.file} is ${mapped === undefined ? "missing from" : `mapped to ${mapped} in`} ${indexPath}`,
          t.name,
        );
      }
    }
  }
}

function assemble(
  path: string,
  kind: "folder" | "file",
  headers: SafetensorsFileHeader[],
  config: Record<string, unknown> | null,
  sidecarKey: string | null,
): ModelHeader {
  const tensors = new Map<string, TensorHeader>();
  const elementsByDType = new Map<DType, number>();
  let parameterCount = 0;
  let maxLayer = -1;
  for (const h of headers) {
    for (const t of h.tensors) {
      if (tensors.has(t.name)) {
        const other = tensors.get(t.name)!.file;
        throw new ModelFormatError("index-mismatch", h.file, `tensor "${t.name}" appears in both ${other} and ${h.file}`, t.name);
      }
      tensors.set(t.name, { ...t, file: h.file });
      parameterCount += t.numel;
      elementsByDType.set(t.dtype, (elementsByDType.get(t.dtype) ?? 0) + t.numel);
      const layer = layerIndex(t.name);
      if (layer !== null && layer > maxLayer) maxLayer = layer;
    }
  }
  const configLayers = config?.num_hidden_layers;
  const layerCount =
    typeof configLayers === "number" && Number.isInteger(configLayers) && configLayers >= 0 ? configLayers : maxLayer + 1;
  // Map preserves insertion order, so the stable sort keeps first-seen order among equal counts.
  const dtypes = [...elementsByDType].sort((a, b) => b[1] - a[1]).map(([d]) => d);
  const fileKey = headers.map((h) => `${h.file}:${h.size}:${h.mtimeMs}`).join("|");
  return {
    path,
    kind,
    files: headers.map((h) => h.file),
    tensors,
    config,
    layerCount,
    parameterCount,
    dtypes,
    mtimeKey: sidecarKey === null ? fileKey : `${sidecarKey}|${fileKey}`,
    metadata: headers[0]?.metadata ?? {},
  };
}

/** Display name of a model path (folder name, or file name). */
export function modelDisplayName(path: string): string {
  const b = basename(path);
  return b === SINGLE_FILE ? basename(dirname(path)) : b;
}
