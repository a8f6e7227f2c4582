import { test } from "node:test";
import assert from "node:assert/strict";
import { truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fixturesDir } from "../support/paths.js";
import { readModelHeader } from "../../src/io/model-header.js";
import { f32Bytes, fileBytes, headerFor, safetensorsBytes, tempDir, writeFile, type RawTensor } from "./build-safetensors.js";
import { formatError } from "./format-error.js";

const LLAMA_LAYER_TENSORS = [
  "input_layernorm.weight", "mlp.down_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
  "post_attention_layernorm.weight", "self_attn.k_proj.weight", "self_attn.o_proj.weight",
  "self_attn.q_proj.weight", "self_attn.v_proj.weight",
];

function threeTensors(): RawTensor[] {
  return [
    { name: "a", dtype: "F32", shape: [2, 2], data: f32Bytes([1, 2, 3, 4]) },
    { name: "b", dtype: "F32", shape: [3], data: f32Bytes([5, 6, 7]) },
    { name: "c", dtype: "I64", shape: [1], data: new Uint8Array(8) },
  ];
}


test("reference model folders read back with Llama tensor names, shapes and dtypes", () => {
  for (const [family, dtype] of [["tiny_f32", "F32"], ["tiny_bf16", "BF16"]] as const) {
    const h = readModelHeader(fixturesDir("reference", "models", family, "base"));
    assert.equal(h.kind, "folder");
    assert.equal(h.files.length, 1);
    assert.ok(h.files[0]!.endsWith("model.safetensors"));
    assert.equal(h.layerCount, 4);
    assert.equal(h.config?.hidden_size, 64);
    assert.deepEqual(h.dtypes, [dtype]);
    const expected = ["lm_head.weight", "model.embed_tokens.weight", "model.norm.weight"];
    for (let l = 0; l < 4; l++) for (const t of LLAMA_LAYER_TENSORS) expected.push(`model.layers.${l}.${t}`);
    assert.deepEqual([...h.tensors.keys()].sort(), expected.sort());
    assert.deepEqual(h.tensors.get("model.embed_tokens.weight")!.shape, [256, 64]);
    assert.deepEqual(h.tensors.get("model.layers.2.mlp.down_proj.weight")!.shape, [64, 128]);
    assert.deepEqual(h.tensors.get("model.norm.weight")!.shape, [64]);
    const total = [...h.tensors.values()].reduce((a, t) => a + t.numel, 0);
    assert.equal(h.parameterCount, total);
  }
});

test("expected merges read as single files with the models' tensor names", () => {
  const model = readModelHeader(fixturesDir("reference", "models", "tiny_f32", "base"));
  const file = fixturesDir("reference", "expected", "ties_global_d20.safetensors");
  const h = readModelHeader(file);
  assert.equal(h.kind, "file");
  assert.deepEqual(h.files, [file]);
  assert.equal(h.config, null);
  assert.equal(h.layerCount, 4); // from the layers.N names
  assert.deepEqual([...h.tensors.keys()].sort(), [...model.tensors.keys()].sort());
  for (const [name, t] of h.tensors) assert.deepEqual(t.shape, model.tensors.get(name)!.shape, name);
});

test("tensors come in data order with absolute offsets", () => {
  const dir = tempDir();
  const tensors = threeTensors();
  const bytes = safetensorsBytes(tensors, { format: "pt" });
  const file = writeFile(dir, "x.safetensors", bytes);
  const h = readModelHeader(file);
  assert.deepEqual([...h.tensors.keys()], ["a", "b", "c"]);
  const headerLen = Number(bytes.readBigUInt64LE(0));
  const b = h.tensors.get("b")!;
  assert.equal(b.byteOffset, 8 + headerLen + 16);
  assert.equal(b.byteLength, 12);
  assert.equal(b.numel, 3);
  assert.equal(b.file, file);
  assert.deepEqual(h.dtypes, ["F32", "I64"]);
  assert.equal(h.layerCount, 0);
  assert.equal(h.parameterCount, 8);
  assert.equal(h.metadata.format, "pt");
});

test("sharded folders follow the index and check it against the shards", () => {
  const dir = tempDir();
  const [a, b, c] = threeTensors();
  writeFile(dir, "model-00001-of-00002.safetensors", safetensorsBytes([a!, b!]));
  writeFile(dir, "model-00002-of-00002.safetensors", safetensorsBytes([c!]));
  const weightMap = { a: "model-00001-of-00002.safetensors", b: "model-00001-of-00002.safetensors", c: "model-00002-of-00002.safetensors" };
  writeFile(dir, "model.safetensors.index.json", JSON.stringify({ metadata: { total_size: 36 }, weight_map: weightMap }));
  writeFile(dir, "config.json", JSON.stringify({ num_hidden_layers: 7 }));
  const h = readModelHeader(dir);
  assert.equal(h.files.length, 2);
  assert.deepEqual([...h.tensors.keys()], ["a", "b", "c"]);
  assert.equal(h.tensors.get("c")!.file, join(dir, "model-00002-of-00002.safetensors"));
  assert.equal(h.layerCount, 7);

  // A weight_map entry that its shard does not hold.
  writeFile(dir, "model.safetensors.index.json", JSON.stringify({ weight_map: { ...weightMap, d: "model-00002-of-00002.safetensors" } }));
  let e = formatError(() => readModelHeader(dir));
  assert.equal(e.code, "index-mismatch");
  assert.equal(e.tensor, "d");
  assert.equal(e.file, join(dir, "model-00002-of-00002.safetensors"));

  // A shard tensor missing from the weight_map.
  writeFile(dir, "model.safetensors.index.json", JSON.stringify({ weight_map: { a: weightMap.a, c: weightMap.c } }));
  e = formatError(() => readModelHeader(dir));
  assert.equal(e.code, "index-mismatch");
  assert.equal(e.tensor, "b");
  assert.match(e.message, /"b"/);

  // An index pointing to a shard that does not exist.
  writeFile(dir, "model.safetensors.index.json", JSON.stringify({ weight_map: { ...weightMap, c: "model-00003-of-00003.safetensors" } }));
  e = formatError(() => readModelHeader(dir));
  assert.equal(e.code, "missing-file");
  assert.equal(e.file, join(dir, "model-00003-of-00003.safetensors"));
  assert.equal(e.tensor, "c");
  assert.match(e.message, /model-00003-of-00003\.safetensors/);

  writeFile(dir, "model.safetensors.index.json", "{ not json");
  assert.equal(formatError(() => readModelHeader(dir)).code, "index-json");
});

test("a missing path or a folder without safetensors is a missing-file error", () => {
  const dir = tempDir();
  let e = formatError(() => readModelHeader(join(dir, "nope")));
  assert.equal(e.code, "missing-file");
  assert.match(e.message, /nope/);
  writeFile(dir, "weights.pt", "x");
  e = formatError(() => readModelHeader(dir));
  assert.equal(e.code, "missing-file");
  assert.match(e.message, /no \.safetensors file and no pytorch_model\.bin/);
  writeFile(dir, "pytorch_model.bin", "x");
  e = formatError(() => readModelHeader(dir));
  assert.equal(e.code, "pickle-invalid");
  assert.match(e.message, /pytorch_model\.bin is not a readable PyTorch checkpoint/);
});

test("bad config.json is reported with its path", () => {
  const dir = tempDir();
  writeFile(dir, "model.safetensors", safetensorsBytes(threeTensors()));
  writeFile(dir, "config.json", "{oops");
  const e = formatError(() => readModelHeader(dir));
  assert.equal(e.code, "config-json");
  assert.equal(e.file, join(dir, "config.json"));
});

// ---- damaged files ----

function damaged(name: string, bytes: Uint8Array): string {
  return writeFile(tempDir(), name, bytes);
}

test("a truncated file is rejected naming the file and the first tensor cut off", () => {
  const bytes = safetensorsBytes(threeTensors());
  const file = damaged("t.safetensors", bytes);
  truncateSync(file, bytes.length - 10); // loses all of c and part of b
  const e = formatError(() => readModelHeader(file));
  assert.equal(e.code, "truncated");
  assert.equal(e.file, file);
  assert.equal(e.tensor, "b");
  assert.match(e.message, /truncated/);
  assert.ok(e.message.includes(file));
});

test("a file shorter than the length prefix is truncated", () => {
  const file = damaged("short.safetensors", new Uint8Array([1, 2, 3]));
  assert.equal(formatError(() => readModelHeader(file)).code, "truncated");
});

test("a garbage header is a header-json error", () => {
  const file = damaged("g.safetensors", fileBytes("this is not json {{{", []));
  const e = formatError(() => readModelHeader(file));
  assert.equal(e.code, "header-json");
  assert.equal(e.file, file);
  const arr = damaged("arr.safetensors", fileBytes("[1,2,3]", []));
  assert.equal(formatError(() => readModelHeader(arr)).code, "header-json");
});

test("a header length past the end of the file is rejected before allocating", () => {
  const bytes = safetensorsBytes(threeTensors());
  bytes.writeBigUInt64LE(BigInt(bytes.length * 4), 0);
  const file = damaged("len.safetensors", bytes);
  const e = formatError(() => readModelHeader(file));
  assert.equal(e.code, "truncated");
  assert.equal(e.file, file);
});

test("an absurd header length (a non-safetensors file) is header-too-large", () => {
  const file = damaged("text.safetensors", Buffer.from("hello world, this is a text file and not a model"));
  const e = formatError(() => readModelHeader(file));
  assert.equal(e.code, "header-too-large");
  assert.equal(e.file, file);
});

test("offsets past the end of the data area are offsets-out-of-range, naming the tensor", () => {
  const tensors = threeTensors();
  const header = headerFor(tensors);
  header.c = { dtype: "I64", shape: [1], data_offsets: [100, 108] };
  const file = damaged("oob.safetensors", fileBytes(header, tensors.map((t) => t.data)));
  const e = formatError(() => readModelHeader(file));
  assert.equal(e.code, "offsets-out-of-range");
  assert.equal(e.tensor, "c");
  assert.equal(e.file, file);
  assert.match(e.message, /"c"/);
});

test("overlapping offsets are rejected, naming a tensor", () => {
  const tensors = threeTensors();
  const header = headerFor(tensors);
  header.b = { dtype: "F32", shape: [3], data_offsets: [8, 20] }; // overlaps a = [0, 16)
  const file = damaged("overlap.safetensors", fileBytes(header, tensors.map((t) => t.data)));
  const e = formatError(() => readModelHeader(file));
  assert.equal(e.code, "offsets-overlap");
  assert.equal(e.tensor, "b");
  assert.match(e.message, /"a"/);
});

test("shape × dtype size different from the byte range is size-mismatch", () => {
  const tensors = threeTensors();
  const header = headerFor(tensors);
  header.b = { dtype: "F32", shape: [4], data_offsets: [16, 28] };
  const file = damaged("size.safetensors", fileBytes(header, tensors.map((t) => t.data)));
  const e = formatError(() => readModelHeader(file));
  assert.equal(e.code, "size-mismatch");
  assert.equal(e.tensor, "b");
  assert.match(e.message, /12 bytes/);
  assert.match(e.message, /16/);
});

test("unknown dtypes, bad shapes and bad offsets name the tensor", () => {
  const tensors = threeTensors();
  const cases: [unknown, string][] = [
    [{ dtype: "Q4_K", shape: [3], data_offsets: [16, 28] }, "unknown-dtype"],
    [{ dtype: "F32", shape: [-3], data_offsets: [16, 28] }, "header-invalid"],
    [{ dtype: "F32", shape: [3], data_offsets: [28, 16] }, "offsets-out-of-range"],
    [{ dtype: "F32", shape: [3] }, "header-invalid"],
    ["F32", "header-invalid"],
  ];
  for (const [entry, code] of cases) {
    const header = headerFor(tensors);
    header.b = entry;
    const file = damaged("bad.safetensors", fileBytes(header, tensors.map((t) => t.data)));
    const e = formatError(() => readModelHeader(file));
    assert.equal(e.code, code, JSON.stringify(entry));
    assert.equal(e.tensor, "b");
  }
});

test("F8 tensors are carried and zero-element tensors are accepted", () => {
  const header = {
    f8: { dtype: "F8_E4M3", shape: [4], data_offsets: [0, 4] },
    empty: { dtype: "F32", shape: [0, 3], data_offsets: [4, 4] },
  };
  const file = damaged("f8.safetensors", fileBytes(header, [new Uint8Array(4)]));
  const h = readModelHeader(file);
  assert.equal(h.tensors.get("f8")!.dtype, "F8_E4M3");
  assert.equal(h.tensors.get("empty")!.numel, 0);
});

test("a non-safetensors single file is refused with a hint", () => {
  const dir = tempDir();
  const file = join(dir, "weights.pt");
  writeFileSync(file, "x");
  const e = formatError(() => readModelHeader(file));
  assert.equal(e.code, "not-safetensors");
  assert.match(e.message, /Hugging Face model folder/);
});
