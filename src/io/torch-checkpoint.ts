/**
 * The header of a PyTorch `.bin` checkpoint (a state dict saved by `torch.save`), in the same shape
 * as a safetensors header: each tensor as a byte range of the file, so reads stay lazy per tensor.
 * Both formats: the zip archive (`archive/data.pkl` + one stored record per storage) and the legacy
 * format (a run of pickles followed by the raw storages, each after its 8-byte element count).
 */
import { closeSync, fstatSync } from "node:fs";
import { dtypeSize } from "./dtype.js";
import { ModelFormatError } from "./errors.js";
import { type FileTensor, type SafetensorsFileHeader, openWeightsFile } from "./safetensors-file.js";
import { PickleNeedsMore, type PyValue, type TorchStorage, isTensor, unpickle } from "./torch-pickle.js";
import { isZip, readAt, zipEntries } from "./zip-entries.js";

export const TORCH_SINGLE_FILE = "pytorch_model.bin";
export const TORCH_INDEX_FILE = "pytorch_model.bin.index.json";

/** Where each storage's data starts in the file, by key. */
type StorageOffsets = Map<string, { offset: number; bytes: number }>;

export function readTorchCheckpointHeader(file: string): SafetensorsFileHeader {
  const fd = openWeightsFile(file);
  try {
    const st = fstatSync(fd);
    const { dict, storages } = isZip(fd) ? readZip(fd, file, st.size) : readLegacy(fd, file, st.size);
    const tensors = stateDictTensors(dict, storages, file);
    return { file, size: st.size, mtimeMs: st.mtimeMs, dataStart: 0, tensors, metadata: {} };
  } finally {
    closeSync(fd);
  }
}

function readZip(fd: number, file: string, size: number): { dict: PyValue; storages: StorageOffsets } {
  const entries = zipEntries(fd, file, size);
  const pkl = entries.find((e) => e.name.endsWith("/data.pkl") || e.name === "data.pkl");
  if (!pkl) throw new ModelFormatError("pickle-invalid", file, `${file} is a zip archive without data.pkl: not a torch.save checkpoint`);
  if (pkl.method !== 0) throw new ModelFormatError("pickle-invalid", file, `${file}: data.pkl is compressed; torch.save stores it uncompressed`);
  const prefix = pkl.name.slice(0, pkl.name.length - "data.pkl".length);
  const dict = unpickle(readAt(fd, pkl.dataOffset, pkl.size), file).value;
  const storages: StorageOffsets = new Map();
  for (const e of entries) {
    if (!e.name.startsWith(`${prefix}data/`)) continue;
    const key = e.name.slice(prefix.length + "data/".length);
    if (e.method !== 0) throw new ModelFormatError("pickle-invalid", file, `${file}: storage ${key} is compressed, so it cannot be read in place`);
    storages.set(key, { offset: e.dataOffset, bytes: e.size });
  }
  return { dict, storages };
}

/** The legacy format: magic, protocol, sys_info, the state dict, the storage keys, then the storages. */
function readLegacy(fd: number, file: string, size: number): { dict: PyValue; storages: StorageOffsets } {
  for (let window = 1 << 20; ; window *= 4) {
    const head = readAt(fd, 0, Math.min(size, window));
    try {
      let at = 0;
      const values: PyValue[] = [];
      for (let i = 0; i < 5; i++) {
        const r = unpickle(head, file, at);
        values.push(r.value);
        at = r.end;
      }
      if (values[0] !== 0x1950a86a20f9469cfc6cn && values[0] !== Number(0x1950a86a20f9469cfc6cn)) {
        throw new ModelFormatError("pickle-invalid", file, `${file} is neither a zip archive nor a legacy torch.save file (no magic number)`);
      }
      const keys = values[4];
      if (!Array.isArray(keys)) throw new ModelFormatError("pickle-invalid", file, `${file}: the legacy storage key list is missing`);
      return { dict: values[3]!, storages: legacyOffsets(fd, file, size, at, keys, values[3]!) };
    } catch (e) {
      if (!(e instanceof PickleNeedsMore)) throw e;
      if (window >= size) throw new ModelFormatError("truncated", file, `${file} ends inside its pickled header: the file is truncated`);
    }
  }
}

function legacyOffsets(fd: number, file: string, size: number, start: number, keys: PyValue[], dict: PyValue): StorageOffsets {
  const byKey = new Map<string, TorchStorage>();
  collectStorages(dict, byKey);
  const out: StorageOffsets = new Map();
  let at = start;
  for (const k of keys) {
    const key = String(k);
    const storage = byKey.get(key);
    const head = readAt(fd, at, 8);
    if (head.length < 8) throw new ModelFormatError("truncated", file, `${file} ends before storage ${key}: the file is truncated`);
    const numel = Number(head.readBigInt64LE(0));
    const bytes = numel * (storage ? dtypeSize(storage.dtype) : 0);
    if (!storage && numel > 0) throw new ModelFormatError("pickle-invalid", file, `${file} stores ${key}, which no tensor uses: its size is unknown`);
    out.set(key, { offset: at + 8, bytes });
    at += 8 + bytes;
    if (at > size) throw new ModelFormatError("truncated", file, `${file} ends inside storage ${key}: the file is truncated`);
  }
  return out;
}

function collectStorages(v: PyValue, into: Map<string, TorchStorage>): void {
  if (isTensor(v)) into.set(v.storage.key, v.storage);
  else if (v instanceof Map) for (const x of v.values()) collectStorages(x, into);
}

/** The tensors of a state dict (a dict of name → tensor; a dict under "state_dict" is accepted too). */
function stateDictTensors(dict: PyValue, storages: StorageOffsets, file: string): FileTensor[] {
  let map = dict;
  if (map instanceof Map && map.get("state_dict") instanceof Map && ![...map.values()].some((v) => isTensor(v))) map = map.get("state_dict")!;
  if (!(map instanceof Map)) throw new ModelFormatError("pickle-invalid", file, `${file} does not hold a state dict (a dict of tensors)`);
  const tensors: FileTensor[] = [];
  for (const [k, v] of map) {
    const name = String(k);
    if (!isTensor(v)) {
      throw new ModelFormatError("pickle-invalid", file, `${file}: entry "${name}" is not a tensor; mergelang reads state dicts of tensors only`, name);
    }
    const size = dtypeSize(v.storage.dtype);
    const numel = v.shape.reduce((a, d) => a * d, 1);
    let expected = 1;
    for (let i = v.shape.length - 1; i >= 0; i--) {
      if (v.shape[i]! > 1 && v.stride[i] !== expected) {
        throw new ModelFormatError(
          "pickle-invalid",
          file,
          `${file}: tensor "${name}" is not stored contiguously (strides [${v.stride.join(", ")}] for shape [${v.shape.join(", ")}]); save it with .contiguous()`,
          name,
        );
      }
      expected *= v.shape[i]!;
    }
    const s = storages.get(v.storage.key);
    if (!s) throw new ModelFormatError("pickle-invalid", file, `${file}: tensor "${name}" uses storage ${v.storage.key}, which the file does not contain`, name);
    const byteOffset = s.offset + v.storageOffset * size;
    const byteLength = numel * size;
    if (byteOffset + byteLength > s.offset + s.bytes) {
      throw new ModelFormatError("offsets-out-of-range", file, `${file}: tensor "${name}" runs past the end of its storage ${v.storage.key}`, name);
    }
    tensors.push({ name, dtype: v.storage.dtype, shape: v.shape, numel, byteOffset, byteLength });
  }
  return tensors;
}
